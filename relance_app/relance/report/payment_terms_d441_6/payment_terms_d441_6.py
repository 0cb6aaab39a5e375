"""Délais de paiement (D441-6): the payment-terms table of the management report, in the layout of
annexe 4-1 to article A441-2 of the Code de commerce (arrêté du 20 mars 2017). One row per line of
the official model, one column per lateness; the figures: relance_app.analytics.d441."""

from __future__ import annotations

import frappe
from frappe import _

from relance_app.analytics.d441 import COLUMNS, SOURCE, report_message, report_rows, vat_label
from relance_app.constants import BUCKET_0, BUCKET_91
from relance_app.engine.payment_terms import TOTAL


def execute(filters=None):
	f, rows = report_rows(filters)
	if rows:
		rows[0].update(
			company=f.company,
			currency=frappe.get_cached_value("Company", f.company, "default_currency"),
			start=str(f.start),
			closing=str(f.closing),
			vat_label=vat_label(f),
			table=f.table,
			legal=int(f.legal),
			rule=_(f.rule.method),
			source=SOURCE,
		)
	return columns(), rows, report_message(f)


def column_label(column: str) -> str:
	if column == BUCKET_0:
		return _("0 day (indicative)")
	if column == BUCKET_91:
		return _("91 days and more")
	if column == TOTAL:
		return _("Total (1 day and more)")
	return _("{0} days").format(column)


def columns() -> list[dict]:
	out = [{"fieldname": "label", "label": _("Line"), "fieldtype": "Data", "width": 560}]
	for column in COLUMNS:
		out.append(
			{"fieldname": f"c_{column}", "label": column_label(column), "fieldtype": "Float", "width": 120}
		)
	return out
