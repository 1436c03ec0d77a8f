// Curator actions on the DEMOS verdict of a community request (the "DEMOS model
// validation" checks tab): re-validate, and override with a written reason.
// Both call the registry's validation REST endpoints; the page is reloaded on the
// checks tab once the new verdict is stored, so the report shown is the server's.
(function () {
  "use strict";

  const FINISHED = ["passed", "failed", "needs_review", "overridden"];
  const POLL_MS = 2000;
  const POLL_LIMIT = 450; // 15 minutes, the validation task's time limit
  const OPEN_CHECKS = "demos-open-checks-tab";

  const call = window.demosRestCall; // rest-call.js

  async function waitForVerdict(url, say) {
    for (let attempt = 0; attempt < POLL_LIMIT; attempt += 1) {
      const state = await call(url, "GET");
      if (FINISHED.includes(state.status)) {
        return state;
      }
      say(`Validation ${state.status}…`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    throw new Error("the validation is taking long; reload the page later");
  }

  function reloadOnChecksTab() {
    window.sessionStorage.setItem(OPEN_CHECKS, "1");
    window.location.reload();
  }

  function setUp(panel) {
    const url = panel.dataset.validationUrl;
    const message = panel.querySelector("#demos-review-message");
    const say = (text) => {
      if (message) message.textContent = text;
    };
    const revalidate = panel.querySelector("[data-demos-revalidate]");
    if (revalidate) {
      revalidate.addEventListener("click", async () => {
        revalidate.disabled = true;
        say("Re-validation queued…");
        try {
          await call(url, "POST");
          const state = await waitForVerdict(url, say);
          say(`Validation ${state.status}.`);
          reloadOnChecksTab();
        } catch (error) {
          say(`Re-validation refused: ${error.message}`);
          revalidate.disabled = false;
        }
      });
    }
    const override = panel.querySelector("[data-demos-override]");
    if (override) {
      override.addEventListener("submit", async (event) => {
        event.preventDefault();
        try {
          await call(`${url}/override`, "POST", { reason: override.elements.reason.value });
          say("Verdict overridden.");
          reloadOnChecksTab();
        } catch (error) {
          say(`Override refused: ${error.message}`);
        }
      });
    }
  }

  function openChecksTabAfterReload() {
    if (window.sessionStorage.getItem(OPEN_CHECKS)) {
      window.sessionStorage.removeItem(OPEN_CHECKS);
      const tab = document.getElementById("checks-tab");
      if (tab) tab.click();
    }
  }

  document.querySelectorAll("[data-demos-review]").forEach(setUp);
  window.addEventListener("load", openChecksTabAfterReload);
})();
