"""Install and uninstall hooks.

Install works on a site whatever its cache holds, and is all or nothing for the administrator:

- `before_install` rebuilds Frappe's module map (a site that ran any command before the app joined
  the bench has a cached `app_modules` without relance_app, and Frappe's `sync_for` would then sync
  none of its DocTypes), and clears what a failed earlier attempt left;
- `after_install` checks that the DocTypes exist (syncing them if a cache still hid them) before
  anything refers to them, then creates the custom fields, the shipped Email Templates and the
  default policies. If a step fails, everything the install did is undone, the site no longer lists
  the app, and the message names the step and the command that retries it.

Uninstall is the mirror of install: see `relance_app.setup.uninstall`.
"""

import click
import frappe
from frappe import _
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields as _create_custom_fields

from relance_app.common.frappe_compat import delete_modules_and_doctypes, uninstalling
from relance_app.exceptions import RelanceInstallError
from relance_app.pdf import detect
from relance_app.setup import uninstall
from relance_app.setup.custom_fields import CUSTOM_FIELDS
from relance_app.setup.defaults import create_default_policies, create_email_templates
from relance_app.setup.legal_mentions import create_legal_mentions
from relance_app.setup.legal_rate_rows import create_legal_rates

APP = uninstall.APP


# --- before_install ----------------------------------------------------------------------------


def before_install():
	refresh_module_map()
	cleaned = uninstall.clean_half_install()
	if cleaned:
		print(_("Cleared what an earlier failed install left: Module Def {0}.").format(", ".join(cleaned)))


def refresh_module_map():
	"""Frappe reads the apps' modules from Redis (`app_modules`, set by the first command the site
	ran) into `frappe.local`; a copy made before the app was on the bench lacks relance_app. The
	site's cache is cleared as Frappe's installer clears it, and the module map built again."""
	frappe.clear_cache()
	frappe.setup_module_map()


# --- after_install -----------------------------------------------------------------------------


def install_steps():
	return (
		(_("DocTypes"), ensure_doctypes),
		(_("Settings"), init_settings),
		(_("Custom fields"), create_custom_fields),
		(_("Email Templates"), create_email_templates),
		(_("Legal late-payment rates"), create_legal_rates),
		(_("Default dunning policies"), create_default_policies),
		(_("PDF engine"), find_pdf_engine),
		(_("Legal payment mentions"), create_legal_mentions),
	)


def after_install():
	for title, step in install_steps():
		try:
			step()
		except Exception as error:
			abort_install(title, error)
	print(_("Relance installed: custom fields, Email Templates and a default policy per company."))


def missing_doctypes() -> list[str]:
	return [dt for dt in uninstall.app_doctypes() if not frappe.db.exists("DocType", dt)]


def ensure_doctypes():
	"""The app's DocTypes exist before the custom fields link to them."""
	if not missing_doctypes():
		return
	from frappe.model.sync import sync_for

	refresh_module_map()
	sync_for(APP, force=True, reset_permissions=True)
	still = missing_doctypes()
	if still:
		frappe.throw(
			_("These DocTypes could not be created: {0}").format(", ".join(still)),
			exc=RelanceInstallError,
			title=_("Relance not installed"),
		)


def init_settings() -> list[str]:
	"""Relance Settings with their defaults: Frappe stores them on install, not on a migrate that
	completes a half-installed site (where a patch may already have set one value), nor for a field
	a new release adds. Returns the fields that had no value."""
	filled = []
	for doctype in uninstall.single_doctypes():
		stored = frappe.db.get_singles_dict(doctype)
		defaults = {
			df.fieldname: df.default
			for df in frappe.get_meta(doctype).fields
			if df.default is not None
			and df.fieldname not in stored
			and df.fieldname not in frappe.model.default_fields
			and df.fieldtype not in frappe.model.no_value_fields
		}
		if defaults:
			filled += list(defaults)
			frappe.db.set_single_value(doctype, dict(defaults), update_modified=False)
	return filled


def create_custom_fields():
	_create_custom_fields(CUSTOM_FIELDS, update=True)


