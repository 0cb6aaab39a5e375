"""Property tests of the late-interest split by semester (L441-10) and by payment."""

from datetime import date, timedelta
from decimal import Decimal

from factories import policy
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import amounts, dates_from

from relance_app.engine.models import LEGAL_RATE, Payment, SemesterRate
from relance_app.engine.penalties import (
	RateTable,
	compute_penalties,
	days_late,
	late_interest,
	late_periods,
	semester_start,
)

START = date(2015, 1, 1)
dates = dates_from(START)
ecb = st.decimals(min_value=Decimal("0"), max_value=Decimal("6"), places=2)


@st.composite
def rate_tables(draw):
	"""Rates for a random subset of the semesters 2015-2027 (gaps included)."""
	semesters = [date(y, m, 1) for y in range(2015, 2028) for m in (1, 7)]
	chosen = draw(st.lists(st.sampled_from(semesters), unique=True, max_size=len(semesters)))
	return RateTable(SemesterRate(s, draw(ecb)) for s in chosen)


LEGAL = policy(interest_basis=LEGAL_RATE, late_interest_rate=Decimal("12.15"))


@given(dates, st.integers(-30, 1500), st.lists(dates, max_size=5))
def test_split_never_changes_the_total_days(due, span, cuts):
	as_of = due + timedelta(days=span)
	periods = late_periods(due, as_of, cuts)
	assert sum((end - start).days + 1 for start, end in periods) == days_late(due, as_of)
	for (start, end), nxt in zip(periods, [*periods[1:], None], strict=False):
		assert start <= end and semester_start(start) == semester_start(end)  # one semester each
		if nxt:
			assert nxt[0] == end + timedelta(days=1)  # consecutive, no gap, no overlap
	if periods:
		assert periods[0][0] == due + timedelta(days=1) and periods[-1][1] == as_of


@given(amounts, dates, st.integers(1, 1500), rate_tables())
@settings(max_examples=200)
def test_lines_cover_every_day_late_once(amount, due, span, table):
	as_of = due + timedelta(days=span)
	p = compute_penalties(LEGAL, amount, due, as_of, "Company", rates=table)
	assert sum(line.days for line in p.lines) == p.days_late == span
	assert p.interest == sum(line.amount for line in p.lines)


@given(amounts, dates, st.integers(0, 1200), st.integers(1, 400), rate_tables(), st.booleans())
@settings(max_examples=200)
def test_interest_is_monotonic_in_days_late(amount, due, span, more, table, legal):
	pol = LEGAL if legal else policy(late_interest_rate=Decimal("12.15"))
	as_of = due + timedelta(days=span)
	a = compute_penalties(pol, amount, due, as_of, "Company", rates=table)
	b = compute_penalties(pol, amount, due, as_of + timedelta(days=more), "Company", rates=table)
	assert b.interest >= a.interest
	assert b.indemnity == a.indemnity or a.days_late == 0  # once per invoice


@given(amounts, dates, st.integers(1, 1200), ecb)
def test_one_rate_everywhere_equals_the_single_rate_formula(amount, due, span, rate):
	as_of = due + timedelta(days=span)
	table = RateTable(SemesterRate(date(y, m, 1), rate) for y in range(2014, 2029) for m in (1, 7))
	p = compute_penalties(LEGAL, amount, due, as_of, "Company", rates=table)
	assert p.interest == late_interest(amount, rate + 10, span)
	assert len(p.lines) == 1


@given(
	amounts,
	dates,
	st.integers(1, 600),
	st.lists(st.tuples(st.integers(1, 600), amounts), max_size=4),
	rate_tables(),
)
@settings(max_examples=200)
def test_payments_only_lower_the_interest(amount, due, span, paid, table):
	as_of = due + timedelta(days=span)
	payments = [Payment(due + timedelta(days=d), a) for d, a in paid]
	total_paid = sum((p.amount for p in payments), Decimal(0))
	with_payments = compute_penalties(LEGAL, amount, due, as_of, "Company", rates=table, payments=payments)
	unpaid = compute_penalties(LEGAL, amount + total_paid, due, as_of, "Company", rates=table)
	# exactly, before rounding; each rounded line is within half a cent of its exact amount
	assert exact(with_payments) <= exact(unpaid)
	assert with_payments.interest <= unpaid.interest + Decimal("0.005") * (
		len(with_payments.lines) + len(unpaid.lines)
	)
	assert sum(line.days for line in with_payments.lines) <= span


def exact(p):
	return sum((line.base * line.rate * line.days / Decimal(36500) for line in p.lines), Decimal(0))
