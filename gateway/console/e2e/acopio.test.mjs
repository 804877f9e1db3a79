// The acopio pages as a clerk at a collection centre uses them: three
// deliveries recorded with the network cut wait on the phone, are sent once
// when it returns (and a second send of the same request makes nothing
// new), then become a lot whose label prints; and a lot typed by its
// measurement is graded live as the clerk types.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { startServer, launch, newPage, signIn, shot, createAssociation, createKey, call, ruc } from "./harness.mjs";

let server, browser, assoc, key;
const memberNames = ["Justina Quispe Puma", "Edwin Chambi Layme", "Lucía Layme Huamán"];

before(async () => {
  server = await startServer();
  browser = await launch();
  ({ association: assoc, key } = await createAssociation(server, "Asociación Acopio de Prueba", 41));
  for (const [i, displayName] of memberNames.entries()) {
    await call(server, key, "POST", `/v1/${assoc.name}/members`, { displayName, dni: String(41000001 + i), sex: i === 1 ? "SEX_MALE" : "SEX_FEMALE" });
  }
  await call(server, key, "POST", `/v1/${assoc.name}/classifiers`, {
    displayName: "Nilda Ccallo Huamán",
    dni: "42000001",
    certificationNumber: "SINEACE-0001",
    certificationDate: "2024-03-01",
  });
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

async function receipts() {
  const out = await call(server, key, "GET", `/v1/${assoc.name}/receipts?pageSize=100`);
  return out.receipts ?? [];
}

test("a clerk records three deliveries offline, each is made once when the signal returns, and they become a lot with its label", async () => {
  const { context, page } = await newPage(browser, server);
  await signIn(page, server, key);
  await page.getByRole("heading", { name: "Recepciones" }).waitFor();
  await page.getByRole("link", { name: "Registrar recepción" }).click();
  const form = page.getByRole("form", { name: "Nueva recepción" });
  await form.waitFor();
  await page.getByLabel("Clasificador(a)").selectOption({ label: "Nilda Ccallo Huamán" });
  await page.getByLabel("Centro de acopio").fill("Centro de acopio Ichu");

  await context.setOffline(true);
  const kilos = ["12,5", "8", "20,25"];
  for (const [i, name] of memberNames.entries()) {
    await page.getByLabel("Buscar socio por nombre o DNI").fill(name.split(" ")[2].normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase() + " " + name.split(" ")[0]);
    assert.equal(await page.getByLabel("Socio elegido").inputValue() !== "", true, `the search finds ${name}`);
    await page.getByLabel("Número de vellones").fill(String(i + 2));
    await page.getByLabel("Peso neto (kg)").fill(kilos[i]);
    await page.getByLabel("Alpaca Baby", { exact: true }).fill(kilos[i]);
    if (i === 0) await shot(page, "acopio-receipt-form");
    await page.getByRole("button", { name: "Registrar recepción" }).click();
    await page.getByText(`Recepción de ${name}`).first().waitFor();
  }
  assert.equal((await receipts()).length, 0, "nothing reached the server while offline");
  await page.getByText("3 por enviar").waitFor();

  await page.getByRole("link", { name: "Ver recepciones" }).click();
  const waiting = page.getByTestId("waiting-receipts").locator("li");
  await page.getByRole("heading", { name: "Por enviar (3)" }).waitFor();
  assert.equal(await waiting.count(), 3);
  await shot(page, "acopio-waiting");

  // What waits, as the phone keeps it: the request ids the retries will reuse.
  const kept = await page.evaluate(
    () =>
      new Promise((ok, fail) => {
        const req = indexedDB.open("millwa", 1);
        req.onsuccess = () => {
          const all = req.result.transaction("outbox").objectStore("outbox").getAll();
          all.onsuccess = () => ok(all.result);
          all.onerror = () => fail(all.error);
        };
        req.onerror = () => fail(req.error);
      }),
  );
  assert.equal(kept.length, 3);

  await context.setOffline(false);
  await page.getByTestId("waiting-receipts").waitFor({ state: "detached" });
  await page.getByText(/\d+ por enviar/).waitFor({ state: "detached" });
  let made = await receipts();
  assert.equal(made.length, 3);
  assert.deepEqual(made.map((r) => r.memberDisplayName).sort(), [...memberNames].sort());
  assert.deepEqual(made.map((r) => r.netWeightGrams).sort(), ["12500", "20250", "8000"]);

  // The same sends again (an answer lost on the way back): nothing new.
  for (const p of kept) {
    const again = await call(server, key, "POST", `${p.path}?requestId=${encodeURIComponent(p.requestId)}`, p.body);
    assert.ok(made.some((r) => r.name === again.name), "a repeated send answers the receipt already made");
  }
  made = await receipts();
  assert.equal(made.length, 3);
  await page.getByRole("cell", { name: /Lucía Layme Huamán/ }).first().waitFor();

  // A lot from the three receipts.
  await page.goto(server.base + "/acopio/lotes/armar");
  await page.getByRole("heading", { name: "Armar un lote con recepciones" }).waitFor();
  await page.getByRole("button", { name: "Tomar todo lo que queda" }).click();
  await page.getByText("Peso del lote: 40.750 kg").waitFor();
  await page.getByLabel("N.° de lote").fill("2026-0001");
  await page.getByLabel("Precio pedido por kg (S/)").fill("18,50");
  await shot(page, "acopio-lot-builder");
  await page.getByRole("button", { name: "Crear lote" }).click();
  await page.getByText("Lote 2026-0001 creado").waitFor();

  const lots = (await call(server, key, "GET", `/v1/${assoc.name}/lots`)).lots ?? [];
  assert.equal(lots.length, 1);
  assert.equal(lots[0].netWeightGrams, "40750");
  assert.equal(lots[0].sources.length, 3);
  assert.equal(lots[0].declaredQualityGroup, "BABY");
  for (const r of await receipts()) assert.equal(r.unusedGrams.BABY ?? "0", "0");

  const [label, file] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith("/label.pdf")),
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Imprimir etiqueta" }).click(),
  ]);
  assert.equal(label.status(), 200);
  assert.match(label.headers()["content-type"], /application\/pdf/);
  assert.equal(file.suggestedFilename(), "etiqueta-2026-0001.pdf");
  assert.equal(readFileSync(await file.path()).subarray(0, 5).toString(), "%PDF-");

  assert.deepEqual(page.foreign, []);
  await context.close();
});

