"""French payment terms: the legal cap (Code de commerce L441-10) and the D441-6 table's figures.

- The cap of an invoice dated D:
  60 days from the invoice date: D + 60 days;
  45 days end of month, counted (a): D + 45 days, then the last day of that month;
  45 days end of month, counted (b): the last day of D's month, then + 45 days;
  a sector cap (another law, e.g. transport 30 days): D + N days.
- A due date is beyond the cap when it is later than the cap date; the days beyond are the
  difference (0 when within).
- Lateness of an invoice at a day X against its reference due date R: X - R days (negative or zero:
  not late). The official columns: 0 day (indicative: not late at X), 1-30, 31-60, 61-90, 91 and
  more; the total is of 1 day and more (the 0-day column is not in it).
- Table I (unpaid at the closing date): every invoice still owing something at the closing date,
  by its lateness at the closing date, with what it still owes; an excluded invoice (disputed, on
  hold) goes to (B) and to no column.
- Table II (paid late during the year): every invoice whose balance reached zero during the year
  and stayed there, by its lateness on that day, with its amount; the percentages are of the
  year's invoices.
- Percentages: amount / base x 100, rounded to two decimals; no base, no percentage.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from relance_app.constants import (
	BUCKET_0,
	BUCKET_1_30,
	BUCKET_31_60,
	BUCKET_61_90,
	BUCKET_91,
	CAP_45_EOM_A,
	CAP_45_EOM_B,
	CAP_60_DAYS,
	CAP_OVERRIDE,
	LATE_BUCKETS,
	LATENESS_BUCKETS,
	LEGAL_CAP_DAYS,
	LEGAL_CAP_EOM_DAYS,
)

ZERO = Decimal(0)
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
TOTAL = "total"
# ERPNext's Payment Term `due_date_based_on`
DAYS_AFTER_INVOICE = "Day(s) after invoice date"
DAYS_AFTER_MONTH_END = "Day(s) after the end of the invoice month"
MONTHS_AFTER_MONTH_END = "Month(s) after the end of the invoice month"


# --- days -------------------------------------------------------------------------------------------


def end_of_month(day: date) -> date:
	return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def add_months_end(day: date, months: int) -> date:
	"""The last day of the month `months` after `day`'s month."""
	index = day.year * 12 + day.month - 1 + months
	return end_of_month(date(index // 12, index % 12 + 1, 1))


def days_between(start: date, end: date) -> int:
	"""end - start in days (negative when end is earlier)."""
	return (end - start).days


# --- the legal cap ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CapRule:
	"""A company's cap: its method, the days of a sector cap, whether it refuses an invoice beyond."""

	method: str = CAP_60_DAYS
	override_days: int = 0
	refuse: bool = False


def cap_date(invoice_date: date, rule: CapRule | str = CAP_60_DAYS) -> date:
	"""The latest due date the law allows for an invoice dated `invoice_date`."""
	rule = rule if isinstance(rule, CapRule) else CapRule(rule)
	if rule.method == CAP_45_EOM_A:
		return end_of_month(invoice_date + timedelta(days=LEGAL_CAP_EOM_DAYS))
	if rule.method == CAP_45_EOM_B:
		return end_of_month(invoice_date) + timedelta(days=LEGAL_CAP_EOM_DAYS)
	if rule.method == CAP_OVERRIDE and rule.override_days > 0:
		return invoice_date + timedelta(days=rule.override_days)
	return invoice_date + timedelta(days=LEGAL_CAP_DAYS)


def days_beyond_cap(invoice_date: date, due_date: date, rule: CapRule | str = CAP_60_DAYS) -> int:
	"""Days the due date is past the cap; 0 within it."""
	return max(0, days_between(cap_date(invoice_date, rule), due_date))


def term_due_date(invoice_date: date, based_on: str, credit_days: int = 0, credit_months: int = 0) -> date:
	"""The due date a Payment Term gives an invoice (ERPNext's get_due_date)."""
	if based_on == DAYS_AFTER_MONTH_END:
		return end_of_month(invoice_date) + timedelta(days=credit_days)
	if based_on == MONTHS_AFTER_MONTH_END:
		return add_months_end(invoice_date, credit_months)
	return invoice_date + timedelta(days=credit_days)


def worst_term_excess(
	based_on: str, credit_days: int, credit_months: int, rule: CapRule, first_day: date = date(2027, 1, 1)
) -> tuple[int, date | None]:
	"""(the most days past the cap a term gives, the first invoice date giving it) over the invoice
	dates of four years from `first_day` (every month length, a leap February); (0, None) within."""
	worst, worst_day = 0, None
	for offset in range(4 * 366):
		day = first_day + timedelta(days=offset)
		excess = days_beyond_cap(day, term_due_date(day, based_on, credit_days, credit_months), rule)
		if excess > worst:
			worst, worst_day = excess, day
	return worst, worst_day


def reference_due_date(invoice_date: date, due_date: date | None, legal: bool, rule: CapRule) -> date:
	"""The due date lateness counts from: the invoice's own (contractual terms), or the cap (legal)."""
	if legal or due_date is None:
		return cap_date(invoice_date, rule)
	return due_date


# --- lateness buckets ----------------------------------------------------------------------------------


def bucket(days_late: int) -> str:
	"""The official column of a lateness in days (0 and less: the indicative 0-day column)."""
	if days_late <= 0:
		return BUCKET_0
	if days_late <= 30:
		return BUCKET_1_30
	if days_late <= 60:
		return BUCKET_31_60
	if days_late <= 90:
		return BUCKET_61_90
	return BUCKET_91


@dataclass(frozen=True)
class TableLine:
	"""One invoice as the table counts it."""

	name: str
	amount: Decimal
	days_late: int
	excluded: bool = False


@dataclass
class Table:
	"""One side (issued or received) of table I or II."""

	counts: dict[str, int] = field(default_factory=dict)
	amounts: dict[str, Decimal] = field(default_factory=dict)
	excluded_count: int = 0
	excluded_amount: Decimal = ZERO
	base: Decimal = ZERO
	count_base: int = 0  # the year's number of invoices (table II)
	invoices: dict[str, list[str]] = field(default_factory=dict)

	def percent(self, column: str) -> Decimal | None:
		if self.base <= 0:
			return None
		return (self.amounts.get(column, ZERO) * HUNDRED / self.base).quantize(CENT, ROUND_HALF_UP)


def tabulate(lines: Iterable[TableLine], base=ZERO) -> Table:
	"""Counts and amounts per column, the total of 1 day and more, and (B) the excluded ones."""
	table = Table(
		counts={b: 0 for b in (*LATENESS_BUCKETS, TOTAL)},
		amounts={b: ZERO for b in (*LATENESS_BUCKETS, TOTAL)},
		base=Decimal(base),
		invoices={b: [] for b in (*LATENESS_BUCKETS, TOTAL)},
	)
	for line in lines:
		if line.excluded:
			table.excluded_count += 1
			table.excluded_amount += line.amount
			continue
		columns = [bucket(line.days_late)]
		if columns[0] in LATE_BUCKETS:
			columns.append(TOTAL)
		for column in columns:
			table.counts[column] += 1
			table.amounts[column] += line.amount
			table.invoices[column].append(line.name)
	return table


# --- the ledger ---------------------------------------------------------------------------------------


def balance_at(entries: Sequence[tuple[date, Decimal]], day: date) -> Decimal:
	"""What the invoice still owes at the end of `day`: its ledger entries up to that day."""
	return sum((Decimal(amount) for when, amount in entries if when <= day), ZERO)


def settlement_date(entries: Sequence[tuple[date, Decimal]], tolerance=ZERO) -> date | None:
	"""The day the balance reached `tolerance` or less and stayed there through the last entry;
	None when it still owes more (or never owed anything)."""
	by_day: dict[date, Decimal] = {}
	for when, amount in entries:
		by_day[when] = by_day.get(when, ZERO) + Decimal(amount)
	balance, owed, settled = ZERO, False, None
	for when in sorted(by_day):
		balance += by_day[when]
		if balance > tolerance:
			owed, settled = True, None
		elif owed and settled is None:
			settled = when
	return settled


def excluding_vat(amount: Decimal, net_total, grand_total) -> Decimal:
	"""The share of an amount including VAT that is not VAT, in the invoice's own proportion."""
	net, grand = Decimal(net_total), Decimal(grand_total)
	if not grand:
		return Decimal(amount)
	return (Decimal(amount) * net / grand).quantize(CENT, ROUND_HALF_UP)
