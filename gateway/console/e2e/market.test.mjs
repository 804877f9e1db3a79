// The market's pages in the browser, against the real server: a
// processor's buyer places an order in the console, an association's lot
// fills it through the API, and the trade appears on the open trades page
// from the live feed, with no reload; the buyer then takes the trade
// through its steps. The observatory of prices renders, with charts and
// tables, for a visitor without a key.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, newPage, signIn, shot, call, ruc, createAssociation, createKey } from "./harness.mjs";

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** newProcessor registers a processor and returns it with a key. */
async function newProcessor(name, n) {
  const processor = await call(server, server.adminKey, "POST", "/v1/processors", {
    legalName: name,
    ruc: ruc("20", n),
    ubigeo: "040101",
    plantLocation: "Parque Industrial de Arequipa",
    contact: { personName: "Ana Flores", phone: "+51954000" + String(n).padStart(3, "0") },
  });
  return { processor, key: await createKey(server, "ROLE_PROCESSOR", processor.name, name) };
}

/** newSeller registers an association with a member and a classifier, ready to offer lots. */
async function newSeller(name, n) {
  const { association, key } = await createAssociation(server, name, n);
  const member = await call(server, key, "POST", `/v1/${association.name}/members`, {
    displayName: "Justina Quispe Puma",
    dni: String(41000000 + n),
    sex: "SEX_FEMALE",
  });
  const classifier = await call(server, key, "POST", `/v1/${association.name}/classifiers`, {
    displayName: "Fortunato Quispe Huarachi",
    dni: String(47000000 + n),
    certificationNumber: `SINEACE-ALP-${1000 + n}`,
    certificationDate: "2023-08-15",
  });
  return { association, key, member, classifier };
}

/** offerLot has a seller offer a lot of one member's fibre. */
function offerLot(seller, { group, kg, ask, number }) {
  return call(server, seller.key, "POST", `/v1/${seller.association.name}/lots`, {
    campaign: 2026,
    breed: "HUACAYA",
    colour: "WHITE",
    declaredQualityGroup: group,
    netWeightGrams: String(kg * 1000),
    contributions: [{ member: seller.member.name, grams: String(kg * 1000) }],
    classifier: seller.classifier.name,
    askPricePerKg: String(ask),
    lotNumber: number,
  });
}

/** openNav follows a link of the navigation, opening the phone's menu first. */
async function openNav(page, name) {
  const menu = page.getByRole("button", { name: "Menú" });
  if (await menu.isVisible()) await menu.click();
  await page.getByRole("navigation").getByRole("link", { name }).click();
}

let buyer, seller, page, context;

