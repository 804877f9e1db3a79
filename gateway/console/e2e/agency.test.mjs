// The agency's inspector on the season of `millwa demo`: the report lists
// the demo's lenient classifier first and draws the heat map and the
// monthly agreement; a sampling plan is proposed and its lots checked; the
// audit chain verifies from the console. One demo server for the file.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, newPage, signIn, shot, call, createKey } from "./harness.mjs";

// The demo's lenient classifier (cmd/millwa/internal/demo, README's demo
// summary): one classifier of Nuevo Amanecer de Macusani declares every lot
// a group finer than it is.
const LENIENT = "Hilario Layme Condori";
const AGENCY = "Dirección Regional Agraria Puno";

// One signed-in phone for the file: the tests move between pages the way
// the console's own links do, without loading the application again.
let server, browser, context, page;
before(async () => {
  server = await startServer({ demo: true });
  browser = await launch();
  const { agencies } = await call(server, server.adminKey, "GET", "/v1/agencies");
  const agency = agencies.find((a) => a.displayName === AGENCY);
  assert.ok(agency, `the demo registers ${AGENCY}`);
  const key = await createKey(server, "ROLE_AGENCY", agency.name, AGENCY);
  ({ context, page } = await newPage(browser, server));
  await signIn(page, server, key);
  // The agency's start page is the report.
  await page.waitForURL(/\/agencia\/informe/);
});
after(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
});

/** go opens a page of the console as its links do. */
async function go(path) {
  await page.evaluate((p) => {
    history.pushState(null, "", p);
    dispatchEvent(new PopStateEvent("popstate"));
  }, path);
}

test("the report lists the demo's lenient classifier first, with its heat map and monthly agreement", async () => {
  // The report of the agency's region (Puno, 21).
  const first = page.locator("#ranking > li").first();
  await first.waitFor();
  assert.equal((await first.locator(".classifier-name").innerText()).trim(), LENIENT);
  assert.match(await first.innerText(), /más finos que lo medido/);
  assert.match(await page.locator("#summary-h").innerText(), /Puno/);
  // The drawings are there, each an image named by its title.
  assert.equal(await page.locator('svg.heatmap[role="img"][aria-labelledby="heatmap-title heatmap-desc"]').count(), 1);
  assert.match(await page.locator("#heatmap-title").textContent(), /Matriz de confusión/);
  assert.match(await page.locator("#monthly-title").textContent(), /Acuerdo por mes/);
  assert.ok((await page.locator("svg.heatmap g.cell.diagonal").count()) >= 2);
  // The HTML report opens in a new tab with a session token, never the key.
  const [tab] = await Promise.all([context.waitForEvent("page"), page.locator("a.button", { hasText: "Abrir informe imprimible" }).click()]);
  await tab.waitForURL(/consistencyReport\.html\?.*access_token=mlwt_/);
  await tab.locator("#heatmap").waitFor();
  assert.doesNotMatch(tab.url(), /mlw_e2e_|Bearer/);
  await tab.close();
  // The spreadsheet downloads with the key, named after the scope and period.
  const [csv] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Descargar CSV" }).click()]);
  assert.match(csv.suggestedFilename(), /^informe-consistencia_region-21_\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}\.csv$/);
  await shot(page, "agency-report");
  assert.deepEqual(page.foreign, []);
  assert.deepEqual(page.consoleErrors, []);
});

