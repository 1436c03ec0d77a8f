// The registry's pages call its REST API with the session and its CSRF token: one helper for
// the curator's review tab (curator-review.js) and a community's validation policy page
// (validation-policy.js). A refused call throws an Error naming the fields and their reasons
// (or the server's message), which the pages show as they are.
(function () {
  "use strict";

  function csrfToken() {
    const match = document.cookie.match(/(?:^|; )csrftoken=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  window.demosRestCall = async function demosRestCall(url, method, body) {
    const response = await fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/json",
        "X-CSRFToken": csrfToken(),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const fields = (data.errors || []).map((error) => `${error.field}: ${(error.messages || []).join(" ")}`);
      throw new Error(fields.length ? fields.join("; ") : data.message || `HTTP ${response.status}`);
    }
    return data;
  };
})();
