/* eslint-disable no-console -- the browser tests report on stdout */
// What the browser tests share: their command-line arguments, headless Chromium (Debian's, through
// Playwright core), a logged-in desk page, screenshots and "ok / not ok" checks.
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";

export const arg = (name, fallback) => {
	const i = process.argv.indexOf(`--${name}`);
	return i > 0 ? process.argv[i + 1] : fallback;
};

// `bench execute` prints a returned JSON string JSON-encoded once more: accept both
export const jsonArg = (name, fallback) => {
	const value = JSON.parse(arg(name, fallback));
	return typeof value === "string" ? JSON.parse(value) : value;
};

// A browser and a page of the desk's size; `shot` saves a screenshot in `out`, `check` runs one
// labelled assertion (a failure is counted, printed and, with `failureShots`, photographed).
export async function openDesk({ out = arg("out", "e2e/screenshots"), failureShots = "" } = {}) {
	fs.mkdirSync(out, { recursive: true });
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
		args: [
			"--headless",
			"--no-sandbox",
			"--disable-gpu",
			"--disable-quic",
			"--no-first-run",
			"--disable-background-networking",
			"--disable-component-update",
			"--disable-sync",
		],
	});
	const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
	const desk = { browser, page, out, failures: 0 };
	desk.shot = async (name, { target = page, fullPage = false } = {}) => {
		const file = path.join(out, name);
		await target.screenshot({ path: file, fullPage });
		console.log(`screenshot: ${file}`);
	};
	desk.check = async (label, fn) => {
		try {
			await fn();
			console.log(`ok - ${label}`);
		} catch (e) {
			desk.failures++;
			console.log(`not ok - ${label}: ${e.message}`);
			if (failureShots) await desk.shot(`${failureShots}-failure-${desk.failures}.png`).catch(() => {});
		}
	};
	desk.login = async (url, user = arg("user", "Administrator"), password = arg("password", "admin")) => {
		await page.goto(`${url}/login`);
		await page.fill("#login_email", user);
		await page.fill("#login_password", password);
		await page.click(".btn-login");
		await page.waitForURL(/\/app/);
	};
	// closes the browser and ends the process: exit 1 when a check failed
	desk.finish = async (allPassed) => {
		await browser.close();
		console.log(desk.failures ? `${desk.failures} failed` : allPassed);
		process.exit(desk.failures ? 1 : 0);
	};
	return desk;
}
