"""PDF Engine: "Automatic" (Chromium where the server has one that prints, else wkhtmltopdf) replaces
the old default wkhtmltopdf. A site still on wkhtmltopdf that nobody chose (no saved version of Relance
Settings changed the engine) moves to Automatic; a choice someone made stays. after_migrate then finds
the engine (relance_app.pdf.detect)."""

import json

import frappe

from relance_app.pdf.detect import AUTOMATIC, SETTINGS, WKHTMLTOPDF


def chosen_by_someone() -> bool:
	for data in frappe.get_all(
		"Version",
		filters={"ref_doctype": SETTINGS, "data": ("like", '%"pdf_engine"%')},
		pluck="data",
	):
		try:
			changed = json.loads(data).get("changed") or []
		except ValueError:
			continue
		if any(row and row[0] == "pdf_engine" for row in changed):
			return True
	return False


def execute():
	if frappe.db.get_single_value(SETTINGS, "pdf_engine") == WKHTMLTOPDF and not chosen_by_someone():
		frappe.db.set_single_value(SETTINGS, "pdf_engine", AUTOMATIC, update_modified=False)