test("a lot typed by its measurement is graded as the clerk types, and a borderline one is explained", async () => {
  const { context, page } = await newPage(browser, server);
  await signIn(page, server, key);
  await page.getByRole("heading", { name: "Recepciones" }).waitFor();
  await page.goto(server.base + "/acopio/lotes/nuevo");
  await page.getByRole("heading", { name: "Registrar un lote por medición" }).waitFor();
  const feedback = page.getByTestId("grade-feedback");

  await page.getByLabel("Diámetro medio (µm)").fill("22,8");
  await page.getByLabel("Desviación estándar (µm)").fill("4,5");
  await page.getByLabel("Fibras medidas").fill("100");
  await page.getByLabel("Longitud de mecha (mm)").fill("80");
  await feedback.getByText("Según la norma: Alpaca Baby").waitFor();
  await feedback.getByText(/Está en el límite/).waitFor();
  assert.match(await feedback.innerText(), /Alpaca Fleece/);
  assert.equal(await page.getByLabel("Grupo declarado por el clasificador").inputValue(), "BABY");
  await shot(page, "acopio-live-grade");

  await page.getByLabel("Diámetro medio (µm)").fill("18,2");
  await page.getByLabel("Fibras medidas").fill("4000");
  await feedback.getByText("Según la norma: Alpaca Super Baby").waitFor();
  assert.equal(await feedback.getByText(/Está en el límite/).count(), 0);
  await feedback.getByText(/El clasificador declaró Alpaca Baby/).waitFor();

  assert.deepEqual(page.foreign, []);
  assert.deepEqual(page.consoleErrors, []);
  await context.close();
});

