// Browser test of the docs pages: loads /docs and /redoc from a running API in
// headless Chromium, checks that every operation of /openapi.json is listed on
// both, runs Swagger UI's "Try it out" on GET / and expects a 200, checks that
// no request leaves the API's origin, and saves screenshots.
//
//   node tests/browser/docs.mjs BASE_URL OUT_DIR
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [base, outDir] = process.argv.slice(2);
if (!base || !outDir) {
  console.error("usage: node tests/browser/docs.mjs BASE_URL OUT_DIR");
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

const failures = [];
const check = (name, ok, detail = "") => {
  console.log(`${ok ? "ok  " : "FAIL"} - ${name}${ok || !detail ? "" : `: ${detail}`}`);
  if (!ok) failures.push(name);
};

// `cargo lambda watch` now and then loses a response of tens of kilobytes and
// answers its own 500 (type https://httpstatuses.com/500, see
// tests/contract/hooks.py); no function sends that. Only such an answer is
// fetched again, three times at most.
async function fetchDocument() {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${base}/openapi.json`);
    const body = await response.text();
    const emulatorFailure = response.status === 500 && body.includes('"type":"https://httpstatuses.com/500"');
    if (!emulatorFailure || attempt > 3) {
      if (!response.ok) {
        console.error(`GET /openapi.json answered ${response.status}: ${body.slice(0, 200)}`);
        process.exit(1);
      }
      return JSON.parse(body);
    }
    console.log(`GET /openapi.json: the emulator lost the response (attempt ${attempt}); fetching again`);
  }
}
const document = await fetchDocument();
const methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const operations = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.keys(item).filter((m) => methods.includes(m)).map((m) => ({
    method: m.toUpperCase(),
    path,
    id: item[m].operationId,
  })),
);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  // The flags keep Chromium from calling home, which this network refuses.
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  // Redoc's footer shows the Redocly logo from its CDN, hard-coded. The pages'
  // Content-Security-Policy blocks it before any connection is made (and Redoc
  // then hides the image); that one refusal is expected, anything else fails.
  const expectedRefusal = (text) => text.includes("cdn.redoc.ly/redoc/logo-mini");
  const isForeign = (url) =>
    !url.startsWith(base) && !url.startsWith("data:") && !url.startsWith("blob:");
  const foreign = [];
  const blocked = [];
  const pageErrors = [];
  page.on("response", (response) => {
    if (isForeign(response.url())) foreign.push(response.url());
  });
  page.on("requestfailed", (request) => {
    if (isForeign(request.url())) blocked.push(request.url());
  });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error" && !expectedRefusal(message.text())) {
      pageErrors.push(message.text());
    }
  });

  // Swagger UI
  // cargo lambda watch (the local emulator, not the function) answers a small
  // share of large responses (/openapi.json, the 450 KB Swagger UI bundle)
  // with its own 500 or not at all, while the function logged 200; Swagger UI
  // then shows its error box, or nothing. Load the page once more in that case
  // only, printing what the browser saw; a second failure still fails.
  // A page load the emulator leaves hanging is tried once more, with a note.
  const open = async (path) => {
    try {
      await page.goto(`${base}${path}`, { waitUntil: "networkidle", timeout: 30000 });
    } catch (error) {
      if (error.name !== "TimeoutError") throw error;
      console.log(`note: loading ${path} timed out (emulator?); page errors: ${JSON.stringify(pageErrors)}; once more`);
      pageErrors.length = 0;
      await page.goto(`${base}${path}`, { waitUntil: "networkidle", timeout: 30000 });
    }
  };
  const loadSwaggerUi = async () => {
    await open("/docs");
    try {
      await page.waitForSelector(".opblock, .errors-wrapper", { timeout: 30000 });
    } catch {
      return false;
    }
    return (await page.$(".opblock")) !== null;
  };
  if (!(await loadSwaggerUi())) {
    await page.screenshot({ path: join(outDir, "swagger-ui-load-failed.png"), fullPage: true });
    console.log(`note: Swagger UI did not render its operations; page errors: ${JSON.stringify(pageErrors)}; loading the page again`);
    pageErrors.length = 0;
    if (!(await loadSwaggerUi())) throw new Error("Swagger UI did not render its operations twice in a row");
  }
  const listed = await page.$$eval(".opblock", (blocks) =>
    blocks.map((block) => {
      const method = block.querySelector(".opblock-summary-method")?.textContent?.trim();
      const path = block.querySelector(".opblock-summary-path")?.getAttribute("data-path");
      return `${method} ${path}`;
    }),
  );
  const missing = operations.map((o) => `${o.method} ${o.path}`).filter((o) => !listed.includes(o));
  check(
    `Swagger UI lists all ${operations.length} operations`,
    missing.length === 0 && listed.length === operations.length,
    `missing ${JSON.stringify(missing)}, listed ${listed.length}`,
  );
  await page.screenshot({ path: join(outDir, "swagger-ui.png"), fullPage: true });

  const root = page.locator(".opblock-get", { has: page.locator('[data-path="/"]') }).first();
  await root.locator(".opblock-summary").click();
  await root.locator("button.try-out__btn").click();
  await root.locator("button.execute").click();
  const status = root.locator(".live-responses-table tbody .response-col_status").first();
  await status.waitFor({ timeout: 30000 });
  const code = (await status.textContent())?.trim();
  check("Try it out on GET / answers 200", code === "200", `got ${code}`);
  const requestUrl = await root.locator(".request-url pre").first().textContent().catch(() => "");
  check("Try it out called this deployment", (requestUrl ?? "").startsWith(base), requestUrl ?? "");
  await root.screenshot({ path: join(outDir, "swagger-ui-try-it-out.png") });

  // Redoc
  await open("/redoc");
  // Redoc 3 links each operation from its sidebar as `#/<tag>/<operationId>`.
  // Redoc fetches /openapi.json itself; under `cargo lambda watch` right after
  // the fuzzing run that fetch can be lost (the emulator failure hooks.py
  // retries for schemathesis), leaving Redoc's error page: load it once more.
  try {
    await page.waitForSelector('a[href^="#/"]', { timeout: 30000 });
  } catch (error) {
    if (error.name !== "TimeoutError") throw error;
    const shown = (await page.textContent("body").catch(() => "")) ?? "";
    console.log(`note: Redoc showed no operations (${shown.slice(0, 120).replace(/\s+/g, " ")}); once more`);
    pageErrors.length = 0;
    await open("/redoc");
    await page.waitForSelector('a[href^="#/"]', { timeout: 30000 });
  }
  await page.waitForTimeout(1000);
  const linked = await page.$$eval('a[href^="#/"]', (links) =>
    links.map((link) => link.getAttribute("href").split("/").slice(2).join("/")),
  );
  const missingRedoc = operations.map((o) => o.id).filter((id) => !linked.includes(id));
  check(
    `Redoc lists all ${operations.length} operations`,
    missingRedoc.length === 0,
    `missing ${JSON.stringify(missingRedoc)}`,
  );
  await page.screenshot({ path: join(outDir, "redoc.png") });

  check("no request left the API's origin", foreign.length === 0, JSON.stringify(foreign));
  check(
    "the only foreign request attempted is Redoc's logo, and the CSP refused it",
    blocked.every(expectedRefusal),
    JSON.stringify(blocked),
  );
  check("no script errors on the pages", pageErrors.length === 0, JSON.stringify(pageErrors));
} finally {
  await browser.close();
}

if (failures.length > 0) {
  console.error(`${failures.length} browser check(s) failed`);
  process.exit(1);
}
console.log(`screenshots in ${outDir}`);
