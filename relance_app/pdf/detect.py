"""Which PDF engine renders the relance emails' invoices on this server: found, not configured.

Relance Settings' PDF Engine is "Automatic" unless the accountant chose one on purpose. Automatic means
Chromium when this server has one that really starts and prints a page (the headless shell first, in the
order of `chromium.CANDIDATES`), wkhtmltopdf otherwise, with the reason. What was found is stored in
Relance Settings (engine in use, Chromium's path and version, why, when) on install, on migrate and when
the settings are saved, so the form, `bench relance doctor` and the delivery jobs read one answer. A
probe starts the browser and prints one small page (about a second); its answer is kept in Redis for a
day, keyed by the executable's path, size and modification time (an upgraded browser is probed again).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import asdict, dataclass

import frappe
from frappe import _
from frappe.utils import now_datetime

from relance_app.pdf import chromium
from relance_app.pdf.page_setup import PageSetup

AUTOMATIC = "Automatic"
CHROMIUM = "Chromium"
WKHTMLTOPDF = "wkhtmltopdf"
SETTINGS = "Relance Settings"
PROBE_CACHE_SECONDS = 86400
INSTALL_HINT = "apt-get install chromium-headless-shell (or: apt-get install chromium)"
PROBE_HTML = "<html><body><p>relance_app: Chromium probe</p></body></html>"


@dataclass(frozen=True)
class Finding:
	engine: str  # the engine the relance emails' PDFs go through
	path: str = ""  # Chromium's executable, when one was found
	version: str = ""
	reason: str = ""  # why this engine


def configured_path() -> str | None:
	"""The Chromium the site config names (relance_chromium_path), else the RELANCE_CHROMIUM variable."""
	return frappe.get_conf().get("relance_chromium_path") or os.environ.get("RELANCE_CHROMIUM") or None


def find_chromium() -> tuple[str | None, str]:
	"""The executable to probe, or None and why there is none (with the fix)."""
	configured = configured_path()
	path = chromium.find_executable(configured)
	if path:
		return path, ""
	if configured:
		return None, _(
			"the Chromium set as relance_chromium_path in the site config ({0}) is not an executable file: correct the path or remove it"
		).format(configured)
	return None, _("no Chromium found on this server (searched: {0}): {1}").format(
		", ".join(chromium.CANDIDATES), INSTALL_HINT
	)


def probe_key(path: str) -> str | None:
	try:
		stat = os.stat(path)
	except OSError:
		return None
	return f"relance_chromium_probe::{os.path.realpath(path)}::{stat.st_size}::{stat.st_mtime_ns}"


def probe(path: str, use_cache: bool = True) -> Finding:
	"""Start the browser at `path`, print one page, ask its version; cached per executable."""
	key = probe_key(path)
	if use_cache and key:
		cached = frappe.cache.get_value(key)
		if cached:
			return Finding(**cached)
	finding = _probe(path)
	if key:
		frappe.cache.set_value(key, asdict(finding), expires_in_sec=PROBE_CACHE_SECONDS)
	return finding


def _probe(path: str) -> Finding:
	browser = chromium.Chromium(executable=path, timeout=20, start_timeout=20)
	try:
		browser.start()
		version = browser.call("Browser.getVersion", {}).get("product", "")
		pdf = browser.pdf(PROBE_HTML, "http://localhost", PageSetup())
	except Exception as e:
		return Finding(
			WKHTMLTOPDF,
			path,
			"",
			_("Chromium at {0} did not print a test page ({1}): wkhtmltopdf is used").format(
				path, str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
			),
		)
	finally:
		browser.close()
	if not pdf.startswith(b"%PDF"):
		return Finding(WKHTMLTOPDF, path, version, _("Chromium at {0} printed no PDF").format(path))
	return Finding(CHROMIUM, path, version, _("Chromium found and checked: it printed a test page"))


def find(use_cache: bool = True) -> Finding:
	"""The engine Automatic means on this server, and why."""
	path, why_not = find_chromium()
	if not path:
		return Finding(WKHTMLTOPDF, reason=_("wkhtmltopdf is used: {0}").format(why_not))
	return probe(path, use_cache=use_cache)


def decide(choice: str | None, finding: Finding) -> Finding:
	"""The engine in use for the accountant's choice and what the server has."""
	if choice == WKHTMLTOPDF:
		found = (
			_(" (Chromium {0} at {1} would be used by Automatic)").format(finding.version, finding.path)
			if finding.engine == CHROMIUM
			else ""
		)
		return Finding(
			WKHTMLTOPDF,
			finding.path,
			finding.version,
			_("wkhtmltopdf chosen in Relance Settings{0}").format(found),
		)
	if choice == CHROMIUM and finding.engine != CHROMIUM:
		# chosen on purpose: the delivery job still tries it, each failed PDF falls back to wkhtmltopdf
		return Finding(CHROMIUM, finding.path, finding.version, finding.reason)
	return finding


def apply(doc, use_cache: bool = True) -> Finding:
	"""Fill the settings document's read-only engine fields (the settings form's save)."""
	finding = decide(doc.pdf_engine or AUTOMATIC, find(use_cache=use_cache))
	doc.pdf_engine_in_use = finding.engine
	doc.chromium_path = finding.path
	doc.chromium_version = finding.version
	doc.pdf_engine_reason = finding.reason
	doc.pdf_engine_checked_on = now_datetime()
	return finding


def refresh(use_cache: bool = True) -> Finding:
	"""Find the engine and store it in Relance Settings, without saving the document (install, migrate,
	a delivery job that found nothing stored)."""
	choice = frappe.db.get_single_value(SETTINGS, "pdf_engine") or AUTOMATIC
	finding = decide(choice, find(use_cache=use_cache))
	frappe.db.set_single_value(
		SETTINGS,
		{
			"pdf_engine_in_use": finding.engine,
			"chromium_path": finding.path,
			"chromium_version": finding.version,
			"pdf_engine_reason": finding.reason,
			"pdf_engine_checked_on": now_datetime(),
		},
		update_modified=False,
	)
	frappe.clear_document_cache(SETTINGS, SETTINGS)
	return finding


def engine_in_use() -> str:
	"""The engine the relance emails' PDFs go through now (what the delivery job uses)."""
	choice = frappe.db.get_single_value(SETTINGS, "pdf_engine") or AUTOMATIC
	if choice in (WKHTMLTOPDF, CHROMIUM):
		return choice
	in_use = frappe.db.get_single_value(SETTINGS, "pdf_engine_in_use")
	if not in_use:
		in_use = refresh().engine  # never found yet (a site that did not migrate since)
	return CHROMIUM if in_use == CHROMIUM else WKHTMLTOPDF


def record_fallback(reason: str) -> None:
	"""The last PDF that fell back to wkhtmltopdf, for the settings form and the doctor."""
	frappe.db.set_single_value(
		SETTINGS,
		{"last_pdf_fallback": reason[:500], "last_pdf_fallback_on": now_datetime()},
		update_modified=False,
	)


def wkhtmltopdf_version() -> tuple[str, bool]:
	"""wkhtmltopdf's version line and whether it is built with the patched Qt Frappe needs."""
	import subprocess

	path = shutil.which("wkhtmltopdf")
	if not path:
		return "", False
	try:
		out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout
	except (OSError, subprocess.SubprocessError):
		return "", False
	return out.strip(), "patched qt" in out.lower()