test("a processor's order is filled and the live feed shows the trade without a reload", async () => {
  buyer = await newProcessor("Hilandería Andina del Sur S.A.C.", 501);
  seller = await newSeller("Asociación de Alpaqueros Feria de Prueba", 502);
  ({ context, page } = await newPage(browser, server));
  await signIn(page, server, buyer.key);
  // The processor's start page is its trades, with the live feed.
  await page.getByRole("heading", { level: 1, name: "Compras" }).waitFor();

  // The order, placed in the console.
  await openNav(page, "Órdenes de compra");
  await page.getByRole("button", { name: "Nueva orden" }).click();
  await page.getByRole("button", { name: "Publicar la orden" }).click();
  // Nothing ticked and nothing typed: the fields say what to do.
  await page.getByText("Marque al menos una calidad.").waitFor();
  assert.equal(await page.getByText("Escriba los kilos con números, por ejemplo 500 o 250,5 (hasta gramos).").count(), 1);
  await page.getByRole("checkbox", { name: "Alpaca Baby", exact: true }).check();
  await page.getByLabel("Cantidad (kg)").fill("100");
  await page.getByLabel("Oferta por kg").fill("24,50");
  // An expiry two years ahead: the service refuses it, and its reason shows at the field.
  const later = new Date(Date.now() + 2 * 365 * 86400e3).toISOString().slice(0, 10);
  await page.getByLabel("Vence el").fill(later);
  await page.getByRole("button", { name: "Publicar la orden" }).click();
  await page.locator(".field.invalid").filter({ has: page.getByLabel("Vence el") }).getByRole("alert").waitFor();
  assert.equal((await call(server, buyer.key, "GET", `/v1/${buyer.processor.name}/purchaseOrders`)).purchaseOrders?.length ?? 0, 0);
  await page.getByLabel("Vence el").fill(new Date(Date.now() + 30 * 86400e3).toISOString().slice(0, 10));
  await page.getByRole("button", { name: "Publicar la orden" }).click();
  await page.getByText("Orden publicada. Aún no hay lotes que la cumplan").waitFor();
  await page.getByRole("cell", { name: "Abierta" }).waitFor();
  const orders = await call(server, buyer.key, "GET", `/v1/${buyer.processor.name}/purchaseOrders`);
  assert.equal(orders.purchaseOrders.length, 1);
  assert.equal(orders.purchaseOrders[0].quantityGrams, "100000");
  assert.equal(orders.purchaseOrders[0].bidPricePerKg, "2450");
  assert.deepEqual(orders.purchaseOrders[0].acceptedQualityGroups, ["BABY"]);
  await shot(page, "market-order-placed");

  // Back to the trades, in the application: the page is never reloaded.
  await page.evaluate(() => ((window).__sameDocument = true));
  await openNav(page, "Compras");
  await page.locator("[data-feed-state=live]").waitFor();
  assert.equal(await page.getByRole("link", { name: "E2E-0001" }).count(), 0);

  // The association offers a lot that the order accepts: continuous matching fills it at once.
  const lot = await offerLot(seller, { group: "BABY", kg: 40, ask: 2300, number: "E2E-0001" });
  assert.equal(lot.state, "LOT_STATE_ALLOCATED");

  const feed = page.getByRole("list", { name: "Últimas novedades del mercado" });
  await feed.getByText("Nueva compra").waitFor();
  await feed.getByRole("link", { name: /^Lote E2E-0001: Alpaca Baby, 40 kg .* de Asociación de Alpaqueros Feria de Prueba$/ }).waitFor();
  await page.getByRole("table").getByRole("link", { name: "E2E-0001" }).waitFor();
  assert.match(await page.getByRole("table").innerText(), /Asociación de Alpaqueros Feria de Prueba/);
  assert.match(await page.getByRole("table").innerText(), /Por confirmar/);
  assert.equal(await page.evaluate(() => (window).__sameDocument), true, "the page was reloaded");
  await shot(page, "market-live-trade");
  assert.deepEqual(page.foreign, []);
  // The one refusal the browser logs is the order the service refused above.
  assert.deepEqual(page.consoleErrors.filter((e) => !/status of 400/.test(e)), []);
});

