"""Invoices Beyond Legal Terms: the period's invoices, issued and received, whose due date is past
the company's legal cap of payment terms (Code de commerce L441-10). The rows:
relance_app.analytics.beyond_cap."""

from __future__ import annotations

from frappe import _

from relance_app.analytics.beyond_cap import beyond_cap_rows


def execute(filters=None):
	return columns(), beyond_cap_rows(filters)


def columns() -> list[dict]:
	def col(fieldname, label, fieldtype="Data", width=110, **kw):
		return {"fieldname": fieldname, "label": label, "fieldtype": fieldtype, "width": width, **kw}

	return [
		col("kind", _("Invoices"), width=130),
		col("invoice", _("Invoice"), "Dynamic Link", 160, options="doctype"),
		col("party", _("Party"), width=170),
		col("invoice_date", _("Invoice Date"), "Date", 100),
		col("due_date", _("Due Date"), "Date", 100),
		col("cap_date", _("Legal Cap"), "Date", 100),
		col("days_beyond", _("Days Beyond the Cap"), "Int", 110),
		col("amount", _("Amount"), "Currency", 120),
		col("cap_method", _("Cap"), width=260),
		col("doctype", _("Document Type"), hidden=1),
	]
