"""Number cards and the chart source of the Relance workspace (their doors: relance_app.api).

Cards that Frappe can count itself (awaiting approval, sent this month, failed, promises this week) are
"Document Type" cards: Frappe counts them through `get_list`, so User Permissions apply. The cards below
need the relance rules (a hold ends after its date, money in the company's currency): they read the
invoices through the loader (relance_app.data.invoices) and count only what the user may read: a user
whose roles do not read Sales Invoice (Relance Log for the chart) is refused, and Frappe's read
conditions (User Permissions on Company, Customer...) restrict the figures."""

from __future__ import annotations

import json
from collections import defaultdict

import frappe
from frappe import _
from frappe.query_builder import Case, Criterion
from frappe.query_builder.functions import Count, Sum
from frappe.utils import add_days, flt, formatdate, getdate, today
from frappe.utils.dateutils import (
	get_dates_from_timegrain,
	get_from_date_from_timespan,
	get_period_beginning,
)

from relance_app.analytics.register import SENT_STATUSES, allowed_companies, stage_order
from relance_app.common import args
from relance_app.constants import PAYMENT_PROMISE
from relance_app.data.credit_hold import all_holds
from relance_app.data.invoices import (
	THANK_YOU_STAGE,
	invoice_tables,
	invoices_query,
	is_open,
	open_and_overdue,
	readable,
)

REGISTER = ["query-report", "Relance Register"]
# the chart's periods and spans (Dashboard Chart `time_interval`, `timespan`; "All Time" from Frappe's
# get_from_date_from_timespan)
TIME_INTERVALS = ("Yearly", "Quarterly", "Monthly", "Weekly", "Daily")
TIMESPANS = ("Last Year", "Last Quarter", "Last Month", "Last Week", "Select Date Range", "All Time")


def _json(value, name: str):
	if not isinstance(value, str):
		return value
	try:
		return json.loads(value)
	except ValueError:
		args.refuse(
			_("{0} must be JSON, not {1}.").format(name, args.shown(value)), title=_("Invalid Filter")
		)


def card_filters(filters) -> frappe._dict:
	"""A card's or chart's filters: a dict, or a dashboard's [[doctype, field, op, value]] rows (JSON)."""
	filters = _json(filters, "filters") if filters else {}
	if isinstance(filters, list):
		filters = {f[1]: f[3] for f in filters if isinstance(f, list) and len(f) >= 4 and f[2] == "="}
	if not isinstance(filters, dict):
		args.refuse(_("filters must be a JSON object or list, not {0}.").format(args.shown(filters)))
	return frappe._dict(filters)


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


def _readable_invoices(*conditions) -> Criterion:
	"""`conditions` on the invoices, and only those the user may read (User Permissions apply)."""
	seen = readable("Sales Invoice")
	return Criterion.all([*conditions, *([seen] if seen is not None else [])])


def total_overdue(filters=None) -> dict:
	"""Outstanding of the invoices the user may read past their due date, in the company currency."""
	filters = card_filters(filters)
	companies, currency = _card_companies(filters)
	si, _c = invoice_tables()
	where = _readable_invoices(open_and_overdue(si, getdate(today())), si.company.isin(companies or [""]))
	value = 0.0
	if companies:
		# the outstanding is in the receivable account's currency: the company's, or the invoice's
		in_company_currency = (
			Case()
			.when(si.party_account_currency == currency, si.outstanding_amount)
			.else_(si.outstanding_amount * si.conversion_rate)
		)
		value = invoices_query(where).select(Sum(in_company_currency)).run()[0][0]
	return {
		"value": flt(value),
		"fieldtype": "Currency",
		"currency": currency,
		"route": REGISTER,
		"route_options": {"days_late_from": 1},
	}


def on_hold(filters=None) -> dict:
	"""Open invoices the user may read whose relance is held (a dispute, a reply...), payment promises
	aside."""
	filters = card_filters(filters)
	companies = allowed_companies(filters.get("company"))
	si, _c = invoice_tables()
	where = _readable_invoices(
		is_open(si),
		si.relance_hold == 1,
		si.relance_hold_reason.isnull() | (si.relance_hold_reason != PAYMENT_PROMISE),
		si.relance_hold_until.isnull() | (si.relance_hold_until >= getdate(today())),
		si.company.isin(companies or [""]),
	)
	value = invoices_query(where).select(Count(si.name)).run()[0][0] if companies else 0
	return {
		"value": value,
		"fieldtype": "Int",
		"route": REGISTER,
		"route_options": {"procedure": "On Hold"},
	}


def held_customers(filters=None) -> dict:
	"""Customers on credit hold with the companies the user may see (the rule of the hooks and forms,
	relance_app.data.credit_hold)."""
	filters = card_filters(filters)
	companies = allowed_companies(filters.get("company"))
	found = all_holds(companies) if companies else {}
	return {
		"value": len({customer for (customer, _company), f in found.items() if f.hold.held}),
		"fieldtype": "Int",
		"route": REGISTER,
		"route_options": {"credit_hold": 1},
	}


def _chart(chart_name=None, chart=None) -> frappe._dict:
	if not chart_name:
		return frappe._dict(_json(chart, "chart") or {})
	fields = ["filters_json", "timespan", "time_interval", "from_date", "to_date"]
	found = frappe.db.get_value("Dashboard Chart", chart_name, fields, as_dict=True)
	if not found:
		args.refuse(
			_("Dashboard Chart {0} does not exist.").format(args.shown(chart_name)),
			frappe.DoesNotExistError,
			title=_("Not Found"),
		)
	return found


def _periods(chart, from_date, to_date, timespan, grain) -> tuple:
	"""The first day and the period ends of the chart."""
	if grain not in TIME_INTERVALS:
		args.refuse(_("time_interval must be one of {0}.").format(", ".join(TIME_INTERVALS)))
	try:
		to_date = getdate(to_date or today())
		if timespan == "Select Date Range" and chart.get("from_date"):
			from_date, to_date = getdate(chart.from_date), getdate(chart.to_date or to_date)
		from_date = getdate(from_date or get_from_date_from_timespan(to_date, timespan))
	except Exception:
		args.refuse(_("The chart's dates are not valid dates."), title=_("Invalid Filter"))
	return get_period_beginning(from_date, grain), get_dates_from_timegrain(from_date, to_date, grain)


def relances_by_stage(
	chart_name=None,
	chart=None,
	filters=None,
	from_date=None,
	to_date=None,
	timespan=None,
	time_interval=None,
) -> dict:
	"""Chart source "Relances by Stage": relances made per period, one dataset per stage; only the
	relances the user may read (User Permissions apply)."""
	chart = _chart(chart_name, chart)
	filters = card_filters(filters) if filters else card_filters(chart.get("filters_json"))
	timespan = timespan or chart.get("timespan") or "Last Quarter"
	grain = time_interval or chart.get("time_interval") or "Weekly"
	start, ends = _periods(chart, from_date, to_date, timespan, grain)

	companies = allowed_companies(filters.get("company"))
	log = frappe.qb.DocType("Relance Log")
	seen = readable("Relance Log")
	rows = []
	if companies:
		where = (
			log.status.isin(SENT_STATUSES)
			& (log.stage_name != THANK_YOU_STAGE)
			& (log.relance_date >= start)
			& (log.relance_date <= ends[-1])
			& log.company.isin(companies)
		)
		rows = (
			frappe.qb.from_(log)
			.select(log.stage_name, log.relance_date, Count(log.name))
			.where(where if seen is None else where & seen)
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
