// Starts Swagger UI on /docs (a file, not an inline script, so the page's CSP allows no inline
// script at all). The bundle is vendored: see scripts/vendor-frontend.
window.SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  layout: "BaseLayout",
  presets: [window.SwaggerUIBundle.presets.apis],
});