test("an inspector proposes a sampling plan, sees its lots and records a check of one", async () => {
  await go("/agencia/muestreos");
  await page.getByRole("button", { name: "Proponer y guardar" }).click();
  await page.waitForURL(/\/agencia\/muestreos\/[0-9a-f-]+$/);
  const lenient = page.locator("section.sample", { hasText: LENIENT });
  await lenient.waitFor();
  assert.match(await lenient.innerText(), /Inspección rigurosa/);
  assert.match(await lenient.innerText(), /2026-\d{4}/);
  await shot(page, "agency-plan");
  await lenient.getByRole("link", { name: /^Verificar el lote/ }).first().click();
  await page.waitForURL(/\/agencia\/verificaciones\/nueva/);
  // The lot the plan chose is shown with what its classifier declared.
  await page.locator("#lot-summary").waitFor();
  assert.match(await page.locator("#lot-summary").innerText(), /Lote número 2026-\d{4}/);
  await page.getByLabel("Diámetro medio (µm)").fill("30,5");
  await page.getByLabel("Fibras medidas").fill("3000");
  await page.getByRole("button", { name: "Registrar verificación" }).click();
  await page.getByText("Verificación registrada.").waitFor();
  assert.match(await page.locator(".notice").innerText(), /Declarado \S+; Millwa halló/);
  await shot(page, "agency-check");
  await page.getByRole("link", { name: "Todas las verificaciones" }).click();
  await page.locator("table.data tbody tr").first().waitFor();
  assert.ok((await page.locator("table.data tbody tr").count()) > 1);
  // The newest check names the bale number and the classifier, as the inspector reads them.
  const newest = await page.locator("table.data tbody tr").first().innerText();
  assert.match(newest, /2026-\d{4}/);
  assert.ok(newest.includes(LENIENT), `the newest check names ${LENIENT}: ${newest}`);
  await shot(page, "agency-checks");
  // The check opens on a page of its own, read back from the service, with what was measured.
  const bale = newest.match(/2026-\d{4}/)[0];
  await page.locator("table.data tbody tr").first().getByRole("link", { name: new RegExp(`^Abrir la verificación del lote ${bale}`) }).click();
  await page.waitForURL(/\/agencia\/verificaciones\/[0-9a-f-]{36}$/);
  await page.getByRole("heading", { level: 1, name: "Verificación" }).waitFor();
  const facts = await page.locator("#check-facts").innerText();
  assert.match(facts, new RegExp(`Lote número ${bale}`));
  assert.ok(facts.includes(LENIENT), `the check's page names ${LENIENT}: ${facts}`);
  assert.match(facts, /30[.,]5\s?µm/);
  assert.match(facts, /3[,.\s]?000/);
  assert.match(await page.locator(".notice").innerText(), /Declarado \S+; Millwa halló/);
  assert.equal(await page.getByText("Verificación registrada.").count(), 0);
  await shot(page, "agency-check-page");
  assert.deepEqual(page.foreign, []);
  assert.deepEqual(page.consoleErrors, []);
});

test("the audit chain verifies from the console, against a checkpoint saved from it", async () => {
  await go("/agencia/auditoria");
  await page.locator("table.data tbody tr").first().waitFor();
  await page.getByRole("button", { name: "Verificar la cadena" }).click();
  const verdict = page.locator("#chain-verdict");
  await verdict.waitFor();
  assert.match(await verdict.innerText(), /Cadena verificada hasta la secuencia [\d,]+\./);
  // A signed checkpoint saved now is given back to the next verification.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Guardar punto de control" }).click()]);
  assert.match(download.suggestedFilename(), /^millwa-checkpoint-\d+-\d{4}-\d{2}-\d{2}\.json$/);
  await page.getByLabel("Puntos de control guardados (opcional)").setInputFiles(await download.path());
  await page.getByRole("button", { name: "Verificar la cadena" }).click();
  await page.getByText("Coincide con los puntos de control dados (1).").waitFor();
  assert.match(await verdict.innerText(), /Cadena verificada hasta la secuencia [\d,]+\./);
  await shot(page, "agency-audit-verified");
  // Filtered by action, the list and its next page keep to the filter.
  const rows = page.locator("table.data tbody tr");
  await page.getByLabel("Acción").selectOption("create");
  await Promise.all([
    page.waitForResponse((r) => r.url().includes("/v1/audit/events") && r.url().includes("filter=")),
    page.getByRole("button", { name: "Filtrar" }).click(),
  ]);
  await page.getByRole("button", { name: "Ver más" }).click();
  await rows.nth(20).waitFor();
  const actions = await rows.evaluateAll((trs) => trs.map((tr) => tr.querySelectorAll("td")[2]?.textContent?.trim()));
  assert.ok(actions.length > 20, `a second page of create events: ${actions.length} rows`);
  assert.deepEqual([...new Set(actions)], ["create"]);
  assert.deepEqual(page.foreign, []);
  assert.deepEqual(page.consoleErrors, []);
});
