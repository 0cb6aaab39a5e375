"""`bench --site SITE relance doctor`: what the relance PDFs and their delivery need on this server, each
part checked, with the fix for each missing one. The engine in use is found again (the probe is not
taken from the cache) and stored in Relance Settings, which shows the same."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

import frappe
from frappe import _

from relance_app.pdf import delivery, detect

WKHTMLTOPDF_PACKAGE = "https://github.com/wkhtmltopdf/packaging/releases (0.12.6.1, with patched qt)"
FONTS_HINT = "apt-get install fontconfig fonts-dejavu-core fonts-liberation"


@dataclass
class Check:
	name: str
	ok: bool
	detail: str
	fix: str = ""
	blocking: bool = True  # a problem here stops or slows the relances (else: worth knowing)


def checks() -> list[Check]:
	return [
		engine_check(),
		fallback_check(),
		wkhtmltopdf_check(),
		fonts_check(),
		host_name_check(),
		workers_check(),
		scheduler_check(),
	]


def engine_check() -> Check:
	finding = detect.refresh(use_cache=False)
	frappe.db.commit()  # nosemgrep: the form shows what the doctor found
	choice = frappe.db.get_single_value(detect.SETTINGS, "pdf_engine") or detect.AUTOMATIC
	detail = _("chosen: {0}; in use: {1}; {2}").format(choice, finding.engine, finding.reason)
	if finding.engine == detect.CHROMIUM and finding.version:
		return Check(_("PDF engine"), True, f"{detail} ({finding.version}, {finding.path})")
	if choice == detect.WKHTMLTOPDF:
		return Check(
			_("PDF engine"),
			True,
			detail,
			_("Set Relance Settings › PDF Engine to Automatic for the faster engine."),
			blocking=False,
		)
	fix = _(
		"Install Chromium: {0}; or set relance_chromium_path in the site config to its executable."
	).format(detect.INSTALL_HINT)
	return Check(_("PDF engine"), False, detail, fix)


def fallback_check() -> Check:
	reason = frappe.db.get_single_value(detect.SETTINGS, "last_pdf_fallback")
	when = frappe.db.get_single_value(detect.SETTINGS, "last_pdf_fallback_on")
	if not reason:
		return Check(_("Fallbacks to wkhtmltopdf"), True, _("none recorded"))
	return Check(
		_("Fallbacks to wkhtmltopdf"),
		False,
		_("last on {0}: {1}").format(when, reason),
		_("See the Error Log titled 'Relance PDF: Chromium failed, wkhtmltopdf used'."),
		blocking=False,
	)


def wkhtmltopdf_check() -> Check:
	version, patched = detect.wkhtmltopdf_version()
	if not version:
		return Check(
			"wkhtmltopdf",
			False,
			_("not found: the fallback engine (and ERPNext's own PDFs) cannot render"),
			_("Install wkhtmltopdf with patched qt: {0}").format(WKHTMLTOPDF_PACKAGE),
		)
	if not patched:
		return Check(
			"wkhtmltopdf",
			False,
			_("{0}, without patched qt: no repeated header and footer, page sizes ignored").format(version),
			_("Install wkhtmltopdf with patched qt: {0}").format(WKHTMLTOPDF_PACKAGE),
			blocking=False,
		)
	return Check("wkhtmltopdf", True, version)


def fonts_check() -> Check:
	if not shutil.which("fc-list"):
		return Check(_("Fonts"), False, _("fontconfig is not installed"), FONTS_HINT)
	try:
		families = subprocess.run(
			["fc-list", ":", "family"], capture_output=True, text=True, timeout=20
		).stdout.splitlines()
		sans = subprocess.run(
			["fc-match", "sans-serif"], capture_output=True, text=True, timeout=20
		).stdout.strip()
	except (OSError, subprocess.SubprocessError) as e:
		return Check(_("Fonts"), False, str(e), FONTS_HINT)
	if not families:
		return Check(_("Fonts"), False, _("no font installed: the PDFs would have no text"), FONTS_HINT)
	return Check(
		_("Fonts"), True, _("{0} families; sans-serif is {1}").format(len(set(families)), sans or "?")
	)


def host_name_check() -> Check:
	"""wkhtmltopdf (and Chromium, for what is not a file on disk) fetch the print's stylesheets and
	images from the site's own address."""
	import requests
	from frappe.utils import get_url

	url = get_url()
	fix = _(
		"Start the site's web server, or set host_name to an address this server reaches: bench --site {0} set-config host_name http://..."
	).format(frappe.local.site)
	try:
		answer = requests.get(f"{url}/api/method/ping", timeout=10)
	except requests.RequestException as e:
		return Check(_("Site address (host_name)"), False, _("{0} unreachable: {1}").format(url, e), fix)
	if answer.status_code != 200:
		return Check(
			_("Site address (host_name)"), False, _("{0} answered {1}").format(url, answer.status_code), fix
		)
	return Check(_("Site address (host_name)"), True, _("{0} answers").format(url))


def workers_check() -> Check:
	from frappe.utils.background_jobs import generate_qname, get_workers

	fix = _(
		"Start the bench's workers: bench start (development), or the supervisor/systemd frappe-bench-workers programs (production); bench doctor lists them."
	)
	try:
		workers = get_workers()
	except Exception as e:
		return Check(_("Background workers"), False, _("Redis queue unreachable: {0}").format(e), fix)
	serving = {q for w in workers for q in w.queue_names()}
	missing = [q for q in ("long", delivery.QUEUE) if generate_qname(q) not in serving]
	if missing:
		detail = _("{0} worker(s); none takes the queue(s) {1}: relances and their delivery wait").format(
			len(workers), ", ".join(missing)
		)
		return Check(_("Background workers"), False, detail, fix)
	return Check(_("Background workers"), True, _("{0} worker(s) on long and short").format(len(workers)))


def scheduler_check() -> Check:
	from frappe.utils.scheduler import is_scheduler_disabled

	if is_scheduler_disabled(verbose=False):
		return Check(
			_("Scheduler"),
			False,
			_("disabled: the daily run does not start by itself"),
			f"bench --site {frappe.local.site} enable-scheduler",
		)
	return Check(_("Scheduler"), True, _("enabled"))


def report(found: list[Check]) -> str:
	lines = []
	for check in found:
		mark = "ok" if check.ok else ("!!" if check.blocking else "--")
		lines.append(f"[{mark}] {check.name}: {check.detail}")
		if check.fix:
			lines.append("     " + _("fix: {0}").format(check.fix))
	return "\n".join(lines)
