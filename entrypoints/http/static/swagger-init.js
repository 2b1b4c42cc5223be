// Starts Swagger UI on the page /docs serves. A file of its own, not an inline script, so that
// the page's Content-Security-Policy can allow scripts from this server only.
window.addEventListener("load", () => {
  const specUrl = document.getElementById("swagger-ui").dataset.specUrl;
  window.ui = SwaggerUIBundle({
    url: specUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  });
});
