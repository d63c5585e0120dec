// Start Swagger UI on the app's own OpenAPI document. validatorUrl null: the viewer would
// otherwise send the document to an outside validator and show its badge.
/* global SwaggerUIBundle */
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  validatorUrl: null,
  deepLinking: true,
  tryItOutEnabled: false,
});
