"""Which days a company's relances go out: the days its holiday list does not name (a holiday list
lists the weekly offs too), Saturday and Sunday off outside the list's period or without a list,
and every day when Relance Settings does not restrict the run to business days.

The run, the invoice's "next relance" date and the policy simulation all read the calendar here,
so the date shown on the form is the date the scheduler will act."""

from __future__ import annotations

from datetime import date, timedelta

import frappe
from frappe.utils import cint, getdate, today

from relance_app.common.cache import memo
from relance_app.engine.forecast import WEEKEND, next_business_day

# the period a forecast may look at, around today
PAST_DAYS = 400
FUTURE_DAYS = 4 * 366


def business_days_only() -> bool:
	return bool(cint(frappe.get_cached_doc("Relance Settings").business_days_only))


def company_calendar(company: str | None) -> tuple[frozenset[date], tuple[int, ...]]:
	"""(days off, weekly off days) of a company, for the engine's business-day functions."""
	if not business_days_only():
		return frozenset(), ()
	holiday_list = memo(
		("holiday_list", company),
		lambda: company and frappe.get_cached_value("Company", company, "default_holiday_list"),
	)
	if not holiday_list:
		return frozenset(), WEEKEND
	return memo(("days_off", holiday_list), lambda: (_days_off(holiday_list), ()))


def _days_off(holiday_list: str) -> frozenset[date]:
	"""The list's holidays, and the weekends of the period it does not cover (all of them when the
	list named by the company is gone)."""
	period = frappe.db.get_value("Holiday List", holiday_list, ["from_date", "to_date"], as_dict=True)
	days = set()
	first = last = None
	if period:
		first, last = getdate(period.from_date), getdate(period.to_date)
		days.update(
			getdate(d)
			for d in frappe.get_all("Holiday", filters={"parent": holiday_list}, pluck="holiday_date")
		)
	now = getdate(today())
	day, end = now - timedelta(days=PAST_DAYS), now + timedelta(days=FUTURE_DAYS)
	while day <= end:
		covered = first is not None and first <= day <= last
		if not covered and day.weekday() in WEEKEND:
			days.add(day)
		day += timedelta(days=1)
	return frozenset(days)


def is_business_day(company: str | None, day: date) -> bool:
	days_off, weekend = company_calendar(company)
	return day not in days_off and day.weekday() not in weekend


def shift_to_business_day(company: str | None, day: date | None) -> date | None:
	"""The day the run will act on something that falls due on `day`."""
	if not day:
		return day
	try:
		return next_business_day(getdate(day), *company_calendar(company))
	except ValueError:  # a holiday list naming ten years of days: leave the date as it is
		return day
