"""The legal cap of payment terms (L441-10), the D441-6 columns and the ledger arithmetic."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import amounts, dates_from

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
)
from relance_app.engine.payment_terms import (
	DAYS_AFTER_INVOICE,
	DAYS_AFTER_MONTH_END,
	MONTHS_AFTER_MONTH_END,
	TOTAL,
	CapRule,
	TableLine,
	add_months_end,
	balance_at,
	bucket,
	cap_date,
	days_beyond_cap,
	end_of_month,
	excluding_vat,
	reference_due_date,
	settlement_date,
	tabulate,
	term_due_date,
	worst_term_excess,
)

START = date(2019, 1, 1)
dates = dates_from(START)
methods = st.sampled_from((CAP_60_DAYS, CAP_45_EOM_A, CAP_45_EOM_B))


# --- examples -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	"invoice, method, cap",
	[
		(date(2026, 1, 15), CAP_60_DAYS, date(2026, 3, 16)),
		(date(2026, 1, 15), CAP_45_EOM_A, date(2026, 3, 31)),  # 1 March, then end of March
		(date(2026, 1, 15), CAP_45_EOM_B, date(2026, 3, 17)),  # 31 January + 45 days
		(date(2026, 1, 10), CAP_45_EOM_A, date(2026, 2, 28)),  # 24 February, end of a short February
		(date(2028, 1, 10), CAP_45_EOM_A, date(2028, 2, 29)),  # leap year
		(date(2026, 12, 31), CAP_45_EOM_B, date(2027, 2, 14)),  # across the year end
		(date(2026, 11, 20), CAP_45_EOM_A, date(2027, 1, 31)),  # 4 January 2027, end of January
		(date(2026, 12, 15), CAP_60_DAYS, date(2027, 2, 13)),
		(date(2027, 12, 31), CAP_45_EOM_B, date(2028, 2, 14)),
		(date(2028, 1, 31), CAP_45_EOM_B, date(2028, 3, 16)),  # 31 January + 45 days in a leap year
	],
)
def test_cap_dates(invoice, method, cap):
	assert cap_date(invoice, method) == cap


def test_sector_cap_counts_its_own_days_and_falls_back_to_60():
	assert cap_date(date(2026, 3, 1), CapRule(CAP_OVERRIDE, 30)) == date(2026, 3, 31)
	assert cap_date(date(2026, 3, 1), CapRule(CAP_OVERRIDE, 0)) == date(2026, 4, 30)


def test_buckets_at_their_edges():
	assert [bucket(d) for d in (-5, 0, 1, 30, 31, 60, 61, 90, 91, 400)] == [
		BUCKET_0,
		BUCKET_0,
		BUCKET_1_30,
		BUCKET_1_30,
		BUCKET_31_60,
		BUCKET_31_60,
		BUCKET_61_90,
		BUCKET_61_90,
		BUCKET_91,
		BUCKET_91,
	]


def test_payment_terms_due_dates_as_erpnext_counts_them():
	assert term_due_date(date(2026, 1, 31), MONTHS_AFTER_MONTH_END, credit_months=1) == date(2026, 2, 28)
	assert term_due_date(date(2026, 1, 10), DAYS_AFTER_MONTH_END, 45) == date(2026, 3, 17)
	assert term_due_date(date(2026, 1, 10), DAYS_AFTER_INVOICE, 30) == date(2026, 2, 9)


def test_worst_excess_of_a_template():
	# 45 days end of month (b) is within (b) but beyond 60 days for invoices of early months
	assert worst_term_excess(DAYS_AFTER_MONTH_END, 45, 0, CapRule(CAP_45_EOM_B)) == (0, None)
	days, first = worst_term_excess(DAYS_AFTER_MONTH_END, 45, 0, CapRule(CAP_60_DAYS))
	assert days == 15 and first == date(2027, 1, 1)  # 31 Jan + 45 = 17 March, cap 2 March
	assert worst_term_excess(DAYS_AFTER_INVOICE, 60, 0, CapRule(CAP_60_DAYS)) == (0, None)
	assert worst_term_excess(DAYS_AFTER_INVOICE, 61, 0, CapRule(CAP_60_DAYS))[0] == 1


def test_reference_due_date_is_the_invoices_or_the_cap():
	rule = CapRule(CAP_60_DAYS)
	assert reference_due_date(date(2026, 1, 1), date(2026, 1, 31), False, rule) == date(2026, 1, 31)
	assert reference_due_date(date(2026, 1, 1), date(2026, 1, 31), True, rule) == date(2026, 3, 2)


def test_table_example_with_an_exclusion():
	lines = [
		TableLine("A", Decimal("100"), 0),
		TableLine("B", Decimal("200"), 10),
		TableLine("C", Decimal("300"), 45),
		TableLine("D", Decimal("50"), 120, excluded=True),
	]
	table = tabulate(lines, Decimal("10000"))
	assert table.counts == {
		BUCKET_0: 1,
		BUCKET_1_30: 1,
		BUCKET_31_60: 1,
		BUCKET_61_90: 0,
		BUCKET_91: 0,
		TOTAL: 2,
	}
	assert table.amounts[TOTAL] == Decimal("500")
	assert table.percent(TOTAL) == Decimal("5.00")
	assert (table.excluded_count, table.excluded_amount) == (1, Decimal("50"))
	assert tabulate(lines).percent(TOTAL) is None


def test_settlement_examples():
	d = date(2026, 1, 1)
	entries = [(d, Decimal(100)), (d + timedelta(10), Decimal(-40)), (d + timedelta(20), Decimal(-60))]
	assert settlement_date(entries) == d + timedelta(20)
	assert settlement_date(entries[:2]) is None
	assert balance_at(entries, d + timedelta(15)) == Decimal(60)
	# paid, then the payment cancelled (a reversal owes again), then paid again
	again = [*entries, (d + timedelta(25), Decimal(60)), (d + timedelta(30), Decimal(-60))]
	assert settlement_date(again) == d + timedelta(30)
	assert settlement_date([]) is None


def test_excluding_vat_keeps_the_invoices_proportion():
	assert excluding_vat(Decimal("600"), 1000, 1200) == Decimal("500.00")
	assert excluding_vat(Decimal("600"), 0, 0) == Decimal("600")


# --- properties ---------------------------------------------------------------------------------------


@given(dates)
def test_end_of_month_is_the_last_day(day):
	last = end_of_month(day)
	assert last.month == day.month and last.year == day.year
	assert (last + timedelta(days=1)).day == 1


@given(dates, st.integers(0, 40))
def test_months_after_the_end_of_month(day, months):
	last = add_months_end(day, months)
	assert (last + timedelta(days=1)).day == 1
	assert (last.year - day.year) * 12 + last.month - day.month == months


@given(dates, methods)
def test_the_cap_is_45_to_76_days_and_45_eom_a_ends_a_month(day, method):
	cap = cap_date(day, method)
	days = (cap - day).days
	if method == CAP_60_DAYS:
		assert days == 60
	elif method == CAP_45_EOM_A:
		# the end of the month of day + 45: between 45 and 45 + 30 days
		assert 45 <= days <= 75 and (cap + timedelta(days=1)).day == 1
	else:
		# day + 45 at least, end of month + 45 at most (a 31-day month started on its 1st: 75)
		assert 45 <= days <= 75 and cap - timedelta(days=45) == end_of_month(day)


@given(dates, methods)
def test_the_cap_never_goes_back(day, method):
	assert cap_date(day + timedelta(days=1), method) >= cap_date(day, method)


@given(dates, methods, st.integers(-100, 100))
def test_days_beyond_the_cap(day, method, delta):
	due = cap_date(day, method) + timedelta(days=delta)
	assert days_beyond_cap(day, due, method) == max(0, delta)


@given(st.integers(-400, 400))
def test_every_lateness_has_exactly_one_column(days):
	matches = [
		b
		for b, (low, high) in zip(
			LATENESS_BUCKETS, ((-(10**6), 0), (1, 30), (31, 60), (61, 90), (91, 10**6)), strict=True
		)
		if low <= days <= high
	]
	assert matches == [bucket(days)]


lines_strategy = st.lists(
	st.builds(TableLine, st.text(min_size=1, max_size=5), amounts, st.integers(-60, 400), st.booleans()),
	max_size=40,
)


@given(lines_strategy, amounts)
def test_every_invoice_in_exactly_one_place_and_the_totals_add_up(lines, base):
	table = tabulate(lines, base)
	kept = [line for line in lines if not line.excluded]
	assert sum(table.counts[b] for b in LATENESS_BUCKETS) + table.excluded_count == len(lines)
	assert sum(table.amounts[b] for b in LATENESS_BUCKETS) + table.excluded_amount == sum(
		(line.amount for line in lines), Decimal(0)
	)
	assert table.counts[TOTAL] == sum(table.counts[b] for b in LATE_BUCKETS)
	assert table.amounts[TOTAL] == sum((table.amounts[b] for b in LATE_BUCKETS), Decimal(0))
	assert table.counts[TOTAL] == sum(1 for line in kept if line.days_late >= 1)
	assert sum(table.percent(b) for b in LATE_BUCKETS) - table.percent(TOTAL) <= Decimal("0.02")


@given(st.lists(st.tuples(dates, st.integers(-500, 500).map(Decimal)), max_size=12))
def test_settled_means_nothing_owed_from_that_day_on(entries):
	settled = settlement_date(entries)
	days = sorted({d for d, _ in entries})
	if settled is None:
		assert not days or balance_at(entries, days[-1]) > 0 or all(balance_at(entries, d) <= 0 for d in days)
		return
	assert all(balance_at(entries, d) <= 0 for d in days if d >= settled)
	earlier = [d for d in days if d < settled]
	assert earlier and balance_at(entries, earlier[-1]) > 0