def find_pdf_engine():
	"""Chromium when the server has one that prints (Relance Settings' Automatic), else wkhtmltopdf and
	why: stored in Relance Settings and said, with `bench relance doctor` for the details. Never fails
	the install or the migrate: the emails go out with wkhtmltopdf meanwhile."""
	try:
		finding = detect.refresh()
	except Exception:
		frappe.log_error(title=_("Relance: finding the PDF engine"))
		print(_("Relance: the PDF engine could not be checked; see the Error Log."))
		return
	if finding.engine == detect.CHROMIUM:
		print(_("Relance PDF engine: Chromium {0} ({1}).").format(finding.version, finding.path))
	else:
		print(_("Relance PDF engine: wkhtmltopdf. {0}").format(finding.reason))


def retry_command(site: str | None = None) -> str:
	return f"bench --site {site or frappe.local.site} install-app {APP}"


def failure_message(step: str, error: Exception, undone: bool, site: str | None = None) -> str:
	cause = str(error) or error.__class__.__name__
	site = site or frappe.local.site
	if undone:
		return _(
			"Relance is not installed: the step '{0}' failed ({1}). What the install had done is undone and the site no longer lists relance_app. Fix the cause, then run: {2}"
		).format(step, cause, retry_command(site))
	return _(
		"Relance is not installed: the step '{0}' failed ({1}), and undoing the install failed too. Run: bench --site {2} uninstall-app relance_app --yes, then: {3}"
	).format(step, cause, site, retry_command(site))


def abort_install(step: str, error: Exception):
	"""Undo the install (Frappe has already committed the DocTypes and the installed apps list), so
	the site never lists relance_app without its DocTypes; then say what failed and how to retry."""
	frappe.db.rollback()
	try:
		undo_install()
		undone = True
	except Exception:
		frappe.db.rollback()
		frappe.log_error(title=_("Relance: undoing a failed install"))
		frappe.db.commit()  # nosemgrep: keep the error log of a failed install
		undone = False
	message = failure_message(step, error, undone)
	click.secho(message, fg="bright_red")
	frappe.throw(message, exc=RelanceInstallError, title=_("Relance not installed"))


def undo_install():
	from frappe.installer import remove_from_installed_apps

	with uninstalling():  # never delete controller files, even in developer mode
		module_names = frappe.get_all("Module Def", filters={"app_name": APP}, pluck="name")
		delete_modules_and_doctypes(module_names)
		remove_from_installed_apps(APP)
		# during an install Frappe keeps its request cache (installed apps included): the Installed
		# Applications list that `list-apps` shows would still name relance_app
		frappe.clear_cache()
		frappe.get_single("Installed Applications").update_versions()
		uninstall.remove_footprint()
		frappe.db.commit()  # nosemgrep: the install command rolls back on error; the undo must stay
	frappe.clear_cache()


# --- after_migrate -----------------------------------------------------------------------------


def missing_custom_fields() -> list[str]:
	return [
		f"{dt}.{f['fieldname']}"
		for dt, fields in CUSTOM_FIELDS.items()
		for f in fields
		if not frappe.db.exists("Custom Field", {"dt": dt, "fieldname": f["fieldname"]})
	]


def never_set_up() -> bool:
	"""Companies, but not one policy and not one relance: `after_install` never reached its end
	(an earlier release's install failed after Frappe had listed the app, or it was interrupted)."""
	return bool(
		frappe.db.count("Company")
		and not frappe.db.count("Dunning Policy")
		and not frappe.db.count("Relance Log")
	)


def after_migrate():
	"""`bench migrate` completes a site the install left unfinished, and says so."""
	if APP not in frappe.get_installed_apps() or missing_doctypes():
		return
	completed = []
	settings = init_settings()
	if missing_custom_fields():
		create_custom_fields()
		completed.append(_("custom fields"))
	if never_set_up():
		for title, step in install_steps():
			if step not in (ensure_doctypes, init_settings, create_custom_fields, find_pdf_engine):
				step()
				completed.append(title)
	find_pdf_engine()  # on every migrate: the server may have gained or lost a browser
	frappe.db.commit()  # nosemgrep: migrate commits per app; the completed install must stay
	if completed:
		print(
			_("Relance: completed an unfinished install ({0}).").format(
				", ".join([_("settings")] * bool(settings) + completed)
			)
		)
	elif settings:
		print(_("Relance Settings: default values stored for {0}.").format(", ".join(settings)))


# --- uninstall ---------------------------------------------------------------------------------


def after_uninstall():
	uninstall.after_uninstall()
