import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type Context, Hono } from "hono";
import type { AppEnv } from "../env.js";

/** Where the docs page finds the document and its assets (all served by this router). */
export const OPENAPI_PATH = "/openapi.json";
export const DOCS_PATH = "/docs";
const ASSETS_PATH = `${DOCS_PATH}/assets`;

/**
 * Only this origin: Swagger UI is served from here, so nothing may load from anywhere else.
 * `data:` images are Swagger UI's inline SVG icons in its CSS; they fetch nothing.
 */
export const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

interface StaticAsset {
  readonly body: Uint8Array<ArrayBuffer>;
  readonly contentType: string;
}

/** The Swagger UI files the page needs, by the name they are served under. */
const SWAGGER_UI_FILES: Readonly<Record<string, string>> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

// Inline scripts are refused by the CSP, so the start-up code is a file of its own.
// validatorUrl: null stops Swagger UI from sending the document to its online validator.
const INITIALIZER = `window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(OPENAPI_PATH)},
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis],
    defaultModelsExpandDepth: 0,
    displayRequestDuration: true
  });
});
`;

const PAGE = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>sentiment-api: API reference</title>
    <link rel="stylesheet" href="${ASSETS_PATH}/swagger-ui.css">
    <link rel="icon" type="image/png" href="${ASSETS_PATH}/favicon-32x32.png">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${ASSETS_PATH}/swagger-ui-bundle.js"></script>
    <script src="${ASSETS_PATH}/initializer.js"></script>
  </body>
</html>
`;

/** Reads the Swagger UI assets from the installed `swagger-ui-dist` package (once, at start-up). */
export function loadSwaggerUiAssets(): Map<string, StaticAsset> {
  const packageDir = dirname(
    createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"),
  );
  const assets = new Map<string, StaticAsset>();
  for (const [name, contentType] of Object.entries(SWAGGER_UI_FILES)) {
    assets.set(name, { body: new Uint8Array(readFileSync(join(packageDir, name))), contentType });
  }
  assets.set("initializer.js", {
    body: new TextEncoder().encode(INITIALIZER),
    contentType: "text/javascript; charset=utf-8",
  });
  return assets;
}

const SECURITY_HEADERS = {
  "Content-Security-Policy": DOCS_CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

/**
 * GET /openapi.json (the document) and GET /docs (Swagger UI, with its assets under
 * /docs/assets/). No token needed: the document holds no secret, and browsers cannot add one.
 */
export function docsRoutes(
  document: object,
  assets: ReadonlyMap<string, StaticAsset> = loadSwaggerUiAssets(),
): Hono<AppEnv> {
  const documentJson = JSON.stringify(document);
  const reply = (
    c: Context<AppEnv>,
    body: string | Uint8Array<ArrayBuffer>,
    contentType: string,
    cacheControl: string,
  ) =>
    c.body(body, 200, {
      ...SECURITY_HEADERS,
      "Content-Type": contentType,
      "Cache-Control": cacheControl,
    });

  return new Hono<AppEnv>()
    .get(OPENAPI_PATH, (c) => reply(c, documentJson, "application/json; charset=utf-8", "no-cache"))
    .get(DOCS_PATH, (c) => reply(c, PAGE, "text/html; charset=utf-8", "no-cache"))
    .get(`${ASSETS_PATH}/:name`, (c) => {
      const asset = assets.get(c.req.param("name"));
      // Unknown names fall through to the app's 404 error body.
      if (!asset) return c.notFound();
      return reply(c, asset.body, asset.contentType, "public, max-age=3600");
    });
}
