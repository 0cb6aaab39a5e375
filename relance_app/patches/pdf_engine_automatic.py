"""PDF Engine: "Automatic" (was wkhtmltopdf). A site still on wkhtmltopdf because it was the default moves
to Automatic: Chromium where the server has one that prints, wkhtmltopdf otherwise (after_migrate finds
it). A site where someone chose wkhtmltopdf (a saved change of the field in the settings' history, which
Relance Settings tracks) keeps it; Chromium chosen stays chosen."""

import json

import frappe

SETTINGS = "Relance Settings"


def chosen_on_purpose(value: str) -> bool:
	"""Whether a saved version of Relance Settings set pdf_engine to `value`."""
	for data in frappe.get_all(
		"Version", filters={"ref_doctype": SETTINGS, "docname": SETTINGS}, pluck="data"
	):
		try:
			changed = json.loads(data or "{}").get("changed") or []
		except ValueError:
			continue
		if any(row[0] == "pdf_engine" and row[2] == value for row in changed if len(row) == 3):
			return True
	return False


def execute():
	value = frappe.db.get_single_value(SETTINGS, "pdf_engine")
	if value in (None, "", "wkhtmltopdf") and not chosen_on_purpose("wkhtmltopdf"):
		frappe.db.set_single_value(SETTINGS, "pdf_engine", "Automatic", update_modified=False)
