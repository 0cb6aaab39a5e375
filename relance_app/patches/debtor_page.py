"""The debtor page on a site installed before it: the settings' defaults, the promise confirmation
Email Templates, and the page's button in the shipped relance Email Templates. The button goes in
right before the shipped "contact us" paragraph, only where that paragraph is still word for word
and the template has no `portal_url` yet: a template the accountant rewrote stays as it is."""

import frappe

from relance_app.common.settings import field_default
from relance_app.setup.defaults import TEMPLATE_DIR, create_email_templates, load_manifest

# Relance Settings fields added with the page: a Single saved before has no value for them
SETTINGS_FIELDS = (
	"portal_enabled",
	"portal_link_validity_days",
	"portal_max_promise_days",
	"portal_paid_hold_days",
)
ANCHOR = {"fr": "<p>Pour toute question", "en": "<p>If you have any question"}


def portal_lines(entry: dict) -> tuple[str, str] | None:
	"""(the shipped line with the page's button, the shipped line it comes before), or None; only
	the stage emails (the promise confirmation is new with the page)."""
	if entry["key"] in ("portal_promise", "thank_you"):
		return None
	lines = (TEMPLATE_DIR / entry["file"]).read_text().splitlines()
	for i, line in enumerate(lines[:-1]):
		if "portal_url" in line and lines[i + 1].startswith(ANCHOR[entry["language"]]):
			return line, lines[i + 1]
	return None


def add_portal_button(html: str, entry: dict) -> str:
	found = portal_lines(entry)
	if not found or "portal_url" in html:
		return html
	button, anchor = found
	if html.count(anchor) != 1:
		return html
	return html.replace(anchor, f"{button}\n{anchor}")


def set_settings_defaults():
	singles = frappe.qb.DocType("Singles")
	have = set(
		frappe.qb.from_(singles)
		.select(singles.field)
		.where((singles.doctype == "Relance Settings") & singles.field.isin(list(SETTINGS_FIELDS)))
		.run(pluck=True)
	)
	for field in SETTINGS_FIELDS:
		if field not in have:
			frappe.db.set_single_value("Relance Settings", field, field_default(field))


def execute():
	set_settings_defaults()
	create_email_templates()  # the promise confirmations; existing templates are left alone
	for entry in load_manifest():
		name = entry["name"]
		if not frappe.db.exists("Email Template", name):
			continue
		html = frappe.db.get_value("Email Template", name, "response_html") or ""
		new = add_portal_button(html, entry)
		if new != html:
			frappe.db.set_value("Email Template", name, "response_html", new)
