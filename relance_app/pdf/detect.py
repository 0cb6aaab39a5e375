"""Which PDF engine renders the relance emails' invoices on this server, found rather than configured.

Relance Settings' PDF Engine is "Automatic" unless the accountant chose one: then the engine in use is
Chromium when this server has one that really starts and prints a page (the headless shell first, as
`chromium.find_executable` looks for it), and wkhtmltopdf otherwise, with the reason. The finding is
stored in Relance Settings (engine in use, Chromium's path and version, why, when it was checked) on
install, on migrate and when the settings are saved, so that the form, `bench relance doctor` and the
delivery jobs read one answer. A delivery job that falls back to wkhtmltopdf writes the last fallback
there too (relance_app.pdf.delivery).
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass

import frappe
from frappe import _
from frappe.utils import now, now_datetime

from relance_app.pdf import chromium

AUTOMATIC = "Automatic"
CHROMIUM = "Chromium"
WKHTMLTOPDF = "wkhtmltopdf"
SETTINGS = "Relance Settings"
PROBE_TTL = 300  # seconds a probe's answer is reused in a process (a settings form saved twice)
INSTALL_HINT = "apt-get install chromium-headless-shell"

_probes: dict[tuple[str | None, str | None], tuple[float, Finding]] = {}


@dataclass(frozen=True)
class Finding:
	engine: str  # the engine the relance emails' PDFs go through
	path: str = ""  # Chromium's executable, when one was found
	version: str = ""
	reason: str = ""  # why wkhtmltopdf, or what was checked


def configured_path() -> str | None:
	"""The Chromium the site config names (relance_chromium_path), else the RELANCE_CHROMIUM variable."""
	import os

	return frappe.get_conf().get("relance_chromium_path") or os.environ.get("RELANCE_CHROMIUM") or None


def version_of(path: str) -> str:
	try:
		out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=15)
	except (OSError, subprocess.SubprocessError):
		return ""
	return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr).strip() else ""


def probe(configured: str | None = None) -> Finding:
	"""Find a Chromium and check that it starts and prints a page (a second or so, once per process
	and PROBE_TTL): a binary that is there but cannot run (missing libraries, no sandbox rights) is
	not chosen."""
	path = chromium.find_executable(configured)
	if not path:
		if configured:
			why = _("the Chromium configured ({0}) is not an executable").format(configured)
		else:
			why = _("no Chromium is installed on this server ({0})").format(INSTALL_HINT)
		return Finding(WKHTMLTOPDF, reason=why)
	key = (configured, path)
	cached = _probes.get(key)
	if cached and time.monotonic() - cached[0] < PROBE_TTL:
		return cached[1]
	version = version_of(path)
	browser = chromium.Chromium(executable=path, timeout=30)
	try:
		pdf = browser.start().pdf("<p>relance</p>", "http://localhost/", chromium.PageSetup())
		if not pdf.startswith(b"%PDF"):
			raise chromium.ChromiumError(_("it answered something else than a PDF"))
		finding = Finding(CHROMIUM, path=path, version=version, reason=_("Chromium printed a test page."))
	except Exception as e:
		line = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
		finding = Finding(
			WKHTMLTOPDF,
			path=path,
			version=version,
			reason=_("Chromium at {0} could not print a page: {1}").format(path, line),
		)
	finally:
		browser.close()
	_probes[key] = (time.monotonic(), finding)
	return finding


def finding_for(choice: str | None) -> Finding:
	"""What the PDF Engine setting gives on this server."""
	if choice == WKHTMLTOPDF:
		return Finding(WKHTMLTOPDF, reason=_("wkhtmltopdf is chosen in Relance Settings."))
	found = probe(configured_path())
	if choice == CHROMIUM and found.engine != CHROMIUM:
		# chosen on purpose: each delivery job tries it again, and falls back per email
		return Finding(CHROMIUM, path=found.path, version=found.version, reason=found.reason)
	return found


def values_of(finding: Finding) -> dict:
	return {
		"pdf_engine_in_use": finding.engine,
		"chromium_executable": finding.path,
		"chromium_version": finding.version,
		"pdf_engine_reason": finding.reason,
		"pdf_engine_checked_on": now(),
	}


def refresh_settings() -> Finding:
	"""Find the engine for the stored setting and store the finding (install, migrate)."""
	choice = frappe.db.get_single_value(SETTINGS, "pdf_engine") or AUTOMATIC
	finding = finding_for(choice)
	frappe.db.set_single_value(SETTINGS, values_of(finding), update_modified=False)
	return finding


def engine_in_use() -> str:
	"""The engine a delivery job uses: the choice when one was made, else what was found."""
	choice, found = (
		frappe.db.get_single_value(SETTINGS, "pdf_engine"),
		frappe.db.get_single_value(SETTINGS, "pdf_engine_in_use"),
	)
	if choice in (CHROMIUM, WKHTMLTOPDF):
		return choice
	return CHROMIUM if found == CHROMIUM else WKHTMLTOPDF


def note_fallback(reason: str) -> None:
	"""A delivery job rendered a PDF with wkhtmltopdf instead of Chromium: the settings say when and why
	(committed by the caller)."""
	text = f"{now_datetime():%Y-%m-%d %H:%M}: {reason}"[:500]
	frappe.db.set_single_value(SETTINGS, "pdf_last_fallback", text, update_modified=False)
