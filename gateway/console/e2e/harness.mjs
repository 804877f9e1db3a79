// The browser tests' harness: it builds cmd/millwa once, starts it on a
// fresh SQLite database (optionally seeded by `millwa demo`), and drives
// Debian's Chromium with playwright-core against the real server. Every
// test saves a screenshot of its view under e2e/screenshots/ (or
// $MILLWA_E2E_SCREENSHOTS).
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "..", "..", "..");
export const screenshotDir = process.env.MILLWA_E2E_SCREENSHOTS || join(here, "screenshots");

let binary = null;

/**
 * buildMillwa builds cmd/millwa once per test file, or takes the binary
 * $MILLWA_E2E_BINARY names (CI builds it once for every file).
 */
export function buildMillwa() {
  if (binary) return binary;
  if (process.env.MILLWA_E2E_BINARY) {
    binary = resolve(process.env.MILLWA_E2E_BINARY);
    return binary;
  }
  const dir = mkdtempSync(join(tmpdir(), "millwa-e2e-bin-"));
  binary = join(dir, "millwa");
  execFileSync("go", ["build", "-o", binary, "./cmd/millwa"], { cwd: repoRoot, stdio: "inherit" });
  return binary;
}

function chromiumPath() {
  for (const p of [process.env.CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"]) {
    if (p && existsSync(p)) return p;
  }
  throw new Error("Chromium is not installed: apt-get install chromium (CI installs it)");
}

/**
 * startServer starts millwa on a fresh SQLite database. With demo, the
 * database is first seeded by `millwa demo`. It returns the base URL, the
 * admin key and a stop function.
 */
export async function startServer({ demo = false, env = {} } = {}) {
  const bin = buildMillwa();
  const dir = mkdtempSync(join(tmpdir(), "millwa-e2e-"));
  const adminKey = "mlw_e2e_" + randomBytes(24).toString("hex");
  const baseEnv = {
    ...process.env,
    MILLWA_DATABASE_URL: `sqlite:${join(dir, "millwa.db")}`,
    MILLWA_HTTP_ADDR: "127.0.0.1:0",
    MILLWA_GRPC_ADDR: "127.0.0.1:0",
    MILLWA_METRICS_ADDR: "127.0.0.1:0",
    MILLWA_ADMIN_KEY: adminKey,
    MILLWA_LOG_LEVEL: "warn",
    MILLWA_RATE_LIMIT: "1000",
    MILLWA_RATE_BURST: "2000",
    ...env,
  };
  if (demo) {
    execFileSync(bin, ["demo"], { env: baseEnv, stdio: ["ignore", "ignore", "inherit"] });
  }
  const proc = spawn(bin, ["serve"], { env: { ...baseEnv, MILLWA_LOG_LEVEL: "info" }, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const base = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("millwa did not start in 30 s:\n" + log)), 30_000);
    const onData = (chunk) => {
      log += chunk.toString();
      for (const line of log.split("\n")) {
        if (!line.includes('"msg":"serving"')) continue;
        const m = /"http_addr":"([^"]+)"/.exec(line);
        if (m) {
          clearTimeout(timer);
          ok(`http://${m[1]}`);
          return;
        }
      }
    };
    proc.stdout.on("data", onData);
    proc.stderr.on("data", onData);
    proc.on("exit", (code) => fail(new Error(`millwa exited with ${code}:\n${log}`)));
  });
  return {
    base,
    adminKey,
    dir,
    log: () => log,
    async stop() {
      proc.kill("SIGTERM");
      await new Promise((r) => proc.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** call makes a REST call with a key and returns the parsed answer, throwing on an error status. */
export async function call(server, key, method, path, body) {
  const res = await fetch(server.base + path, {
    method,
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

/**
 * ruc makes a valid RUC (SUNAT's modulo-11 check digit) from a two-digit
 * prefix ("20" a company, "10" a person) and a number.
 */
export function ruc(prefix, n) {
  const body = prefix + String(n).padStart(8, "0");
  const weights = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
  const sum = [...body].reduce((acc, d, i) => acc + Number(d) * weights[i], 0);
  const check = (11 - (sum % 11)) % 10;
  return body + String(check);
}

/** createAssociation registers an association and returns it with an org-admin key for it. */
export async function createAssociation(server, legalName, n, ubigeo = "210101") {
  const association = await call(server, server.adminKey, "POST", "/v1/associations", {
    legalName,
    ruc: ruc("20", n),
    ubigeo,
    contact: { personName: "Rosa Quispe", phone: "+51951000" + String(n).padStart(3, "0") },
  });
  const key = await createKey(server, "ROLE_ASSOCIATION", association.name, legalName);
  return { association, key };
}

/** createKey makes an API key of role for organisation and returns its secret. */
export async function createKey(server, role, organisation, displayName = role) {
  const out = await call(server, server.adminKey, "POST", "/v1/apiKeys", {
    displayName,
    role,
    organisation,
    orgAdmin: true,
  });
  return out.secret;
}

/** launch starts headless Chromium. */
export async function launch() {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ["--no-sandbox", "--disable-gpu"] });
}

/**
 * newPage opens a phone-sized page (360 × 740) that records every request
 * to another origin in page.foreign, so a test can assert there were none.
 */
export async function newPage(browser, server, { width = 360, height = 740, lang = "es-PE" } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale: lang, serviceWorkers: "allow" });
  const page = await context.newPage();
  const origin = new URL(server.base).origin;
  page.foreign = [];
  page.consoleErrors = [];
  page.on("request", (req) => {
    const u = new URL(req.url());
    if (u.protocol !== "data:" && u.protocol !== "blob:" && u.origin !== origin) page.foreign.push(req.url());
  });
  page.on("console", (msg) => {
    if (msg.type() === "error") page.consoleErrors.push(msg.text());
  });
  page.on("pageerror", (err) => page.consoleErrors.push(String(err)));
  return { context, page };
}

/**
 * signIn signs in through the console's form with key, and returns once the
 * console has checked the key and left the sign-in page, so that a page
 * opened next finds the session.
 */
export async function signIn(page, server, key) {
  await page.goto(server.base + "/ingresar");
  await page.getByLabel("Clave de API").fill(key);
  await page.getByRole("button", { name: "Ingresar" }).click();
  await page.waitForURL((url) => url.pathname !== "/ingresar");
}

/** shot saves a screenshot of the page as name.png. */
export async function shot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

export function readJSON(path) {
  return JSON.parse(readFileSync(path, "utf8"));
}
