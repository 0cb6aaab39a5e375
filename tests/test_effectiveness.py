"""Stage effectiveness arithmetic: paid dates from the ledger, windows, last-relance credit, medians,
baseline. Hand-computed cases first, then properties (hypothesis)."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from relance_app.engine.effectiveness import (
	LedgerEntry,
	OverdueInvoice,
	PolicySpec,
	SentRelance,
	baseline_reference,
	measure,
	median,
	outcome,
	outstanding_at,
	percentage,
)

D = Decimal
DUE = date(2025, 1, 31)
FROM, TO, AS_OF = date(2025, 1, 1), date(2025, 6, 30), date(2025, 12, 31)
STAGES = (("Pré-relance", -5), ("Relance 1", 5), ("Relance 2", 15), ("Relance 3", 30))
POLICY = PolicySpec("Relance standard", "ACME", D("0"), STAGES)


def day(n: int) -> date:
	"""Days after the due date."""
	return DUE + timedelta(days=n)


def invoice(total="1000", posted=-30):
	return [LedgerEntry(day(posted), D(total))]


def pay(n, amount, company=None, credit_note=False):
	return LedgerEntry(day(n), -D(amount), None if company is None else -D(company), credit_note)


def relance(stage, n, invoice="SINV-1", policy="Relance standard"):
	return SentRelance(invoice, policy, stage, day(n), dict(STAGES).get(stage, 0))


def run(relances, ledgers, policies=None, overdue=(), **kw):
	kw = {"from_date": FROM, "to_date": TO, "as_of": AS_OF, **kw}
	policies = {POLICY.name: POLICY} if policies is None else policies
	return measure(relances, ledgers, policies, overdue, **kw)


def row(rows, stage, policy="Relance standard"):
	return next(r for r in rows if r.policy == policy and r.stage_name == stage and not r.baseline)


def base(rows, policy="Relance standard"):
	return next(r for r in rows if r.policy == policy and r.baseline)


# --- one invoice, by hand ---------------------------------------------------------------------------


def test_outstanding_is_the_sum_of_entries_up_to_the_day_inclusive():
	entries = [*invoice(), pay(3, "400"), pay(10, "600")]
	assert outstanding_at(entries, day(2)) == D("1000")
	assert outstanding_at(entries, day(3)) == D("600")
	assert outstanding_at(entries, day(10)) == D("0")


def test_full_payment_four_days_after_the_stage():
	o = outcome([*invoice(), pay(9, "1000")], day(5), D(0), AS_OF)
	assert (o.already_paid, o.paid_on, o.days, o.collected) == (False, day(9), 4, D("1000"))


def test_partial_payments_paid_when_the_last_one_clears_the_outstanding():
	o = outcome([*invoice(), pay(8, "600"), pay(15, "400")], day(5), D(0), AS_OF)
	assert (o.paid_on, o.days, o.collected) == (day(15), 10, D("1000"))


def test_a_partial_payment_alone_is_not_paid_but_is_collected():
	o = outcome([*invoice(), pay(8, "600")], day(5), D(0), AS_OF)
	assert (o.paid_on, o.days, o.collected, o.awaiting) == (None, None, D("600"), False)


def test_tolerance_makes_a_short_payment_paid():
	entries = [*invoice(), pay(7, "995")]
	assert outcome(entries, day(5), D("5"), AS_OF).days == 2
	assert outcome(entries, day(5), D("4.99"), AS_OF).paid_on is None


def test_credit_note_pays_the_invoice_but_collects_nothing():
	entries = [*invoice(), pay(6, "300"), pay(9, "700", credit_note=True)]
	o = outcome(entries, day(5), D(0), AS_OF)
	assert (o.paid_on, o.days, o.collected) == (day(9), 4, D("300"))


def test_payment_posted_before_the_stage_is_not_after_it():
	o = outcome([*invoice(), pay(3, "1000")], day(5), D(0), AS_OF)
	assert o.already_paid and o.paid_on is None and o.collected == 0


def test_payment_before_the_stage_lowers_the_outstanding_only_the_rest_is_after():
	o = outcome([*invoice(), pay(3, "500"), pay(8, "500")], day(5), D(0), AS_OF)
	assert (o.already_paid, o.days, o.collected) == (False, 3, D("500"))


def test_payment_on_the_stage_date_is_zero_days_after():
	assert outcome([*invoice(), pay(5, "1000")], day(5), D(0), AS_OF).days == 0


def test_the_next_relance_closes_the_window():
	entries = [*invoice(), pay(10, "200"), pay(17, "800")]
	first = outcome(entries, day(5), D(0), AS_OF, end=day(15))
	second = outcome(entries, day(15), D(0), AS_OF)
	assert (first.paid_on, first.collected, first.awaiting) == (None, D("200"), False)
	assert (second.days, second.collected) == (2, D("800"))


def test_entries_after_as_of_are_ignored_and_a_recent_relance_awaits():
	entries = [*invoice(), pay(20, "1000")]
	o = outcome(entries, day(5), D(0), day(12))
	assert (o.paid_on, o.awaiting, o.collected) == (None, True, D(0))
	assert not outcome(entries, day(5), D(0), day(35)).awaiting


def test_company_currency_for_the_amount_collected():
	entries = [LedgerEntry(day(-30), D("1100"), D("1000")), pay(9, "1100", company="1012.50")]
	o = outcome(entries, day(5), D(0), AS_OF)
	assert (o.days, o.collected) == (4, D("1012.50"))


def test_paid_then_reopened_counts_the_first_time_it_fell_to_tolerance():
	entries = [*invoice(), pay(7, "1000"), LedgerEntry(day(9), D("1000"))]
	assert outcome(entries, day(5), D(0), AS_OF).days == 2


def test_median_and_percentage():
	assert median([]) is None
	assert median([4]) == 4
	assert median([2, 5]) == D("3.5")
	assert median([9, 1, 4]) == 4
	assert percentage(1, 3) == D("33.3")
	assert percentage(2, 3) == D("66.7")
	assert percentage(0, 0) is None


def test_baseline_reference():
	assert baseline_reference(date(2024, 12, 1), FROM) == FROM
	assert baseline_reference(date(2025, 2, 10), FROM) == date(2025, 2, 11)


# --- the report, by hand ----------------------------------------------------------------------------


def test_one_row_per_stage_in_policy_order_then_the_baseline():
	rows = run([], {})
	assert [(r.stage_name, r.offset_days, r.baseline) for r in rows] == [
		("Pré-relance", -5, False),
		("Relance 1", 5, False),
		("Relance 2", 15, False),
		("Relance 3", 30, False),
		("", None, True),
	]
	assert all(r.sent == 0 and r.median_days is None and r.pct_within[14] is None for r in rows)


def test_a_known_book():
	ledgers = {
		# R1 day 5, paid day 9 (4 days after R1)
		"A": [*invoice(), pay(9, "1000")],
		# R1 day 5, R2 day 15, paid 600 day 12 (R1's window) and 400 day 18 (3 days after R2)
		"B": [*invoice(), pay(12, "600"), pay(18, "400")],
		# R1 day 5, R2 day 15, R3 day 30, credit note day 31 (1 day after R3)
		"C": [*invoice("500"), pay(31, "500", credit_note=True)],
		# R1 day 5 but the payment, recorded late, is dated day 4: already paid
		"D": [*invoice(), pay(4, "1000")],
		# R1 day 5, R2 day 15, never paid
		"E": [*invoice("2000")],
		# R1 day 5, paid 12 days later (day 17): no R2 because the log is missing: within 14 not 7
		"F": [*invoice(), pay(17, "1000")],
	}
	relances = [
		relance("Relance 1", 5, "A"),
		*(relance(s, n, "B") for s, n in (("Relance 1", 5), ("Relance 2", 15))),
		*(relance(s, n, "C") for s, n in (("Relance 1", 5), ("Relance 2", 15), ("Relance 3", 30))),
		relance("Relance 1", 5, "D"),
		*(relance(s, n, "E") for s, n in (("Relance 1", 5), ("Relance 2", 15))),
		relance("Relance 1", 5, "F"),
	]
	rows = run(relances, ledgers)
	r1, r2, r3 = row(rows, "Relance 1"), row(rows, "Relance 2"), row(rows, "Relance 3")
	assert (r1.sent, r1.already_paid, r1.open) == (6, 1, 5)
	assert r1.paid_within == {7: 1, 14: 2, 30: 2}  # A (4 days), F (12 days)
	assert r1.pct_within == {7: D("20.0"), 14: D("40.0"), 30: D("40.0")}
	assert r1.median_days == D(8)  # 4 and 12
	assert r1.collected == D("1000") + D("600") + D("1000")  # A, B's first part, F
	assert (r2.sent, r2.paid_within, r2.median_days, r2.collected) == (3, {7: 1, 14: 1, 30: 1}, D(3), D(400))
	assert r2.pct_within[7] == D("33.3")
	assert (r3.sent, r3.paid_within[7], r3.median_days, r3.collected) == (1, 1, D(1), D(0))
	assert row(rows, "Pré-relance").sent == 0
	assert sum(r.paid_total for r in rows) == 4  # A, B, C, F: each credited once


def test_relance_outside_the_period_ends_the_window_but_is_not_counted():
	ledgers = {"A": [*invoice(), pay(200, "1000")]}
	relances = [relance("Relance 1", 5, "A"), relance("Relance 2", 180, "A")]
	rows = run(relances, ledgers, to_date=day(100))
	assert row(rows, "Relance 2").sent == 0
	r1 = row(rows, "Relance 1")
	assert (r1.sent, r1.paid_total, r1.awaiting) == (1, 0, 0)


def test_other_policies_end_windows_without_rows_and_unknown_stages_get_a_row():
	ledgers = {"A": [*invoice(), pay(20, "1000")], "B": [*invoice(), pay(8, "1000")]}
	relances = [
		relance("Relance 1", 5, "A"),
		relance("Relance 2", 15, "A", policy="Other"),
		relance("Ancienne étape", 6, "B"),
	]
	rows = run(relances, ledgers)
	assert all(r.policy == "Relance standard" for r in rows)
	assert row(rows, "Relance 1").paid_total == 0
	old = row(rows, "Ancienne étape")
	assert (old.offset_days, old.sent, old.median_days) == (None, 1, D(2))
	assert rows[-2] is old and rows[-1].baseline


def test_a_repeated_log_counts_once_at_its_earliest_date():
	rows = run(
		[relance("Relance 1", 8, "A"), relance("Relance 1", 5, "A")], {"A": [*invoice(), pay(9, "1000")]}
	)
	r1 = row(rows, "Relance 1")
	assert (r1.sent, r1.median_days) == (1, D(4))


def test_same_day_relances_the_later_stage_takes_the_payment():
	rows = run(
		[relance("Relance 1", 5, "A"), relance("Relance 2", 5, "A")], {"A": [*invoice(), pay(5, "1000")]}
	)
	assert row(rows, "Relance 1").paid_total == 0
	assert row(rows, "Relance 2").median_days == 0


def test_tolerance_comes_from_the_policy():
	policy = PolicySpec("Relance standard", "ACME", D("10"), STAGES)
	rows = run([relance("Relance 1", 5, "A")], {"A": [*invoice(), pay(6, "992")]}, {policy.name: policy})
	assert row(rows, "Relance 1").paid_within[7] == 1
	rows = run([relance("Relance 1", 5, "A")], {"A": [*invoice(), pay(6, "992")]})
	assert row(rows, "Relance 1").paid_within[7] == 0


def test_baseline_by_hand():
	from_date, to_date = day(0), day(60)  # the period starts on the due date
	ledgers = {
		"OLD": [*invoice(posted=-90), pay(10, "1000")],  # overdue before the period: reference day 0, 10 days
		"NEW": [LedgerEntry(day(0), D("800")), pay(26, "800")],  # due day 20: reference day 21, 5 days
		"PAID": [*invoice(), pay(-2, "1000")],  # paid before its reference date: not in the baseline
		"CHASED": [*invoice(), pay(9, "1000")],  # chased in the period: a stage row, not the baseline
		"LATER": [*invoice(), pay(90, "1000")],  # chased only after the period, on day 70: not paid in it
		"OPEN": [*invoice("300")],  # never paid
		"FUTURE": [*invoice()],  # due after the period: not overdue in it
	}
	overdue = [
		OverdueInvoice("OLD", day(-40), "ACME", "Relance standard"),
		OverdueInvoice("NEW", day(20), "ACME", "Relance standard"),
		OverdueInvoice("PAID", day(0), "ACME", "Relance standard"),
		OverdueInvoice("CHASED", day(0), "ACME", "Relance standard"),
		OverdueInvoice("LATER", day(0), "ACME", "Relance standard"),
		OverdueInvoice("OPEN", day(0), "ACME", ""),
		OverdueInvoice("FUTURE", day(60), "ACME", "Relance standard"),
	]
	relances = [relance("Relance 1", 5, "CHASED"), relance("Relance 1", 70, "LATER")]
	rows = run(relances, ledgers, overdue=overdue, from_date=from_date, to_date=to_date, as_of=day(100))
	b = base(rows)
	assert (b.sent, b.already_paid, b.paid_total) == (3, 0, 2)  # OLD, NEW, LATER
	assert b.paid_within == {7: 1, 14: 2, 30: 2}
	assert b.pct_within[14] == D("66.7")
	assert (b.median_days, b.collected) == (D("7.5"), D("1800"))
	none = base(rows, policy="")
	assert (none.company, none.sent, none.paid_total, none.awaiting) == ("ACME", 1, 0, 0)
	assert rows[-1] is none
	assert row(rows, "Relance 1").sent == 1


def test_baseline_skips_invoices_of_policies_not_reported():
	overdue = [OverdueInvoice("X", day(0), "ACME", "Other")]
	rows = run([], {"X": invoice()}, overdue=overdue)
	assert base(rows).sent == 0 and not [r for r in rows if r.policy == ""]


# --- properties -------------------------------------------------------------------------------------

START = date(2025, 1, 1)
STAGE_NAMES = [name for name, _ in STAGES]


@st.composite
def books(draw):
	n = draw(st.integers(1, 6))
	ledgers, relances, overdue = {}, [], []
	for k in range(n):
		name = f"SINV-{k}"
		total = draw(st.integers(1, 5000))
		posted = START + timedelta(days=draw(st.integers(0, 30)))
		entries = [LedgerEntry(posted, D(total))]
		for _ in range(draw(st.integers(0, 4))):  # payments and credit notes, on or after the invoice
			entries.append(
				LedgerEntry(
					posted + timedelta(days=draw(st.integers(0, 200))),
					-D(draw(st.integers(1, total))),
					credit_note=draw(st.booleans()),
				)
			)
		ledgers[name] = entries
		due = START + timedelta(days=draw(st.integers(0, 60)))
		overdue.append(OverdueInvoice(name, due, "ACME", "Relance standard"))
		for stage, offset in STAGES:
			if draw(st.booleans()):
				relances.append(
					SentRelance(name, "Relance standard", stage, due + timedelta(days=offset), offset)
				)
	tolerance = D(draw(st.integers(0, 20)))
	from_date = START + timedelta(days=draw(st.integers(0, 60)))
	to_date = from_date + timedelta(days=draw(st.integers(0, 120)))
	as_of = to_date + timedelta(days=draw(st.integers(0, 90)))
	return ledgers, relances, overdue, tolerance, from_date, to_date, as_of


def measured(book):
	ledgers, relances, overdue, tolerance, from_date, to_date, as_of = book
	policy = PolicySpec("Relance standard", "ACME", tolerance, STAGES)
	return measure(
		relances,
		ledgers,
		{policy.name: policy},
		overdue,
		from_date=from_date,
		to_date=to_date,
		as_of=as_of,
	)


@settings(max_examples=200, deadline=None)
@given(books())
def test_counts_are_nested(book):
	for r in measured(book):
		assert 0 <= r.paid_within[7] <= r.paid_within[14] <= r.paid_within[30] <= r.paid_total <= r.open
		assert 0 <= r.already_paid <= r.sent and r.awaiting <= r.open - r.paid_total
		for n in (7, 14, 30):
			pct = r.pct_within[n]
			assert (pct is None) == (r.open == 0)
			assert pct is None or D(0) <= pct <= D(100)
		assert r.pct_within[7] is None or r.pct_within[7] <= r.pct_within[14] <= r.pct_within[30]


@settings(max_examples=200, deadline=None)
@given(books())
def test_median_lies_within_the_window(book):
	*_, from_date, _to, as_of = book
	for r in measured(book):
		if r.paid_total == 0:
			assert r.median_days is None
		else:
			assert D(0) <= r.median_days <= D((as_of - from_date).days)
		if r.paid_within[7] * 2 > r.paid_total:
			assert r.median_days <= 7


@settings(max_examples=200, deadline=None)
@given(books())
def test_a_payment_is_credited_to_one_relance_at_most(book):
	ledgers, relances, *_ = book
	rows = measured(book)
	assert sum(r.paid_total for r in rows if not r.baseline) <= len({r.invoice for r in relances})
	assert sum(r.sent for r in rows if r.baseline) <= len(ledgers)


@settings(max_examples=200, deadline=None)
@given(books())
def test_amounts_collected_add_up_from_the_first_relance(book):
	ledgers, relances, _, _, from_date, to_date, as_of = book
	expected = D(0)
	for name, entries in ledgers.items():
		dates = [
			r.relance_date for r in relances if r.invoice == name and from_date <= r.relance_date <= to_date
		]
		if not dates:
			continue
		later = [r.relance_date for r in relances if r.invoice == name and r.relance_date > to_date]
		end = min([as_of + timedelta(days=1), *later])
		expected -= sum(
			(e.amount for e in entries if not e.credit_note and min(dates) <= e.posting_date < end), D(0)
		)
	assert sum(r.collected for r in measured(book) if not r.baseline) == expected


@settings(max_examples=300, deadline=None)
@given(books(), st.integers(0, 200))
def test_paid_date_is_the_first_day_at_or_below_tolerance_on_or_after_the_stage(book, offset):
	ledgers, _, _, tolerance, *_ = book
	entries = ledgers["SINV-0"]
	start, as_of = START + timedelta(days=offset), START + timedelta(days=250)
	o = outcome(entries, start, tolerance, as_of)
	if outstanding_at(entries, start - timedelta(days=1)) <= tolerance:
		assert o.already_paid and o.paid_on is None
		return
	days = [start + timedelta(days=i) for i in range((as_of - start).days + 1)]
	paid = [d for d in days if outstanding_at(entries, d) <= tolerance]
	assert o.paid_on == (paid[0] if paid else None)
	assert o.paid_on is None or o.days == (o.paid_on - start).days >= 0
	assert o.collected == -sum(
		(e.amount for e in entries if start <= e.posting_date and not e.credit_note), D(0)
	)


@settings(max_examples=200, deadline=None)
@given(books(), st.integers(0, 200), st.integers(0, 50))
def test_a_higher_tolerance_never_pays_later(book, offset, extra):
	ledgers, _, _, tolerance, *_ = book
	entries = ledgers["SINV-0"]
	start, as_of = START + timedelta(days=offset), START + timedelta(days=250)
	low, high = outcome(entries, start, tolerance, as_of), outcome(entries, start, tolerance + extra, as_of)
	if low.paid_on and not high.already_paid:
		assert high.paid_on is not None and high.paid_on <= low.paid_on
