"""The invoices of a period whose due date is past the legal cap of payment terms (L441-10), issued
(Sales Invoices) and received (Purchase Invoices), with the cap and the days beyond it."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.query_builder.functions import Max
from frappe.utils import add_days, getdate, today

from relance_app.analytics.d441 import check_access
from relance_app.data.payment_terms import PARTY, PURCHASE, SALES, cap_rule
from relance_app.engine.payment_terms import cap_date, days_beyond_cap


def parse_filters(filters) -> frappe._dict:
	filters = frappe._dict(filters or {})
	filters.company = check_access(filters.get("company"))
	filters.to_date = getdate(filters.get("to_date") or today())
	filters.from_date = getdate(filters.get("from_date") or add_days(filters.to_date, -365))
	return filters


def latest_due_dates(doctype: str, names: list[str]) -> dict[str, object]:
	if not names:
		return {}
	ps = frappe.qb.DocType("Payment Schedule")
	rows = (
		frappe.qb.from_(ps)
		.select(ps.parent, Max(ps.due_date))
		.where((ps.parenttype == doctype) & ps.parent.isin(names))
		.groupby(ps.parent)
		.run()
	)
	return {parent: due for parent, due in rows}


def beyond_cap_rows(filters) -> list[dict]:
	f = parse_filters(filters)
	rule = cap_rule(f.company)
	if rule is None:
		return []
	out = []
	for doctype in (SALES, PURCHASE):
		party = PARTY[doctype][1]
		fields = ["name", "posting_date", "due_date", party, "base_grand_total"]
		fields += ["bill_date"] if doctype == PURCHASE else []
		invoices = frappe.get_list(
			doctype,
			filters={
				"company": f.company,
				"docstatus": 1,
				"is_return": 0,
				"posting_date": ("between", [f.from_date, f.to_date]),
			},
			fields=fields,
			order_by="posting_date, name",
		)
		schedules = latest_due_dates(doctype, [i.name for i in invoices])
		for inv in invoices:
			issued = getdate(inv.get("bill_date") or inv.posting_date)
			dues = [getdate(d) for d in (inv.due_date, schedules.get(inv.name)) if d]
			if not dues:
				continue
			due = max(dues)
			excess = days_beyond_cap(issued, due, rule)
			if excess:
				out.append(
					{
						"kind": _(doctype),
						"doctype": doctype,
						"invoice": inv.name,
						"party": inv.get(party),
						"invoice_date": issued,
						"due_date": due,
						"cap_date": cap_date(issued, rule),
						"days_beyond": excess,
						"amount": inv.base_grand_total,
						"cap_method": _(rule.method),
					}
				)
	return out
