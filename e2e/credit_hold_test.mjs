/* eslint-disable no-console -- a command-line test reports on stdout */
// Browser test of the credit hold (issue 25): the held customer's form and list, a new Sales Order
// showing the hold as soon as the customer is chosen, the refusal dialog on submit with "Submit
// Anyway", the bypass dialog and the order submitted with its timeline, the Relance Register filtered
// on held customers; screenshots in e2e/screenshots/.
//
//   bench --site SITE execute relance_app.tests.e2e_credit_hold.create   -> {"customer", "invoices", "sales_order"}
//   node e2e/credit_hold_test.mjs --url http://SITE:PORT --fixture '<json above>' [--out DIR]
import assert from "node:assert/strict";
import { arg, jsonArg, openDesk } from "./desk.mjs";

const url = arg("url", "http://relance.test:8000");
const fixture = jsonArg("fixture", "{}");
const desk = await openDesk({ failureShots: "credit-hold" });
const { page, shot, check } = desk;
const formReady = (doctype, name) =>
	page.waitForFunction(
		([dt, dn]) => window.cur_frm && cur_frm.doctype === dt && (!dn || cur_frm.docname === dn) && !cur_frm.is_dirty(),
		[doctype, name],
		{ timeout: 30000 }
	);

try {
	await desk.login(url);

	await check("the held customer's form says why its orders are held", async () => {
		await page.goto(`${url}/app/customer/${encodeURIComponent(fixture.customer)}`);
		await formReady("Customer", fixture.customer);
		const headline = page.locator(".form-message .relance-credit-hold").first();
		await headline.waitFor({ timeout: 20000 });
		assert.match(await headline.innerText(), /Mise en demeure/);
		await page.locator(".indicator-pill", { hasText: /Orders held|Commandes bloquées/ }).first().waitFor();
		await shot("credit-hold-customer.png");
	});

	await check("the customer list shows Orders held", async () => {
		await page.goto(`${url}/app/customer?relance_credit_hold=1`);
		await page.locator(".list-row .indicator-pill", { hasText: /Orders held|Commandes bloquées/ }).first().waitFor({ timeout: 20000 });
		await shot("credit-hold-customer-list.png");
	});

	await check("a new Sales Order shows the hold as soon as the customer is chosen", async () => {
		await page.goto(`${url}/app/sales-order/new`);
		await page.waitForFunction(() => window.cur_frm && cur_frm.doctype === "Sales Order" && cur_frm.is_new());
		await page.evaluate((customer) => cur_frm.set_value("customer", customer), fixture.customer);
		const headline = page.locator(".form-message .relance-credit-hold").first();
		await headline.waitFor({ timeout: 20000 });
		assert.match(await page.locator(".form-message").first().innerText(), /refused on submit|refusé à la validation/);
		await shot("credit-hold-new-sales-order.png");
		// the new order stays unsaved: leave it without the browser's "leave the page?"
		await page.evaluate(() => {
			window.onbeforeunload = null;
		});
	});

	await check("submitting the order shows the refusal with the invoices and Submit Anyway", async () => {
		await page.goto(`${url}/app/sales-order/${encodeURIComponent(fixture.sales_order)}`);
		await formReady("Sales Order", fixture.sales_order);
		await page.evaluate(() => {
			cur_frm.savesubmit();
		});
		await page.locator(".modal.show .btn-primary", { hasText: /Yes|Oui/ }).click();
		const dialog = page.locator(".modal.show .msgprint").last();
		await dialog.waitFor({ timeout: 30000 });
		const text = await dialog.innerText();
		for (const invoice of fixture.invoices) assert.ok(text.includes(invoice), `${invoice} named`);
		assert.match(text, /Mise en demeure/);
		await shot("credit-hold-refusal.png");
		await page.locator(".modal.show .btn-primary", { hasText: /Submit Anyway|Valider quand même/ }).click();
		await page.locator(".modal.show textarea[data-fieldname='reason']").fill("Commande urgente accordée par la direction");
		await shot("credit-hold-bypass-dialog.png");
		await page.locator(".modal.show .btn-primary", { hasText: /Submit Anyway|Valider quand même/ }).last().click();
		await page.waitForFunction(() => cur_frm && cur_frm.doc.docstatus === 1, null, { timeout: 30000 });
		await page.locator(".timeline-content", { hasText: "Commande urgente" }).first().waitFor({ timeout: 20000 });
		await page.locator(".timeline-content", { hasText: "Commande urgente" }).first().scrollIntoViewIfNeeded();
		await shot("credit-hold-bypassed-timeline.png");
	});

	await check("the Relance Register lists the held customer's invoices with the Credit Hold column", async () => {
		await page.goto(`${url}/app/query-report/Relance Register?credit_hold=1&customer=${encodeURIComponent(fixture.customer)}`);
		await page.locator(".dt-cell__content", { hasText: fixture.invoices[0] }).first().waitFor({ timeout: 30000 });
		// the Credit Hold column, right of Procedure and Hold / Promise
		await page.evaluate(() => {
			document.querySelector(".dt-scrollable").scrollLeft = 700;
		});
		await page.locator(".dt-cell__content", { hasText: /Orders held|Commandes bloquées/ }).first().waitFor();
		await shot("credit-hold-register.png");
	});
} catch (e) {
	desk.failures++;
	console.log(`not ok - the credit hold test stopped: ${e.message}`);
}
await desk.finish("all ok");
