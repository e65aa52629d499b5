// Starts Swagger UI on /docs (a file, not an inline script: the pages' Content-Security-Policy forbids those).
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  layout: "BaseLayout",
  presets: [SwaggerUIBundle.presets.apis],
  validatorUrl: null,  // no badge fetched from an outside validator: the page works offline
});
