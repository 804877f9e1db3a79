// The application shell: it loads from the server with nothing from any
// other host, signs in with a key and shows that key's role, switches to
// English, and opens with no connection once it has been loaded.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, newPage, signIn, shot, createAssociation } from "./harness.mjs";

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test("a visitor sees the start page in Spanish, from this origin only", async () => {
  const { context, page } = await newPage(browser, server);
  await page.goto(server.base + "/");
  await page.getByRole("heading", { level: 1 }).waitFor();
  assert.match(await page.getByRole("heading", { level: 1 }).innerText(), /fibra de alpaca/);
  assert.equal(await page.evaluate(() => document.documentElement.lang), "es");
  await page.getByRole("button", { name: "English" }).click();
  assert.match(await page.getByRole("heading", { level: 1 }).innerText(), /graded alpaca fibre/);
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
  await shot(page, "shell-start-en");
  assert.deepEqual(page.foreign, []);
  assert.deepEqual(page.consoleErrors, []);
  await context.close();
});

test("a wrong key is refused with what to do; a right one signs in", async () => {
  const { key } = await createAssociation(server, "Asociación Shell de Prueba", 1);
  const { context, page } = await newPage(browser, server);
  // A refused key keeps the sign-in page, saying why.
  await page.goto(server.base + "/ingresar");
  await page.getByLabel("Clave de API").fill("mlw_not-a-real-key-at-all-xxxxxxxxxxxx");
  await page.getByRole("button", { name: "Ingresar" }).click();
  await page.getByRole("alert").waitFor();
  assert.match(await page.getByRole("alert").innerText(), /no reconoce esa clave/);
  await signIn(page, server, key);
  await page.getByRole("button", { name: /Salir \(Asociación Shell de Prueba\)/, includeHidden: true }).waitFor({ state: "attached" });
  assert.notEqual(await page.evaluate(() => sessionStorage.getItem("millwa.key")), null);
  assert.equal(await page.evaluate(() => localStorage.getItem("millwa.key")), null);
  await shot(page, "shell-signed-in");
  assert.deepEqual(page.foreign, []);
  await context.close();
});

test("once loaded, the console opens with no connection", async () => {
  const { context, page } = await newPage(browser, server);
  await page.goto(server.base + "/");
  await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    return reg.active?.state;
  });
  await context.setOffline(true);
  await page.goto(server.base + "/ingresar");
  await page.getByLabel("Clave de API").waitFor();
  assert.equal(await page.getByText("Sin conexión").count(), 1);
  await shot(page, "shell-offline");
  await context.close();
});
