/* eslint-disable no-console -- a command-line test reports on stdout */
// Browser test: log in, open a Customer and a Sales Invoice with relances, check the panel,
// click Hold and Resume, then the Relance workspace and its three reports; save screenshots. The desk's
// socket.io connection and a realtime message (a collection file built by a worker: its "ready"
// message) are checked on a bench whose services run (scripts/services.sh).
//
//   bench --site SITE execute relance_app.tests.e2e_fixtures.create   -> {"customer", "invoices"}
//   cd BENCH/sites && ../env/bin/python CHECKOUT/e2e/realtime_fixture.py --site SITE   -> {"customer", "invoices"}
//   node e2e/browser_test.mjs --url http://SITE:8000 --fixture '<json above>'
//        [--realtime-fixture '<json above>'] [--out DIR]
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { arg, jsonArg, openDesk } from "./desk.mjs";

const url = arg("url", "http://relance.test:8000");
const fixture = jsonArg("fixture", "{}");
const realtime = jsonArg("realtime-fixture", "null");
const desk = await openDesk();
const { browser, page, out, shot, check } = desk;
// every message of the desk's console: Frappe logs "Error connecting to socket.io: ..." when the
// realtime server is down or refuses the connection
const consoleLines = [];
page.on("console", (msg) => consoleLines.push(msg.text()));