test("a CSV of lots is checked line by line, imported with progress, and importing it again makes nothing twice", async () => {
  const { context, page } = await newPage(browser, server);
  await signIn(page, server, key);
  await page.getByRole("heading", { name: "Recepciones" }).waitFor();
  await page.goto(server.base + "/acopio/lotes/importar");
  await page.getByRole("heading", { name: "Importar lotes desde CSV" }).waitFor();
  const header = "numero_lote,campaña,raza,color,grupo,clasificador,peso_neto_kg,precio_soles,centro_acopio,socio_1,kg_1,socio_2,kg_2";
  const rows = [
    "C-001,2026,Huacaya,Blanco,Baby,42000001,46,22.50,Centro de acopio Ichu,41000001,30,41000002,16",
    'C-002,2026,HUACAYA,Beige claro,FS,42000001,10.5,18,"Ichu, sector alto",41000003,10.5,,',
    "C-003,2026,Huacaya,Blanco,Baby,42000001,5,20,Ichu,49999999,5,,",
  ];
  const upload = (lines) => page.getByLabel("Archivo CSV").setInputFiles({ name: "lotes.csv", mimeType: "text/csv", buffer: Buffer.from("\ufeff" + [header, ...lines].join("\r\n") + "\r\n") });

  await upload(rows);
  await page.getByRole("button", { name: "Revisar e importar" }).click();
  await page.getByRole("heading", { name: "1 errores en el archivo" }).waitFor();
  assert.match(await page.locator(".import-errors").innerText(), /Línea 4 · member_1: «49999999» no es un socio/);
  const before = ((await call(server, key, "GET", `/v1/${assoc.name}/lots?filter=${encodeURIComponent('lot_number = "C-001"')}`)).lots ?? []).length;
  assert.equal(before, 0, "a file with an error sends nothing");

  for (let round = 0; round < 2; round++) {
    await upload(rows.slice(0, 2));
    await page.getByRole("button", { name: "Revisar e importar" }).click();
    await page.getByText("Listo: 2 lotes creados").waitFor();
    assert.equal(await page.getByText("2 de 2 lotes enviados").count(), 1);
  }
  await shot(page, "acopio-import");
  const lots = (await call(server, key, "GET", `/v1/${assoc.name}/lots?search=C-00&pageSize=50`)).lots ?? [];
  assert.deepEqual(lots.map((l) => l.lotNumber).sort(), ["C-001", "C-002"]);
  const c2 = lots.find((l) => l.lotNumber === "C-002");
  assert.equal(c2.colour, "LIGHT_FAWN");
  assert.equal(c2.declaredQualityGroup, "FLEECE");
  assert.equal(c2.collectionPoint, "Ichu, sector alto");
  assert.deepEqual(page.foreign, []);
  await context.close();
});

