// Starts Swagger UI on /docs (a file, not an inline script, so the page's CSP allows no inline
// script at all). The bundle is vendored: see scripts/vendor-frontend.
window.SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  // Tags start folded: with every operation unfolded at once (about 180), Swagger UI stops
  // drawing after the first two tags; folded, each tag draws when it is opened.
  docExpansion: "none",
  layout: "BaseLayout",
  presets: [window.SwaggerUIBundle.presets.apis],
});