try {
	await desk.login(url);

	// Realtime: the desk's socket.io connection (socketio_port of the bench)
	await check("the desk connects to socket.io", async () => {
		await page.waitForFunction(() => window.frappe?.realtime?.socket?.connected === true, null, {
			timeout: 20000,
		});
	});

	// Customer: the Relances panel
	await page.goto(`${url}/app/customer/${encodeURIComponent(fixture.customer)}`);
	const panel = page.locator(".relance-panel");
	await panel.waitFor({ state: "attached", timeout: 30000 });
	// the panel lives in the form's dashboard, like ERPNext's own customer figures
	await page.locator(".form-tabs .nav-link", { hasText: "Dashboard" }).click();
	await panel.waitFor({ timeout: 30000 });
	await panel.scrollIntoViewIfNeeded();
	await check("customer panel shows the overdue total and both invoices", async () => {
		const text = await panel.innerText();
		assert.match(text, /Total overdue|Total échu|total/i);
		for (const inv of fixture.invoices) assert.ok(text.includes(inv), `${inv} missing`);
		assert.ok(text.includes("Relance 1"), "no Relance 1 entry");
	});
	await shot("customer-relances-panel.png");

	// Sales Invoice: headline indicator, timeline, Hold and Resume
	const invoice = fixture.invoices[0];
	await page.goto(`${url}/app/sales-invoice/${encodeURIComponent(invoice)}`);
	const headline = page.locator(".form-message-container:not(.hidden)").first();
	await headline.filter({ hasText: "Relance" }).waitFor({ timeout: 30000 });
	await check("invoice headline says where the relance stands", async () => {
		const text = await headline.innerText();
		assert.match(text, /Relance 2 sent on .* next: Relance 3 on/);
	});
	await shot("invoice-relance-status.png");

	await page.getByRole("button", { name: "Relance" }).click();
	await page.getByRole("link", { name: "Put on Hold" }).click();
	const dialog = page.locator(".modal.show");
	await dialog.waitFor();
	await dialog.locator("select").selectOption("Dispute");
	await shot("invoice-hold-dialog.png");
	await dialog.getByRole("button", { name: "Put on Hold" }).click();
	await headline.filter({ hasText: "dispute" }).waitFor({ timeout: 30000 });
	await check("Hold puts the relance on hold", async () => {
		assert.match(await headline.innerText(), /On hold: dispute/);
	});
	await shot("invoice-on-hold.png");

	await page.getByRole("button", { name: "Relance" }).click();
	await page.getByRole("link", { name: "Resume" }).click();
	await headline.filter({ hasText: "next:" }).waitFor({ timeout: 30000 });
	await check("Resume brings the schedule back", async () => {
		assert.match(await headline.innerText(), /next: Relance 3/);
	});
	await page.locator(".form-tabs .nav-link", { hasText: "Connections" }).click();
	const timeline = page.locator(".relance-timeline").first();
	await timeline.waitFor({ timeout: 30000 });
	await check("the invoice's relance history is listed", async () => {
		const text = await timeline.innerText();
		assert.ok(text.includes("Relance 2") && text.includes("Relance 1"), text);
	});
	await timeline.scrollIntoViewIfNeeded();
	await shot("invoice-resumed-timeline.png");

	// Relance Settings: the PDF engine found on this server (Automatic), its path and version
	await page.goto(`${url}/app/relance-settings`);
	const sending = page.locator('.form-section[data-fieldname="section_pdf_engine"]');
	await sending.waitFor({ state: "attached", timeout: 30000 });
	if (await sending.locator(".section-head.collapsed").count()) {
		await sending.locator(".section-head").click(); // a collapsible section, closed by default
	}
	await check("Relance Settings show the PDF engine in use, its path and version", async () => {
		await sending.locator('[data-fieldname="pdf_engine_in_use"]').waitFor({ timeout: 10000 });
		await sending.scrollIntoViewIfNeeded();
		const text = await sending.innerText();
		assert.ok(/Engine in Use|Moteur PDF utilisé|Moteur utilisé/.test(text), "no engine in use shown");
		assert.ok(/Chromium|wkhtmltopdf/.test(text), `no engine named: ${text.slice(0, 300)}`);
		assert.ok(/Why|Pourquoi/.test(text), "no reason shown");
	});
	await shot("relance-settings-pdf-engine.png");

	// The Relance workspace: number cards, charts, shortcuts to the reports
	await page.goto(`${url}/app/relance`);
	await page.locator(".number-widget-box").first().waitFor({ timeout: 30000 });
	await page.locator(".widget.dashboard-widget-box .chart-container, .frappe-chart").first()
		.waitFor({ timeout: 30000 });
	await page.waitForTimeout(2500); // cards and charts fill in after their own calls
	await check("workspace shows the seven cards, both charts and the report shortcuts", async () => {
		// card titles are upper-cased by CSS, and innerText follows the CSS
		const text = (await page.locator(".layout-main-section").innerText()).toLowerCase();
		for (const label of [
			"Total Overdue",
			"Awaiting Approval",
			"On Hold",
			"Promises Due This Week",
			"Relances Sent This Month",
			"Failed Relances",
			"Overdue Amount by Stage",
			"Relances Sent per Week by Stage",
			"Relance Register",
			"Stage Effectiveness",
		]) {
			assert.ok(text.includes(label.toLowerCase()), `${label} missing`);
		}
		assert.equal(await page.locator(".number-widget-box").count(), 7);
	});
	await shot("workspace-relance.png");

	// Relance Register on the fixture's customer
	const report = async (name, query) => {
		await page.goto(`${url}/app/query-report/${encodeURIComponent(name)}${query || ""}`);
		await page.locator(".dt-scrollable .dt-row").first().waitFor({ timeout: 30000 });
		await page.waitForTimeout(1000);
	};
	await page.setViewportSize({ width: 1680, height: 1000 });
	await report("Relance Register", `?customer=${encodeURIComponent(fixture.customer)}`);
	await check("register lists the customer's invoices with last and next relance", async () => {
		const text = await page.locator(".report-wrapper").innerText();
		for (const inv of fixture.invoices) assert.ok(text.includes(inv), `${inv} missing`);
		assert.ok(text.includes("Relance 2") && text.includes("Relance 3"), "stages missing");
	});
	await shot("report-relance-register.png");

	await report("Overdue by Stage");
	await page.locator(".chart-wrapper .frappe-chart, .chart-container .frappe-chart").first()
		.waitFor({ timeout: 30000 });
	await check("overdue by stage has a chart and opens the register from a cell", async () => {
		const link = page.locator(".dt-scrollable a[href*='Relance Register']").first();
		await link.waitFor({ timeout: 10000 });
		await shot("report-overdue-by-stage.png");
		await link.click();
		await page.waitForURL(/Relance(%20| )Register/, { timeout: 30000 });
		await page.locator(".dt-scrollable .dt-row").first().waitFor({ timeout: 30000 });
	});

	await report(
		"Stage Effectiveness",
		fixture.policy ? `?dunning_policy=${encodeURIComponent(fixture.policy)}` : ""
	);
	await check("stage effectiveness lists one row per stage", async () => {
		const text = await page.locator(".report-wrapper").innerText();
		assert.ok(text.includes("Relance 1"), "no Relance 1 row");
	});
	await shot("report-stage-effectiveness.png");

	// ---- Collection file (issue 14, helper-6) --------------------------------------------------
	// From the fixture's first invoice: Relance > Collection File > Build the File; the private PDF
	// attached to the invoice is fetched with the session and its first two pages are rendered by
	// pdftoppm (poppler-utils) into the output directory.
	await page.setViewportSize({ width: 1440, height: 1000 });
	await page.goto(`${url}/app/sales-invoice/${encodeURIComponent(invoice)}`);
	await page.locator(".form-message-container:not(.hidden)").first().filter({ hasText: "Relance" })
		.waitFor({ timeout: 30000 });
	await check("the collection file is built from the invoice and its first pages rendered", async () => {
		await page.getByRole("button", { name: "Relance" }).click();
		await page.getByRole("link", { name: "Collection File" }).click();
		const cfDialog = page.locator(".modal.show");
		await cfDialog.waitFor({ timeout: 10000 });
		await shot("collection-file-dialog.png");
		await cfDialog.getByRole("button", { name: "Build the File" }).click();
		const link = page.locator(".relance-collection-file-link");
		await link.waitFor({ timeout: 180000 });
		await shot("collection-file-saved.png");
		const href = await link.getAttribute("href");
		assert.match(href, /^\/private\/files\/.+\.pdf$/);
		const answer = await page.request.get(new URL(href, url).toString());
		assert.equal(answer.status(), 200);
		const pdf = await answer.body();
		assert.equal(pdf.subarray(0, 4).toString(), "%PDF");
		const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "relance-cf-"));
		const file = path.join(tmp, "collection-file.pdf");
		fs.writeFileSync(file, pdf);
		execFileSync("pdftoppm", ["-png", "-r", "80", "-f", "1", "-l", "2", file, path.join(tmp, "page")]);
		// pdftoppm pads the page number to the width of the last page's: page-1.png or page-01.png
		const pages = fs.readdirSync(tmp).filter((f) => f.endsWith(".png")).sort();
		assert.equal(pages.length, 2, `pages rendered: ${pages}`);
		pages.forEach((f, i) => {
			const target = path.join(out, `collection-file-page-${i + 1}.png`);
			fs.copyFileSync(path.join(tmp, f), target);
			console.log(`page image: ${target}`);
		});
		fs.rmSync(tmp, { recursive: true, force: true });
		await page.keyboard.press("Escape");
	});

	// ---- Realtime message (issue 27): a collection file built by a worker of the long queue -----
	// More overdue invoices than a file builds inline: the request only queues the job; the worker's
	// "Collection File Ready" message reaches this page through socket.io.
	if (realtime) {
		await page.goto(`${url}/app/customer/${encodeURIComponent(realtime.customer)}`);
		await page.getByRole("button", { name: "Relance" }).waitFor({ timeout: 30000 });
		await check("a worker's realtime message reaches the desk (collection file ready)", async () => {
			await page.getByRole("button", { name: "Relance" }).click();
			await page.getByRole("link", { name: "Collection File" }).click();
			const cfDialog = page.locator(".modal.show");
			await cfDialog.getByRole("button", { name: "Build the File" }).waitFor({ timeout: 10000 });
			const asked = Date.now();
			await cfDialog.getByRole("button", { name: "Build the File" }).click();
			const queued = page.locator(".modal.show", { hasText: "being built" });
			await queued.waitFor({ timeout: 60000 });
			await queued.locator(".btn-modal-close").first().click();
			const ready = page.locator(".modal.show", { hasText: "Collection File Ready" });
			await ready.waitFor({ timeout: 180000 });
			const href = await ready.locator("a").first().getAttribute("href");
			assert.match(href, /^\/private\/files\/.+\.pdf$/);
			const seconds = ((Date.now() - asked) / 1000).toFixed(1);
			console.log(`  the worker's message arrived ${seconds}s after the click`);
			await shot("collection-file-ready-realtime.png");
			await page.keyboard.press("Escape");
		});
	}
	await check("no socket.io connection error in the desk's console", async () => {
		const errors = consoleLines.filter((l) => /Error connecting to socket\.io/.test(l));
		assert.equal(errors.length, 0, errors.join("\n"));
	});

	// ---- Debtor page (issue 16, helper-5: relance_app.portal) ----------------------------------
	// The link of the queued relance email, opened with no login (a new browser context has no
	// cookies): the invoices, a PDF, a promise and its confirmation, a dispute, a tampered link.
	if (fixture.portal_url) {
		const portal_path = new URL(fixture.portal_url).pathname; // on the server under test (--url)
		const guest = await browser.newContext({ viewport: { width: 390, height: 844 }, acceptDownloads: true });
		const debtor = await guest.newPage();
		let dialogs = 0;
		debtor.on("dialog", async (d) => {
			dialogs++; // an alert() would be a script the page let through
			await d.dismiss();
		});
		const debtor_shot = (name, fullPage = false) => shot(name, { target: debtor, fullPage });
		const card = (inv) => debtor.locator(`article[data-invoice="${inv}"]`);
		const answer = async (inv, action, fill, shot_name) => {
			await card(inv).locator(`[data-rl-action="${action}"]`).click();
			const form = card(inv).locator("#rl-form");
			await form.waitFor({ timeout: 10000 });
			await fill(form);
			if (shot_name) await debtor_shot(shot_name);
			// the page reloads with the new answer's notice: hide the previous one meanwhile
			await debtor.evaluate(() => (document.getElementById("rl-notice").hidden = true));
			await form.locator("button[type=submit]").click();
			await debtor.locator("#rl-notice:not([hidden])").waitFor({ timeout: 60000 });
			return debtor.locator("#rl-notice").innerText();
		};

		const opened = await debtor.goto(`${url}${portal_path}`);
		await check("debtor page opens without login and lists the open invoices", async () => {
			assert.equal(opened.status(), 200);
			for (const inv of fixture.invoices) await card(inv).waitFor({ timeout: 30000 });
			assert.ok(!(await debtor.content()).includes("/app/"), "a link into the desk");
		});
		await debtor_shot("debtor-page-phone.png", true);

		await check("an invoice PDF downloads", async () => {
			const [download] = await Promise.all([
				debtor.waitForEvent("download", { timeout: 120000 }),
				card(fixture.invoices[0]).locator("a.rl-pdf").click(),
			]);
			const file = path.join(out, "debtor-invoice.pdf");
			await download.saveAs(file);
			assert.equal(fs.readFileSync(file).subarray(0, 4).toString(), "%PDF");
			fs.unlinkSync(file);
		});

		await check("a payment promise is recorded and confirmed", async () => {
			const notice = await answer(
				fixture.invoices[0],
				"promise",
				async (form) => {
					const input = form.locator("input[name=promised_date]");
					await input.fill(await input.getAttribute("min"));
				},
				"debtor-page-promise-form.png"
			);
			assert.match(notice, /promesse|promise/i);
			assert.match(await card(fixture.invoices[0]).innerText(), /Paiement promis|Payment promised/);
		});
		await debtor.evaluate(() => window.scrollTo(0, 0)); // the confirmation is at the top
		await debtor_shot("debtor-page-promise-confirmed.png");

		await check("a dispute of the other invoice is recorded, its comment never runs", async () => {
			const notice = await answer(fixture.invoices[1], "dispute", async (form) => {
				await form.locator("select[name=reason]").selectOption("Wrong amount");
				await form
					.locator("textarea[name=comment]")
					.fill("Le montant ne correspond pas au devis. <script>alert(1)</script>");
			});
			assert.match(notice, /contestation|dispute/i);
			assert.match(await card(fixture.invoices[1]).innerText(), /Contestée|Disputed/);
			assert.equal(dialogs, 0);
		});

		await debtor.setViewportSize({ width: 1280, height: 900 });
		await debtor.reload();
		await card(fixture.invoices[0]).waitFor({ timeout: 30000 });
		await debtor_shot("debtor-page-desktop.png", true);

		await check("a tampered link shows the refusal", async () => {
			const last = portal_path.slice(-1);
			const tampered = portal_path.slice(0, -1) + (last === "A" ? "B" : "A");
			const refused = await debtor.goto(`${url}${tampered}`);
			assert.equal(refused.status(), 404);
			assert.match(await debtor.locator("#rl-invalid").innerText(), /plus valable|no longer valid/i);
			assert.equal(await debtor.locator("article[data-invoice]").count(), 0);
		});
		await debtor_shot("debtor-page-link-refused.png");
		await guest.close();
	}
} catch (e) {
	desk.failures++;
	console.log(`not ok - the browser test stopped: ${e.message}`);
}
await desk.finish("all browser checks passed");