test("every acopio page opens on a phone without an error; a receipt is voided, labels print", async () => {
  const member = (await call(server, key, "GET", `/v1/${assoc.name}/members?search=edwin`)).members[0];
  const classifier = (await call(server, key, "GET", `/v1/${assoc.name}/classifiers`)).classifiers[0];
  const wrong = await call(server, key, "POST", `/v1/${assoc.name}/receipts`, {
    member: member.name,
    campaign: 2026,
    collectionPoint: "Ichu",
    breed: "HUACAYA",
    colour: "WHITE",
    fleeceCount: 1,
    netWeightGrams: "3000",
    classifier: classifier.name,
    groupGrams: { FLEECE: "3000" },
  });
  const { context, page } = await newPage(browser, server);
  await signIn(page, server, key);
  await page.getByRole("heading", { name: "Recepciones" }).waitFor();
  await page.getByRole("button", { name: `Anular la recepción N.° ${wrong.receiptNumber}` }).click();
  // The void button gives way to the question at once: wait for the
  // answer to the void itself.
  const [voided] = await Promise.all([
    page.waitForResponse((r) => r.url().includes(":void") && r.request().method() === "POST"),
    page.getByRole("button", { name: "Sí, anular" }).click(),
  ]);
  assert.equal(voided.status(), 200);
  await page.getByRole("button", { name: "Sí, anular" }).waitFor({ state: "detached" });
  assert.equal((await call(server, key, "GET", `/v1/${wrong.name}`)).state, "RECEIPT_STATE_VOIDED");
  for (const [path, title, name] of [
    ["/acopio/lotes", "Lotes", "acopio-lots"],
    ["/acopio/socios", "Socios y clasificadores", "acopio-members"],
    ["/acopio/ventas", "Ventas", "acopio-trades"],
    ["/acopio/liquidaciones", "Liquidaciones de socios", "acopio-statements"],
  ]) {
    await page.goto(server.base + path);
    await page.getByRole("heading", { name: title, exact: true }).waitFor();
    await page.locator(".busy").waitFor({ state: "detached" });
    assert.equal(await page.locator(".notice.error").count(), 0, `${path} shows no error`);
    await shot(page, name);
  }

  // Labels of the lots picked, two to an A4 page, and one lot's page with its label.
  await page.goto(server.base + "/acopio/lotes");
  await page.getByLabel("Elegir el lote C-001 para imprimir su etiqueta").check();
  await page.getByLabel("Elegir el lote C-002 para imprimir su etiqueta").check();
  await page.getByText("2 lote(s) elegidos").waitFor();
  const [labels, file] = await Promise.all([
    page.waitForResponse((r) => r.url().includes("/lots:labels.pdf")),
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Imprimir etiquetas (2 por hoja A4)" }).click(),
  ]);
  assert.equal(labels.status(), 200);
  assert.match(labels.headers()["content-type"], /application\/pdf/);
  assert.equal(readFileSync(await file.path()).subarray(0, 5).toString(), "%PDF-");
  await page.getByRole("link", { name: "2026-0001" }).click();
  await page.getByRole("img", { name: "Etiqueta del lote 2026-0001" }).waitFor();
  await page.getByText(/N\.° 1 · Justina Quispe Puma/).waitFor();
  await shot(page, "acopio-lot");
  assert.deepEqual(page.foreign, []);
  assert.deepEqual(page.consoleErrors, []);

  // An admin first picks the association the pages work for.
  const admin = await newPage(browser, server);
  await signIn(admin.page, server, server.adminKey);
  await admin.page.goto(server.base + "/acopio/lotes");
  await admin.page.getByLabel("Asociación").selectOption({ label: "Asociación Acopio de Prueba" });
  await admin.page.getByRole("link", { name: "C-002" }).waitFor();
  await admin.context.close();
  assert.deepEqual(page.consoleErrors, []);
  await context.close();
});

