"""`bench --site SITE relance doctor`: what the day's run needs on this server, checked, each with
its fix. The PDF engine is found again (and stored in Relance Settings, as a save of the settings
would); nothing else changes."""

from __future__ import annotations

import shutil
import subprocess
import urllib.request
from dataclasses import dataclass

import frappe
from frappe import _
from frappe.utils import cint, get_url

from relance_app.pdf import detect

QUEUES = ("short", "default", "long")


@dataclass(frozen=True)
class Check:
	name: str
	ok: bool
	detail: str
	fix: str = ""
	essential: bool = True  # a failed essential check makes the command exit 1


def settings_check() -> Check:
	s = frappe.get_single("Relance Settings")
	if not s.enabled:
		return Check(
			_("Relances"), False, _("disabled in Relance Settings"), _("tick Enabled in Relance Settings")
		)
	if s.test_mode:
		return Check(
			_("Relances"),
			False,
			_("test mode: every relance goes to {0}").format(s.test_email),
			_("untick Test Mode in Relance Settings when the trial is over"),
			essential=False,
		)
	return Check(_("Relances"), True, _("enabled, daily run from {0}:00").format(cint(s.run_hour)))


def pdf_engine_check() -> Check:
	choice = frappe.db.get_single_value(detect.SETTINGS, "pdf_engine") or detect.AUTOMATIC
	probed = detect.probe(detect.configured_path())
	detect.refresh_settings()  # the form shows what was found here
	name = _("PDF engine")
	if choice == detect.WKHTMLTOPDF:
		faster = (
			_("Chromium {0} is here and would be faster: choose Automatic").format(probed.version)
			if probed.engine == detect.CHROMIUM
			else ""
		)
		return Check(name, True, _("wkhtmltopdf, chosen in Relance Settings"), faster, essential=False)
	if probed.engine == detect.CHROMIUM:
		return Check(
			name, True, _("{0}: {1} at {2}").format(choice, probed.version or "Chromium", probed.path)
		)
	return Check(
		name,
		False,
		_("{0}: wkhtmltopdf for every PDF (several times slower), because {1}").format(choice, probed.reason),
		_("install Chromium ({0}) or set relance_chromium_path in site_config.json").format(
			detect.INSTALL_HINT
		),
		essential=False,
	)


def wkhtmltopdf_check() -> Check:
	path = shutil.which("wkhtmltopdf")
	if not path:
		return Check(
			"wkhtmltopdf",
			False,
			_("not installed: Frappe's own PDFs and every fallback need it"),
			_("install wkhtmltopdf 0.12.6 with patched qt (wkhtmltopdf.org/downloads)"),
		)
	try:
		version = subprocess.run(
			[path, "--version"], capture_output=True, text=True, timeout=15
		).stdout.strip()
	except (OSError, subprocess.SubprocessError) as e:
		return Check("wkhtmltopdf", False, str(e), _("reinstall wkhtmltopdf"))
	if "patched qt" not in version:
		return Check(
			"wkhtmltopdf",
			False,
			_("{0} at {1}, without patched qt: no letter head header or footer in its PDFs").format(
				version, path
			),
			_("for headers and footers, install the build with patched qt (wkhtmltopdf.org/downloads)"),
			essential=False,
		)
	return Check("wkhtmltopdf", True, f"{version} ({path})")


def web_server_check() -> Check:
	"""PDFs fetch the site's stylesheets from its own URL, and the email links point there."""
	url = get_url()
	try:
		with urllib.request.urlopen(f"{url}/api/method/frappe.ping", timeout=5) as r:
			ok = r.status == 200
	except Exception as e:
		return Check(
			_("Web server"),
			False,
			_("{0} does not answer ({1})").format(url, e),
			_("start the web server (bench start, supervisor) and make {0} resolve to it").format(url),
		)
	return Check(_("Web server"), ok, _("{0} answers").format(url))


def workers_check() -> Check:
	from frappe.utils.background_jobs import get_workers

	try:
		served = {q.split(":")[-1] for w in get_workers() for q in w.queue_names()}
	except Exception as e:
		return Check(_("Workers"), False, str(e), _("start the bench's Redis queue server (bench start)"))
	missing = [q for q in QUEUES if q not in served]
	if missing:
		return Check(
			_("Workers"),
			False,
			_("no worker serves the queue(s) {0}: the run and its emails would wait").format(
				", ".join(missing)
			),
			_("start the workers: bench start, or `bench setup production` (supervisor)"),
		)
	return Check(_("Workers"), True, _("the queues {0} are served").format(", ".join(QUEUES)))


def scheduler_check() -> Check:
	from frappe.utils.scheduler import is_scheduler_inactive

	if is_scheduler_inactive(verbose=False):
		return Check(
			_("Scheduler"),
			False,
			_("disabled or paused for this site: no daily run"),
			_("bench --site {0} enable-scheduler, and bench scheduler resume").format(frappe.local.site),
		)
	return Check(_("Scheduler"), True, _("enabled for this site"))


def email_check() -> Check:
	accounts = frappe.get_all(
		"Email Account", filters={"default_outgoing": 1, "enable_outgoing": 1}, pluck="email_id"
	)
	if not accounts:
		return Check(
			_("Outgoing email"),
			False,
			_("no default outgoing Email Account"),
			_("set up an Email Account with Enable Outgoing and Default Outgoing ticked"),
		)
	return Check(_("Outgoing email"), True, _("default outgoing account {0}").format(accounts[0]))


def fonts_check() -> Check:
	try:
		fonts = subprocess.run(["fc-list"], capture_output=True, text=True, timeout=15).stdout
	except (OSError, subprocess.SubprocessError):
		fonts = ""
	if "DejaVu" not in fonts:
		return Check(
			_("Fonts"),
			False,
			_("DejaVu fonts not found: PDFs may print with missing characters"),
			"apt-get install fonts-dejavu-core",
			essential=False,
		)
	return Check(_("Fonts"), True, _("DejaVu installed"))


def checks() -> list[Check]:
	return [
		settings_check(),
		pdf_engine_check(),
		wkhtmltopdf_check(),
		web_server_check(),
		workers_check(),
		scheduler_check(),
		email_check(),
		fonts_check(),
	]


def report(found: list[Check]) -> str:
	lines = []
	for c in found:
		mark = "ok  " if c.ok else ("FAIL" if c.essential else "warn")
		lines.append(f"{mark}  {c.name}: {c.detail}")
		if c.fix:
			lines.append(f"      {_('fix')}: {c.fix}")
	return "\n".join(lines)