test("the buyer confirms, records the delivery and pays in two parts", async () => {
  await page.getByRole("table").getByRole("link", { name: "E2E-0001" }).click();
  await page.getByRole("heading", { level: 1, name: "Compra del lote E2E-0001" }).waitFor();
  // 40 kg at 23.75, the midpoint of the bid (24.50) and the ask (23.00).
  assert.match(await page.locator("dl.facts").first().innerText(), /S\/\s?950\.00/);
  await page.getByRole("button", { name: "Confirmar la compra" }).click();
  await page.getByText("Usted ya confirmó. Falta que confirme Asociación de Alpaqueros Feria de Prueba.").waitFor();

  // The association confirms through the API; the page follows the feed.
  const [trade] = (await call(server, seller.key, "GET", "/v1/trades")).trades;
  await call(server, seller.key, "POST", `/v1/${trade.name}:confirm`, {});
  await page.getByLabel("Peso recibido (kg)").waitFor();
  await page.getByLabel("Peso recibido (kg)").fill("38");
  await page.getByRole("button", { name: "Registrar la entrega" }).click();
  await page.getByText("Entrega registrada.").waitFor();
  // 38 of 40 kg delivered: the amount due falls in proportion, to 38 × 23.75 = 902.50.
  await page.getByText(/Monto a pagar S\/\s?902\.50; pagado S\/\s?0\.00; falta S\/\s?902\.50/).waitFor();

  // A payment above what is outstanding is refused at its field, naming the outstanding amount, and nothing is sent.
  await page.getByLabel(/Monto de este pago/).fill("1000");
  await page.getByLabel("Referencia del pago").fill("Operación BCP 0001");
  await page.getByRole("button", { name: "Registrar el pago" }).click();
  await page.locator(".field.invalid").getByRole("alert").waitFor();
  assert.match(await page.locator(".field.invalid").getByRole("alert").innerText(), /El monto pasa lo que falta pagar \(S\/\s?902\.50\)/);
  assert.equal((await call(server, buyer.key, "GET", `/v1/${trade.name}`)).paidAmount, "0");

  await page.getByLabel(/Monto de este pago/).fill("500");
  await page.getByRole("button", { name: "Registrar el pago" }).click();
  await page.getByText(/pagado S\/\s?500\.00; falta S\/\s?402\.50/).waitFor();
  await page.getByLabel(/Monto de este pago/).fill("402,50");
  await page.getByLabel("Referencia del pago").fill("Operación BCP 0002");
  await page.getByRole("button", { name: "Registrar el pago" }).click();
  await page.getByText(/Pagada por completo \(S\/\s?902\.50\)/).waitFor();
  const paid = await call(server, buyer.key, "GET", `/v1/${trade.name}`);
  assert.equal(paid.state, "TRADE_STATE_PAID");
  assert.equal(paid.deliveredGrams, "38000");
  assert.equal(paid.paidAmount, "90250");
  // The lot's bale label, read with the buyer's key.
  await page.getByRole("button", { name: "Ver la etiqueta del fardo" }).click();
  await page.getByRole("img", { name: "Etiqueta del fardo del lote E2E-0001" }).waitFor();
  assert.ok(await page.getByRole("img", { name: "Etiqueta del fardo del lote E2E-0001" }).evaluate((img) => img.naturalWidth > 0));
  await shot(page, "market-trade-paid");
  assert.deepEqual(page.foreign, []);
  await context.close();
});

test("the live feed resumes after the connection drops, missing nothing", async () => {
  const { context, page } = await newPage(browser, server);
  await signIn(page, server, buyer.key);
  await page.locator("[data-feed-state=live]").waitFor();
  await page.evaluate(() => ((window).__sameDocument = true));
  const feed = page.getByRole("list", { name: "Últimas novedades del mercado" });
  await offerLot(seller, { group: "BABY", kg: 30, ask: 2400, number: "E2E-0002" });
  await feed.getByRole("link", { name: /^Lote E2E-0002: Alpaca Baby, 30 kg/ }).waitFor();
  await context.setOffline(true);
  await page.locator("[data-feed-state=retrying]").waitFor();
  await page.getByText("Se perdió la conexión con el mercado.", { exact: false }).waitFor();
  // A trade made while the buyer is offline, which fills the order: the
  // stream resumes after the last event the page had, so both arrive.
  await offerLot(seller, { group: "BABY", kg: 30, ask: 2400, number: "E2E-0003" });
  await shot(page, "market-feed-offline");
  await context.setOffline(false);
  await page.locator("[data-feed-state=live]").waitFor();
  await feed.getByRole("link", { name: /^Lote E2E-0003: Alpaca Baby, 30 kg/ }).waitFor();
  await feed.getByText("Orden completada").waitFor();
  assert.equal(await feed.getByRole("link", { name: /^Lote E2E-0002:/ }).count(), 1);
  await page.getByRole("table").getByRole("link", { name: "E2E-0003" }).waitFor();
  assert.equal(await page.evaluate(() => (window).__sameDocument), true, "the page was reloaded");
  await shot(page, "market-feed-resumed");
  // With the order filled, a new lot stays on offer: the buyer finds it among the lots for sale.
  await offerLot(seller, { group: "BABY", kg: 20, ask: 2100, number: "E2E-0004" });
  await offerLot(seller, { group: "FLEECE", kg: 20, ask: 1500, number: "E2E-0005" });
  // The page's first read (every quality) is held back until the filtered one has
  // answered: its late answer must not replace the list the buyer asked for.
  const unfiltered = (url) => url.pathname === "/v1/associations/-/lots" && !(url.searchParams.get("filter") ?? "").includes("quality_group");
  let release;
  const held = new Promise((r) => (release = r));
  await page.route(unfiltered, async (route) => {
    await held;
    await route.continue();
  });
  await openNav(page, "Lotes en venta");
  await page.getByLabel("Calidad").selectOption("BABY");
  await page.getByRole("cell", { name: "E2E-0004" }).waitFor();
  const late = page.waitForResponse((r) => unfiltered(new URL(r.url())));
  release();
  await late;
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 100))));
  await page.unroute(unfiltered);
  assert.equal(await page.getByRole("cell", { name: "E2E-0004" }).count(), 1);
  assert.equal(await page.getByRole("cell", { name: "E2E-0005" }).count(), 0);
  // The lots it bought whole are no longer for sale.
  assert.equal(await page.getByRole("cell", { name: "E2E-0001" }).count(), 0);
  assert.match(await page.getByRole("table").innerText(), /S\/\s?21\.00/);
  await shot(page, "market-lots");
  assert.deepEqual(page.foreign, []);
  await context.close();
});