// Runs after the first test, whose lot 2026-0001 (built from receipts) it sells.
test("the association confirms a trade, reads what a member earned, pays the member, corrects a member, declines a trade with its reason and withdraws a lot", async () => {
  const processor = await call(server, server.adminKey, "POST", "/v1/processors", {
    legalName: "Hilandería de Prueba S.A.C.",
    ruc: ruc("20", 51),
    ubigeo: "040101",
    plantLocation: "Parque Industrial, Arequipa",
    contact: { personName: "Carlos Paredes", phone: "+51954000051" },
  });
  const pkey = await createKey(server, "ROLE_PROCESSOR", processor.name, "Hilandería de Prueba");
  await call(server, pkey, "POST", `/v1/${processor.name}/purchaseOrders`, {
    acceptedQualityGroups: ["BABY"],
    acceptedColours: ["WHITE"],
    bidPricePerKg: "2000",
    quantityGrams: "40750",
    expireTime: new Date(Date.now() + 30 * 86400_000).toISOString(),
  });
  const { context, page } = await newPage(browser, server);
  await signIn(page, server, key);
  await page.getByRole("heading", { name: "Recepciones" }).waitFor();
  await page.goto(server.base + "/acopio/ventas");
  await page.getByText("Lote 2026-0001").waitFor();
  await page.getByRole("button", { name: "Confirmar venta" }).click();
  await page.getByText("Venta confirmada.").waitFor();
  await shot(page, "acopio-trade-confirmed");

  const [trade] = (await call(server, pkey, "GET", "/v1/trades")).trades;
  assert.ok(trade.associationConfirmTime, "the association's confirmation is recorded");
  const id = trade.name.slice("trades/".length);
  await call(server, pkey, "POST", `/v1/trades/${id}:confirm`, {});
  await call(server, pkey, "POST", `/v1/trades/${id}:recordDelivery`, { deliveredGrams: "40750", weighTime: new Date().toISOString() });
  const delivered = await call(server, pkey, "GET", `/v1/trades/${id}`);
  await call(server, pkey, "POST", `/v1/trades/${id}:recordPayment`, { paidAmount: delivered.amountDue, paymentReference: "Transferencia 0001" });

  await page.goto(server.base + "/acopio/liquidaciones");
  await page.getByLabel("Buscar socio por nombre o DNI").fill("puma justina");
  await page.getByRole("heading", { name: "Liquidación de Justina Quispe Puma, campaña 2026" }).waitFor();
  const members = (await call(server, key, "GET", `/v1/${assoc.name}/members?search=justina`)).members;
  const statement = await call(server, key, "GET", `/v1/${members[0].name}/statements/2026`);
  assert.ok(BigInt(statement.earnedAmount) > 1000n, "the member earned from the paid trade");
  await page.getByLabel("Monto (S/)").fill("10");
  await page.getByLabel("Forma de pago").selectOption("PAYMENT_METHOD_MOBILE_WALLET");
  await page.getByRole("button", { name: "Registrar pago" }).click();
  await page.getByText("Pago de S/ 10.00 registrado.").waitFor();
  assert.equal((await call(server, key, "GET", `/v1/${members[0].name}/statements/2026`)).paidAmount, "1000");
  await shot(page, "acopio-statement");
  // The export reads every member's statement in one request a page, not one a member.
  const statementReads = [];
  const onRequest = (r) => r.url().includes("/statements") && statementReads.push(new URL(r.url()).pathname);
  page.on("request", onRequest);
  const [csv] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Exportar liquidaciones de todos los socios (CSV)" }).click()]);
  page.off("request", onRequest);
  assert.deepEqual(statementReads, [`/v1/${assoc.name}/members/-/statements`]);
  assert.equal(csv.suggestedFilename(), "liquidaciones-2026.csv");
  const csvLines = readFileSync(await csv.path(), "utf8").replace(/^\ufeff/, "").trim().split("\r\n");
  assert.equal(csvLines[0], "dni,socio,campana,entregado_kg,vendido_kg,ganado_soles,comision_soles,pagado_soles,saldo_soles");
  assert.equal(csvLines.length, 1 + memberNames.length);
  const justina = csvLines.find((l) => l.includes("Justina Quispe Puma")).split(",");
  assert.deepEqual(justina.slice(0, 5), ["41000001", "Justina Quispe Puma", "2026", "12.500", "12.500"]);
  assert.equal(justina[7], "10.00");

  await page.goto(server.base + "/acopio/socios");
  await page.getByRole("button", { name: "Corregir los datos de Edwin Chambi Layme" }).click();
  await page.getByLabel("Alpacas que cría").fill("35");
  await page.getByRole("button", { name: "Guardar" }).click();
  await page.getByRole("cell", { name: "35" }).waitFor();
  const edwin = (await call(server, key, "GET", `/v1/${assoc.name}/members?search=edwin`)).members[0];
  assert.equal(edwin.herdSize, 35);
  assert.equal(edwin.displayName, "Edwin Chambi Layme");

  // A trade the association will not make: declined, with the reason the processor reads.
  await call(server, pkey, "POST", `/v1/${processor.name}/purchaseOrders`, {
    acceptedQualityGroups: ["FLEECE"],
    acceptedColours: ["LIGHT_FAWN"],
    bidPricePerKg: "1900",
    quantityGrams: "10500",
    expireTime: new Date(Date.now() + 30 * 86400_000).toISOString(),
  });
  await page.goto(server.base + "/acopio/ventas");
  await page.getByText("Lote C-002").waitFor();
  await page.getByRole("button", { name: "Rechazar" }).click();
  await page.getByRole("button", { name: "Rechazar la venta" }).click();
  await page.getByText("Escriba el motivo, de 1 a 500 caracteres.").waitFor();
  await page.getByLabel("Motivo (lo leerá el comprador)").fill("El lote ya está comprometido con otra hilandería.");
  await page.getByRole("button", { name: "Rechazar la venta" }).click();
  await page.getByText("Venta rechazada; sus kilos vuelven al lote.").waitFor();
  const declined = (await call(server, pkey, "GET", `/v1/trades?filter=${encodeURIComponent("state = DECLINED")}`)).trades;
  assert.equal(declined.length, 1);
  assert.equal(declined[0].declineReason, "El lote ya está comprometido con otra hilandería.");

  // A lot taken off the market from its page.
  const c1 = (await call(server, key, "GET", `/v1/${assoc.name}/lots?filter=${encodeURIComponent('lot_number = "C-001"')}`)).lots[0];
  await page.goto(server.base + "/acopio/lotes/" + c1.name.split("/").pop());
  await page.getByRole("button", { name: "Retirar del mercado" }).click();
  await page.getByRole("button", { name: "Sí, retirar" }).click();
  await page.getByText("Lote retirado del mercado.").waitFor();
  assert.equal((await call(server, key, "GET", `/v1/${c1.name}`)).state, "LOT_STATE_WITHDRAWN");
  assert.deepEqual(page.foreign, []);
  assert.deepEqual(page.consoleErrors, []);
  await context.close();
});

