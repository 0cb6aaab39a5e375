"""Relance Register: the seed's "tableau de suivi" — for each open invoice its number, due date, amount,
last relance, next relance and the collection procedure engaged. One row per invoice."""

from __future__ import annotations

from frappe import _

from relance_app.analytics.register import add_credit_holds, register_rows
from relance_app.engine.register import totals_by_currency


def execute(filters=None):
	rows = add_credit_holds(register_rows(filters), filters)
	return columns(), rows, None, None, summary(rows)


def columns() -> list[dict]:
	"""What the accountant reads first (where each invoice stands) on the left; the rest after."""

	def col(fieldname, label, fieldtype="Data", width=100, **kw):
		return {"fieldname": fieldname, "label": label, "fieldtype": fieldtype, "width": width, **kw}

	return [
		col("sales_invoice", _("Sales Invoice"), "Link", 150, options="Sales Invoice"),
		col("customer", _("Customer"), "Link", 150, options="Customer"),
		col("due_date", _("Due Date"), "Date", 95),
		col("outstanding_amount", _("Outstanding"), "Currency", 110, options="party_account_currency"),
		col("days_late", _("Days Late"), "Int", 70),
		col("last_stage", _("Last Relance"), width=115),
		col("last_date", _("Last Relance Date"), "Date", 95),
		col("next_stage", _("Next Relance"), width=115),
		col("next_date", _("Next Relance Date"), "Date", 95),
		col("procedure_label", _("Procedure"), width=165),
		col("procedure_detail", _("Hold / Promise"), width=140),
		col("credit_hold", _("Credit Hold"), width=200),
		col("debtor_answer", _("Debtor Answer"), width=200),
		col("relances_sent", _("Relances Sent"), "Int", 80),
		col("last_channel", _("Channel"), width=100),
		col("last_status", _("Last Relance Status"), width=100),
		col("customer_name", _("Customer Name"), width=150),
		col("company", _("Company"), "Link", 140, options="Company"),
		col("posting_date", _("Posting Date"), "Date", 95),
		col("grand_total", _("Grand Total"), "Currency", 110, options="currency"),
		col("dunning_policy", _("Dunning Policy"), "Link", 150, options="Dunning Policy"),
		col("currency", _("Currency"), "Link", 70, options="Currency", hidden=1),
		col("party_account_currency", _("Account Currency"), "Link", 70, options="Currency", hidden=1),
		col("procedure", _("Procedure Code"), hidden=1),
		col("credit_held", _("Orders Held"), "Check", 60, hidden=1),
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