test("the observatory renders prices without a key", async () => {
  // Three associations sell the same quality in the same week, so the cell is published.
  const { processor, key } = await newProcessor("Textil Observatorio S.A.", 601);
  await call(server, key, "POST", `/v1/${processor.name}/purchaseOrders`, {
    acceptedQualityGroups: ["FLEECE"],
    quantityGrams: "500000",
    bidPricePerKg: "1800",
    expireTime: new Date(Date.now() + 30 * 86400e3).toISOString(),
  });
  for (let i = 0; i < 3; i++) {
    const s = await newSeller(`Asociación Observatorio ${i + 1}`, 610 + i);
    const lot = await offerLot(s, { group: "FLEECE", kg: 50, ask: 1600, number: `OBS-${i + 1}` });
    const { trades } = await call(server, s.key, "GET", `/v1/trades?filter=${encodeURIComponent(`lot = "${lot.name}"`)}`);
    await call(server, s.key, "POST", `/v1/${trades[0].name}:confirm`, {});
    await call(server, key, "POST", `/v1/${trades[0].name}:confirm`, {});
  }
  const { context, page } = await newPage(browser, server);
  await page.goto(server.base + "/observatorio");
  await page.getByRole("heading", { level: 1, name: "Observatorio de precios de la fibra de alpaca" }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem("millwa.key")), null);
  const bars = page.getByRole("img", { name: "Precio promedio por kilo según la calidad" });
  await bars.waitFor();
  assert.match(await bars.getAttribute("aria-labelledby"), /\S+ \S+/);
  await page.getByRole("img", { name: "Precio por kilo de cada calidad, semana a semana" }).waitFor();
  const cells = page.getByRole("table").filter({ hasText: "de semana, región, calidad y color" });
  // Quality names come from the standards, read beside the prices: wait for them.
  await cells.getByText("Alpaca Fleece").first().waitFor();
  const text = await cells.innerText();
  assert.match(text, /Puno/);
  assert.match(text, /Alpaca Fleece/);
  assert.match(text, /S\/\s?17\.00/);
  // English by the switch, the same numbers.
  await page.getByRole("button", { name: "English" }).click();
  await page.getByRole("heading", { level: 1, name: "Alpaca fibre price observatory" }).waitFor();
  await page.getByRole("img", { name: "Average price per kilogram by quality" }).waitFor();
  assert.match(await page.getByRole("table").filter({ hasText: "of week, region, quality and colour" }).innerText(), /Alpaca Fleece[\s\S]*S\/\s?17\.00/);
  await shot(page, "market-observatory-en");
  await page.getByRole("button", { name: "Español" }).click();
  await shot(page, "market-observatory");
  assert.deepEqual(page.foreign, []);
  await context.close();
});