test("a lot's number, price and collection point are corrected from its page, and a correction over someone else's is refused, then merged and saved", async () => {
  const c2 = (await call(server, key, "GET", `/v1/${assoc.name}/lots?filter=${encodeURIComponent('lot_number = "C-002"')}`)).lots[0];
  assert.equal(c2.state, "LOT_STATE_AVAILABLE", "the declined lot is back on the market");
  const { context, page } = await newPage(browser, server);
  await signIn(page, server, key);
  await page.getByRole("heading", { name: "Recepciones" }).waitFor();
  await page.goto(server.base + "/acopio/lotes/" + c2.name.split("/").pop());
  await page.getByRole("button", { name: "Corregir" }).click();
  const form = page.getByRole("form", { name: "Corregir el lote" });
  await form.getByLabel("N.° de lote").fill("C-012");
  await form.getByLabel("Precio pedido por kg (S/)").fill("abc");
  await form.getByRole("button", { name: "Guardar" }).click();
  await form.getByText("Escriba un monto en soles mayor que cero, con hasta 2 decimales (por ejemplo 18,50).").waitFor();
  assert.equal((await call(server, key, "GET", `/v1/${c2.name}`)).lotNumber, "C-002", "a refused form sends nothing");
  await form.getByLabel("Precio pedido por kg (S/)").fill("19,50");
  await form.getByLabel("Centro de acopio").fill("Ichu, sector bajo");
  await shot(page, "acopio-lot-correction");
  await form.getByRole("button", { name: "Guardar" }).click();
  await page.getByText("Lote corregido.").waitFor();
  await page.locator("dl.facts").getByText("C-012").waitFor();
  const corrected = await call(server, key, "GET", `/v1/${c2.name}`);
  assert.equal(corrected.lotNumber, "C-012");
  assert.equal(corrected.askPricePerKg, "1950");
  assert.equal(corrected.collectionPoint, "Ichu, sector bajo");
  assert.equal(corrected.colour, c2.colour, "what the form does not show stays as it was");
  assert.equal(corrected.netWeightGrams, c2.netWeightGrams);

  // Someone else corrects the lot while the form is open: saving is
  // refused, not written over theirs; the form takes their change in the
  // field the clerk did not touch, keeps the price the clerk typed, and
  // saves when the clerk saves again.
  await page.getByRole("button", { name: "Corregir" }).click();
  await call(server, key, "PATCH", `/v1/${c2.name}`, { collectionPoint: "Ichu, sector medio", etag: corrected.etag });
  await form.getByLabel("Precio pedido por kg (S/)").fill("21");
  await form.getByRole("button", { name: "Guardar" }).click();
  await form.getByText("Otra persona cambió este lote mientras usted lo corregía.", { exact: false }).waitFor();
  const refused = await call(server, key, "GET", `/v1/${c2.name}`);
  assert.equal(refused.askPricePerKg, "1950", "the stale correction wrote nothing");
  assert.equal(refused.collectionPoint, "Ichu, sector medio");
  assert.equal(await form.getByLabel("Centro de acopio").inputValue(), "Ichu, sector medio");
  assert.equal(await form.getByLabel("Precio pedido por kg (S/)").inputValue(), "21");
  await page.locator("dl.facts").getByText("Ichu, sector medio").waitFor();
  await shot(page, "acopio-lot-changed-meanwhile");
  await form.getByRole("button", { name: "Guardar" }).click();
  await page.getByText("Lote corregido.").waitFor();
  const after = await call(server, key, "GET", `/v1/${c2.name}`);
  assert.equal(after.askPricePerKg, "2100");
  assert.equal(after.collectionPoint, "Ichu, sector medio", "the other person's change stands");
  assert.deepEqual(page.foreign, []);
  // The browser logs the refused PATCH (409, ABORTED) and nothing else.
  assert.deepEqual(page.consoleErrors, ["Failed to load resource: the server responded with a status of 409 (Conflict)"]);
  await context.close();
});

