// Start Swagger UI on the OpenAPI document named by this script tag (no inline script: CSP).
(function () {
  var specUrl = document.currentScript.getAttribute("data-spec-url");
  window.addEventListener("load", function () {
    window.ui = SwaggerUIBundle({
      url: specUrl,
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis],
    });
  });
})();
