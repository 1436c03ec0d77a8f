// The validation policy page of a community (validation_policies/views.py): save a new
// version, restore an old one, re-validate the community's models. Each calls the REST
// API (/api/communities/<slug>/validation-policy) with the session and its CSRF token;
// the page is reloaded after a change so that what it shows is the server's.
(function () {
  "use strict";

  const NOTICE = "demos-policy-notice";

  const call = window.demosRestCall; // rest-call.js

  function number(value) {
    // An empty or malformed field is sent as text, so that the server names the field.
    const parsed = Number(value);
    return value.trim() === "" || Number.isNaN(parsed) ? value : parsed;
  }

  function setUp(page) {
    const message = page.querySelector("#demos-policy-message");
    const say = (text, negative) => {
      message.textContent = text;
      message.className = `ui ${negative ? "negative" : "info"} message`;
    };
    const notice = window.sessionStorage.getItem(NOTICE);
    if (notice) {
      window.sessionStorage.removeItem(NOTICE);
      say(notice, false);
    }
    const reloadWith = (text) => {
      window.sessionStorage.setItem(NOTICE, text);
      window.location.reload();
    };

    const form = page.querySelector("#demos-policy-form");
    if (form) {
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const elements = form.elements;
        const settings = {
          default_rtol: number(elements.default_rtol.value),
          default_atol: number(elements.default_atol.value),
          required_checks: Array.from(form.querySelectorAll("input[name=required_checks]:checked")).map(
            (box) => box.value,
          ),
          accept_needs_review: elements.accept_needs_review.checked,
          patch_points_must_be_finite: elements.patch_points_must_be_finite.checked,
        };
        try {
          const saved = await call(page.dataset.policyUrl, "PUT", { settings, reason: elements.reason.value });
          reloadWith(
            `Saved as version ${saved.version}. The community's models were judged under an earlier ` +
              "version: re-validate them with the button below.",
          );
        } catch (error) {
          say(`Not saved: ${error.message}`, true);
        }
      });
    }

    page.querySelectorAll("[data-demos-policy-restore]").forEach((restore) => {
      restore.addEventListener("submit", async (event) => {
        event.preventDefault();
        try {
          const saved = await call(restore.dataset.demosPolicyRestore, "POST", {
            reason: restore.elements.reason.value,
          });
          reloadWith(
            `Version ${saved.restored_from} restored as version ${saved.version}. ` +
              "Re-validate the community's models to judge them under it.",
          );
        } catch (error) {
          say(`Not restored: ${error.message}`, true);
        }
      });
    });

    const revalidate = page.querySelector("#demos-policy-revalidate");
    if (revalidate) {
      revalidate.addEventListener("click", async () => {
        revalidate.disabled = true;
        say("Queueing validations…", false);
        try {
          const queued = await call(page.dataset.revalidateUrl, "POST");
          say(
            `${queued.queued} validations queued (${queued.published} published, ` +
              `${queued.under_review} under review), judged under version ${queued.policy.version}.`,
            false,
          );
        } catch (error) {
          say(`Re-validation refused: ${error.message}`, true);
        } finally {
          revalidate.disabled = false;
        }
      });
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const page = document.getElementById("demos-policy");
    if (page) setUp(page);
  });
})();