test("lots built offline from the same receipts never take a gram twice, and all of them are made when the signal returns", async () => {
  const members = (await call(server, key, "GET", `/v1/${assoc.name}/members?search=justina`)).members;
  const classifier = (await call(server, key, "GET", `/v1/${assoc.name}/classifiers`)).classifiers[0];
  const deliver = (grams) =>
    call(server, key, "POST", `/v1/${assoc.name}/receipts`, {
      member: members[0].name,
      campaign: 2026,
      collectionPoint: "Ichu",
      breed: "HUACAYA",
      colour: "BLACK",
      fleeceCount: 2,
      netWeightGrams: String(grams),
      classifier: classifier.name,
      groupGrams: { FLEECE: String(grams) },
    });
  const a = await deliver(5000);
  const b = await deliver(3000);
  const { context, page } = await newPage(browser, server);
  await signIn(page, server, key);
  await page.getByRole("heading", { name: "Recepciones" }).waitFor();
  await page.goto(server.base + "/acopio/lotes/armar");
  await page.getByRole("heading", { name: "Armar un lote con recepciones" }).waitFor();
  await page.getByLabel("Color").selectOption("BLACK");
  await page.getByText(`N.° ${a.receiptNumber} · Justina Quispe Puma · quedan 5 kg`).waitFor();

  await context.setOffline(true);
  const takeFrom = async (receipt, kg) => {
    await page.getByText(new RegExp(`^N\\.° ${receipt.receiptNumber} · `)).click();
    await page.getByLabel(`Kilos a tomar de la recepción N.° ${receipt.receiptNumber}`).fill(kg);
  };
  await takeFrom(a, "4");
  await page.getByLabel("N.° de lote").fill("N-001");
  await page.getByLabel("Precio pedido por kg (S/)").fill("15");
  await page.getByLabel("Centro de acopio").fill("Ichu");
  // Every lot names its classifier: the builder asks before keeping it.
  await page.getByRole("button", { name: "Crear lote" }).click();
  await page.getByText("Elija el clasificador que clasificó la fibra.").waitFor();
  await page.getByLabel("Clasificador(a)").selectOption({ label: "Nilda Ccallo Huamán" });
  await page.getByRole("button", { name: "Crear lote" }).click();
  await page.getByText("Sin conexión: «Lote N-001", { exact: false }).waitFor();
  // The waiting lot's 4 kg are not offered again.
  await page.getByText(`N.° ${a.receiptNumber} · Justina Quispe Puma · quedan 1 kg`).waitFor();
  await takeFrom(a, "2");
  await page.getByText("A esta recepción solo le quedan 1 kg.").waitFor();
  await page.getByLabel(`Kilos a tomar de la recepción N.° ${a.receiptNumber}`).fill("1");
  await takeFrom(b, "3");
  await page.getByLabel("N.° de lote").fill("N-002");
  await shot(page, "acopio-offline-second-lot");
  await page.getByRole("button", { name: "Crear lote" }).click();
  await page.getByText("Sin conexión: «Lote N-002", { exact: false }).waitFor();
  await page.getByText("No quedan recepciones vigentes con fibra sin usar de esta raza y color en la campaña.").waitFor();
  await page.getByText("2 por enviar").waitFor();

  await context.setOffline(false);
  await page.getByText(/\d+ por enviar/).waitFor({ state: "detached" }).catch(async (e) => {
    await page.goto(server.base + "/pendientes");
    throw new Error(`the waiting lots were not all made: ${await page.locator("main").innerText()}`, { cause: e });
  });
  const made = (await call(server, key, "GET", `/v1/${assoc.name}/lots?filter=${encodeURIComponent('colour = "BLACK"')}`)).lots ?? [];
  assert.deepEqual(made.map((l) => `${l.lotNumber} ${l.netWeightGrams}`).sort(), ["N-001 4000", "N-002 4000"]);
  for (const r of [a, b]) assert.equal((await call(server, key, "GET", `/v1/${r.name}`)).unusedGrams?.FLEECE ?? "0", "0");
  assert.deepEqual(page.foreign, []);
  await context.close();
});

