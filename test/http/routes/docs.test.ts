import { createHash, X509Certificate } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DOCS_CONTENT_SECURITY_POLICY } from "../../../src/http/routes/docs.js";
import { startTestService, type TestService } from "../../support/service.js";

const CHROMIUM = "/usr/bin/chromium";
const REPO_SCREENSHOT = resolve(import.meta.dirname, "../../../docs/screenshots/docs-page.png");
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let svc: TestService;

beforeAll(async () => {
  svc = await startTestService({ model: { maxBatchTexts: 64 } });
});
afterAll(async () => {
  await svc?.service.stop();
});

describe("GET /openapi.json", () => {
  it("serves the document of the running service, with its configured limits", async () => {
    const res = await svc.request("/openapi.json");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    const doc = res.json<{
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: { BatchSentimentRequest: { properties: { texts: object } } } };
    }>();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/v1/sentiment", "/v1/sentiment/batch"]),
    );
    expect(doc.components.schemas.BatchSentimentRequest.properties.texts).toMatchObject({
      maxItems: 64,
    });
  });
});

describe("GET /docs", () => {
  it("serves the page with a Content-Security-Policy that allows only this origin", async () => {
    const res = await svc.request("/docs");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(res.headers["content-security-policy"]).toBe(DOCS_CONTENT_SECURITY_POLICY);
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    // Every URL in the page is a path on this service.
    const urls = [...res.text.matchAll(/(?:src|href)="([^"]*)"/g)].map((match) => match[1]);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(url).toMatch(/^\/docs\/assets\//);
  });

  it.each([
    ["swagger-ui.css", "text/css; charset=utf-8"],
    ["swagger-ui-bundle.js", "text/javascript; charset=utf-8"],
    ["initializer.js", "text/javascript; charset=utf-8"],
    ["favicon-32x32.png", "image/png"],
  ])("serves the asset %s itself, as %s", async (name, contentType) => {
    const res = await svc.request(`/docs/assets/${name}`);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe(contentType);
    expect(res.headers["content-security-policy"]).toBe(DOCS_CONTENT_SECURITY_POLICY);
    expect(res.text.length).toBeGreaterThan(0);
  });

  it("answers an unknown asset with the 404 error body", async () => {
    const res = await svc.request("/docs/assets/..%2Fpackage.json");
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({ error: "not_found" });
  });
});

/** base64 SHA-256 of the certificate's public key: what Chromium's SPKI allow-list takes. */
function spkiHash(certificatePem: string): string {
  const spki = new X509Certificate(certificatePem).publicKey.export({
    type: "spki",
    format: "der",
  });
  return createHash("sha256").update(spki).digest("base64");
}

describe("the docs page in Chromium", () => {
  let browser: Browser;
  let page: Page;
  const requestedUrls: string[] = [];
  const problems: string[] = [];
  const operationSummary = (path: string) =>
    page.locator(`.opblock-post .opblock-summary-path[data-path="${path}"]`);

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install it with apt-get install -y chromium`);
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        // Without these Chromium calls Google's services, which is traffic off this machine.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // Trust exactly the test service's self-signed certificate, nothing else.
        `--ignore-certificate-errors-spki-list=${spkiHash(svc.ca)}`,
      ],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.on("request", (request) => requestedUrls.push(request.url()));
    page = await context.newPage();
    // CSP violations are reported as console errors.
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    const response = await page.goto(`${svc.url}/docs`);
    expect(response?.status()).toBe(200);
    await operationSummary("/v1/sentiment").waitFor({ state: "visible", timeout: 90_000 });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
  });

  it("shows the sentiment operations and the Authorize button", async () => {
    await expect(operationSummary("/v1/sentiment").isVisible()).resolves.toBe(true);
    await expect(operationSummary("/v1/sentiment/batch").isVisible()).resolves.toBe(true);
    await expect(page.getByRole("button", { name: "Authorize" }).isVisible()).resolves.toBe(true);
  });

  it("saves a screenshot of the page", async () => {
    const saved = join(mkdtempSync(join(tmpdir(), "sentiment-api-docs-")), "docs-page.png");
    await page.screenshot({ path: saved, fullPage: true });
    const png = readFileSync(saved);
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(png.length).toBeGreaterThan(10_000);
    if (process.env.UPDATE_SCREENSHOTS === "1") {
      mkdirSync(dirname(REPO_SCREENSHOT), { recursive: true });
      copyFileSync(saved, REPO_SCREENSHOT);
    }
  });

  it("lists the error codes of an operation once it is opened", async () => {
    await operationSummary("/v1/sentiment").click();
    const operation = page.locator("#operations-sentiment-scoreSentiment");
    await operation.getByText("token_replayed").first().waitFor({ timeout: 60_000 });
    for (const status of ["400", "401", "403", "413", "415", "503"]) {
      await expect(
        operation.locator(`tr.response[data-code="${status}"]`).count(),
        `response ${status}`,
      ).resolves.toBe(1);
    }
  }, 90_000);

  it("fetched nothing from any host but the service, and broke no rule of its CSP", () => {
    expect(requestedUrls).toContain(`${svc.url}/openapi.json`);
    for (const url of requestedUrls) expect(new URL(url).host).toBe(new URL(svc.url).host);
    expect(problems).toEqual([]);
  });
});
