//! The two HTML pages and Swagger UI's start-up script.
//!
//! Every URL in them is relative, so the pages work wherever the API is mounted:
//! at the root locally, under a stage path or custom-domain base path on AWS.
//! From `/docs` (or `/redoc`), `openapi.json` is the document and `docs/<file>`
//! an asset. No inline script, so the pages run under a strict
//! Content-Security-Policy.

pub const SWAGGER_UI_HTML: &str = r##"<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>serverless-ml-api - Swagger UI</title>
  <link rel="stylesheet" href="docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/swagger-ui-bundle.js"></script>
  <script src="docs/swagger-initializer.js"></script>
</body>
</html>
"##;

/// Loads the document relative to the page and keeps the token a user enters
/// under "Authorize" for the tab's life only (not persisted).
pub const SWAGGER_INITIALIZER_JS: &str = r##"window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: new URL("openapi.json", window.location.href).href,
    dom_id: "#swagger-ui",
    deepLinking: true,
    displayRequestDuration: true,
    persistAuthorization: false,
    tryItOutEnabled: false,
    validatorUrl: null
  });
});
"##;

pub const REDOC_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>serverless-ml-api - Redoc</title>
  <link rel="icon" type="image/png" href="docs/favicon-32x32.png">
  <style>body { margin: 0; padding: 0; }</style>
</head>
<body>
  <redoc spec-url="openapi.json" disable-telemetry="true"></redoc>
  <script type="module" src="docs/redoc.standalone.js"></script>
</body>
</html>
"#;

/// For the HTML pages: scripts and connections only to this origin; Swagger UI
/// and Redoc set inline styles, Redoc runs its search in a `blob:` worker, and
/// both show `data:` images.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