test("a treasurer pays a member with no connection: the payment waits on the phone, the balance shows it, and it is made once when the signal returns", async () => {
  const justina = (await call(server, key, "GET", `/v1/${assoc.name}/members?search=justina`)).members[0];
  const before = await call(server, key, "GET", `/v1/${justina.name}/statements/2026`);
  assert.ok(BigInt(before.balanceAmount) > 1000n, "the member is owed more than S/ 10.00");
  const { context, page } = await newPage(browser, server);
  await signIn(page, server, key);
  await page.getByRole("heading", { name: "Recepciones" }).waitFor();
  await page.goto(server.base + "/acopio/liquidaciones");
  const pick = async (query, name) => {
    await page.getByLabel("Buscar socio por nombre o DNI").fill(query);
    await page.getByRole("heading", { name: `Liquidación de ${name}, campaña 2026` }).waitFor();
  };
  await pick("puma justina", "Justina Quispe Puma");
  await pick("chambi", "Edwin Chambi Layme");

  await context.setOffline(true);
  // The statement read before is shown, saying when it was read.
  await pick("puma justina", "Justina Quispe Puma");
  await page.getByText("Sin conexión: son los datos leídos el", { exact: false }).waitFor();
  await page.getByLabel("Monto (S/)").fill("5");
  await page.getByRole("button", { name: "Registrar pago" }).click();
  await page.getByText("Sin conexión: el pago de S/ 5.00 quedó guardado en este teléfono", { exact: false }).waitFor();
  await page.getByText("Pagos por enviar (1)").waitFor();
  const left = BigInt(before.balanceAmount) - 500n;
  const soles = (minor) => `S/ ${(minor / 100n).toLocaleString("es-PE")}.${String(minor % 100n).padStart(2, "0")}`;
  await page.locator("dl.facts").getByText(soles(left)).waitFor();
  // No more than what is left after the waiting payment.
  await page.getByLabel("Monto (S/)").fill(String(Number(left + 100n) / 100));
  await page.getByRole("button", { name: "Registrar pago" }).click();
  await page.getByText(`El saldo por pagar es ${soles(left)}: no se puede pagar más.`).waitFor();
  await shot(page, "acopio-payment-offline");
  assert.equal((await call(server, key, "GET", `/v1/${justina.name}/statements/2026`)).paidAmount, before.paidAmount, "nothing reached the server while offline");

  await context.setOffline(false);
  await page.getByText(/\d+ por enviar/).waitFor({ state: "detached" });
  const after = await call(server, key, "GET", `/v1/${justina.name}/statements/2026`);
  assert.equal(BigInt(after.paidAmount), BigInt(before.paidAmount) + 500n);
  // The statement is read again: the payment is among those made.
  await page.getByText("Pagos por enviar (1)").waitFor({ state: "detached" });
  await page.locator("dl.facts").getByText(soles(BigInt(after.paidAmount))).waitFor();
  assert.deepEqual(page.foreign, []);
  await context.close();
});
