"""Relance Register: the seed's "tableau de suivi" — for each open invoice its number, due date, amount,
last relance, next relance and the collection procedure engaged. One row per invoice."""

from __future__ import annotations

from frappe import _

from relance_app.engine.register import totals_by_currency
from relance_app.relance.reports import register_rows


def execute(filters=None):
	rows = register_rows(filters)
	return columns(), rows, None, None, summary(rows)


def columns() -> list[dict]:
	return [
		{
			"fieldname": "sales_invoice",
			"label": _("Sales Invoice"),
			"fieldtype": "Link",
			"options": "Sales Invoice",
			"width": 170,
		},
		{
			"fieldname": "customer",
			"label": _("Customer"),
			"fieldtype": "Link",
			"options": "Customer",
			"width": 140,
		},
		{"fieldname": "customer_name", "label": _("Customer Name"), "fieldtype": "Data", "width": 160},
		{
			"fieldname": "company",
			"label": _("Company"),
			"fieldtype": "Link",
			"options": "Company",
			"width": 140,
		},
		{"fieldname": "posting_date", "label": _("Posting Date"), "fieldtype": "Date", "width": 100},
		{"fieldname": "due_date", "label": _("Due Date"), "fieldtype": "Date", "width": 100},
		{
			"fieldname": "currency",
			"label": _("Currency"),
			"fieldtype": "Link",
			"options": "Currency",
			"width": 70,
			"hidden": 1,
		},
		{
			"fieldname": "party_account_currency",
			"label": _("Account Currency"),
			"fieldtype": "Link",
			"options": "Currency",
			"width": 70,
			"hidden": 1,
		},
		{
			"fieldname": "grand_total",
			"label": _("Grand Total"),
			"fieldtype": "Currency",
			"options": "currency",
			"width": 120,
		},
		{
			"fieldname": "outstanding_amount",
			"label": _("Outstanding"),
			"fieldtype": "Currency",
			"options": "party_account_currency",
			"width": 120,
		},
		{"fieldname": "days_late", "label": _("Days Late"), "fieldtype": "Int", "width": 80},
		{"fieldname": "last_stage", "label": _("Last Relance"), "fieldtype": "Data", "width": 130},
		{"fieldname": "last_date", "label": _("Last Relance Date"), "fieldtype": "Date", "width": 110},
		{"fieldname": "last_channel", "label": _("Channel"), "fieldtype": "Data", "width": 100},
		{"fieldname": "last_status", "label": _("Last Relance Status"), "fieldtype": "Data", "width": 110},
		{"fieldname": "next_stage", "label": _("Next Relance"), "fieldtype": "Data", "width": 130},
		{"fieldname": "next_date", "label": _("Next Relance Date"), "fieldtype": "Date", "width": 110},
		{"fieldname": "procedure_label", "label": _("Procedure"), "fieldtype": "Data", "width": 170},
		{"fieldname": "procedure_detail", "label": _("Hold / Promise"), "fieldtype": "Data", "width": 150},
		{"fieldname": "relances_sent", "label": _("Relances Sent"), "fieldtype": "Int", "width": 90},
		{
			"fieldname": "dunning_policy",
			"label": _("Dunning Policy"),
			"fieldtype": "Link",
			"options": "Dunning Policy",
			"width": 150,
		},
		{"fieldname": "procedure", "label": _("Procedure Code"), "fieldtype": "Data", "hidden": 1},
	]


def summary(rows) -> list[dict]:
	"""Totals per currency above the grid (a single total row would add euros to pounds)."""
	out = [{"value": len(rows), "label": _("Invoices"), "datatype": "Int", "indicator": "Blue"}]
	totals = totals_by_currency((r.party_account_currency, r.grand_total, r.outstanding_amount) for r in rows)
	for currency, (_total, outstanding, count) in sorted(totals.items()):
		out.append(
			{
				"value": float(outstanding),
				"label": _("Outstanding ({0}, {1} invoices)").format(currency, count),
				"datatype": "Currency",
				"currency": currency,
				"indicator": "Red",
			}
		)
	return out
