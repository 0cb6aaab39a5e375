"""Number cards and the chart source of the Relance workspace.

Cards that Frappe can count itself (awaiting approval, sent this month, failed, promises this week) are
"Document Type" cards: Frappe counts them through `get_list`, so User Permissions apply. The cards below
need the relance rules (a hold ends after its date, money in the company's currency): each restricts
itself to the companies the user may see."""

from __future__ import annotations

from collections import defaultdict

import frappe
from frappe import _
from frappe.query_builder import Case
from frappe.query_builder.functions import Count, Sum
from frappe.utils import add_days, flt, formatdate, getdate, today
from frappe.utils.dateutils import (
	get_dates_from_timegrain,
	get_from_date_from_timespan,
	get_period_beginning,
)

from relance_app.analytics.register import SENT_STATUSES, allowed_companies, stage_order
from relance_app.data.invoices import THANK_YOU_STAGE

REGISTER = ["query-report", "Relance Register"]


def _filters(filters) -> frappe._dict:
	filters = frappe.parse_json(filters) if filters else {}
	if isinstance(filters, list):  # a dashboard's [[doctype, field, op, value]] rows
		filters = {f[1]: f[3] for f in filters if len(f) >= 4 and f[2] == "="}
	return frappe._dict(filters or {})


def _card_companies(filters) -> tuple[list[str], str]:
	"""The companies a money card adds up and their currency: the company asked for, else those of the
	user's default company's currency (a card shows one currency)."""
	companies = allowed_companies(filters.get("company"))
	if not companies:
		return [], frappe.db.get_default("currency")
	currency_of = dict(
		frappe.get_all(
			"Company", filters={"name": ("in", companies)}, fields=["name", "default_currency"], as_list=True
		)
	)
	default = frappe.defaults.get_user_default("Company")
	currency = currency_of.get(default) or currency_of[companies[0]]
	return [c for c in companies if currency_of[c] == currency], currency


@frappe.whitelist()
def total_overdue(filters=None) -> dict:
	"""Outstanding of invoices past their due date, in the company currency."""
	filters = _filters(filters)
	companies, currency = _card_companies(filters)
	si = frappe.qb.DocType("Sales Invoice")
	value = 0.0
	if companies:
		# the outstanding is in the receivable account's currency: the company's, or the invoice's
		in_company_currency = (
			Case()
			.when(si.party_account_currency == currency, si.outstanding_amount)
			.else_(si.outstanding_amount * si.conversion_rate)
		)
		value = (
			frappe.qb.from_(si)
			.select(Sum(in_company_currency))
			.where(
				(si.docstatus == 1)
				& (si.is_return == 0)
				& (si.outstanding_amount > 0)
				& (si.due_date < getdate(today()))
				& si.company.isin(companies)
			)
			.run()[0][0]
		)
	return {
		"value": flt(value),
		"fieldtype": "Currency",
		"currency": currency,
		"route": REGISTER,
		"route_options": {"days_late_from": 1},
	}


@frappe.whitelist()
def on_hold(filters=None) -> dict:
	"""Open invoices whose relance is held (a dispute, a reply...), payment promises aside."""
	filters = _filters(filters)
	companies = allowed_companies(filters.get("company"))
	si = frappe.qb.DocType("Sales Invoice")
	value = 0
	if companies:
		value = (
			frappe.qb.from_(si)
			.select(Count(si.name))
			.where(
				(si.docstatus == 1)
				& (si.outstanding_amount > 0)
				& (si.relance_hold == 1)
				& (si.relance_hold_reason.isnull() | (si.relance_hold_reason != "Payment Promise"))
				& (si.relance_hold_until.isnull() | (si.relance_hold_until >= getdate(today())))
				& si.company.isin(companies)
			)
			.run()[0][0]
		)
	return {
		"value": value,
		"fieldtype": "Int",
		"route": REGISTER,
		"route_options": {"procedure": "On Hold"},
	}


@frappe.whitelist()
def relances_by_stage(
	chart_name=None,
	chart=None,
	no_cache=None,
	filters=None,
	from_date=None,
	to_date=None,
	timespan=None,
	time_interval=None,
	heatmap_year=None,
) -> dict:
	"""Chart source "Relances by Stage": relances made per period, one dataset per stage."""
	if chart_name:
		chart = frappe.get_doc("Dashboard Chart", chart_name)
	else:
		chart = frappe._dict(frappe.parse_json(chart) or {})
	filters = _filters(filters) if filters else _filters(chart.get("filters_json"))
	timespan = timespan or chart.get("timespan") or "Last Quarter"
	grain = time_interval or chart.get("time_interval") or "Weekly"
	to_date = getdate(to_date or today())
	if timespan == "Select Date Range" and chart.get("from_date"):
		from_date, to_date = getdate(chart.from_date), getdate(chart.to_date or to_date)
	from_date = getdate(from_date or get_from_date_from_timespan(to_date, timespan))
	start = get_period_beginning(from_date, grain)
	ends = get_dates_from_timegrain(from_date, to_date, grain)

	companies = allowed_companies(filters.get("company"))
	log = frappe.qb.DocType("Relance Log")
	rows = []
	if companies:
		rows = (
			frappe.qb.from_(log)
			.select(log.stage_name, log.relance_date, Count(log.name))
			.where(
				log.status.isin(SENT_STATUSES)
				& (log.stage_name != THANK_YOU_STAGE)
				& (log.relance_date >= start)
				& (log.relance_date <= ends[-1])
				& log.company.isin(companies)
			)
			.groupby(log.stage_name, log.relance_date)
			.run()
		)
	counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(ends))
	for stage, day, n in rows:
		day = getdate(day)
		i = next(i for i, end in enumerate(ends) if day <= getdate(end))
		counts[stage][i] += n
	order = stage_order()
	stages = sorted(counts, key=lambda s: (order.get(s, (10**6, 0)), s))
	return {
		"labels": [formatdate(e, "dd/MM") for e in ends],
		"datasets": [{"name": s, "values": counts[s]} for s in stages]
		or [{"name": _("Relances"), "values": [0] * len(ends)}],
		"type": "bar",
	}


def week_bounds(day=None) -> tuple:
	"""Monday and Sunday of the week of `day` (the promises card's "this week")."""
	day = getdate(day or today())
	monday = add_days(day, -day.weekday())
	return getdate(monday), getdate(add_days(monday, 6))
