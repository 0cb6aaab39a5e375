from datetime import date
from decimal import Decimal

import pytest
from factories import policy

from relance_app.engine.models import LEGAL_RATE, Payment, SemesterRate
from relance_app.engine.penalties import (
	RateTable,
	compute_penalties,
	contractual_floor,
	currency_precision,
	fixed_indemnity,
	is_semester_start,
	late_interest,
	late_periods,
	next_semester_start,
	round_money,
	semester_label,
	semester_start,
	to_decimal,
)


def test_late_interest_formula_exact():
	# 10 000 x 12 % x 30 / 365 = 98.630136...
	assert late_interest(Decimal("10000"), Decimal("12"), 30) == Decimal("98.63")
	# 1 440 x 13.15 % x 19 / 365 = 9.8570958...
	assert late_interest("1440", "13.15", 19) == Decimal("9.86")


def test_half_up_rounding_on_the_cent():
	# 365 x 1 % x 1 / 365 / ... : 0.365 x 10 = 3.65 exactly -> half up
	assert late_interest(Decimal("13.14"), Decimal("100"), 365) == Decimal("13.14")
	assert late_interest(Decimal("0.73"), Decimal("50"), 365) == Decimal("0.37")  # 0.365 -> 0.37


def test_no_interest_when_not_late_or_nothing_due_or_no_rate():
	assert late_interest(Decimal("100"), Decimal("10"), 0) == Decimal("0.00")
	assert late_interest(Decimal("100"), Decimal("10"), -3) == Decimal("0.00")
	assert late_interest(Decimal("0"), Decimal("10"), 30) == Decimal("0.00")
	assert late_interest(Decimal("-100"), Decimal("10"), 30) == Decimal("0.00")
	assert late_interest(Decimal("100"), Decimal("0"), 30) == Decimal("0.00")


@pytest.mark.parametrize(
	"currency, expected",
	[("EUR", Decimal("98.63")), ("JPY", Decimal("99")), ("KWD", Decimal("98.630"))],
)
def test_currency_rounding(currency, expected):
	assert late_interest(Decimal("10000"), Decimal("12"), 30, currency) == expected


def test_explicit_precision_wins():
	assert currency_precision("EUR", 3) == 3
	assert round_money(Decimal("1.23456"), "EUR", 3) == Decimal("1.235")


def test_floats_are_taken_without_binary_noise():
	assert to_decimal(0.1) == Decimal("0.1")
	assert late_interest(1000.10, 10.0, 365) == Decimal("100.01")


def test_fixed_indemnity_b2b_only_and_only_when_late():
	assert fixed_indemnity("Company", 1) == Decimal("40")
	assert fixed_indemnity("Individual", 10) == Decimal("0")
	assert fixed_indemnity("Individual", 10, b2b_only=False) == Decimal("40")
	assert fixed_indemnity("Company", 0) == Decimal("0")
	assert fixed_indemnity("Company", 5, amount=Decimal("60")) == Decimal("60")


def test_compute_penalties_from_policy():
	pol = policy(late_interest_rate=Decimal("12"), fixed_indemnity=Decimal("40"))
	p = compute_penalties(pol, Decimal("10000"), date(2024, 1, 31), date(2024, 3, 1), "Company")
	assert p.days_late == 30  # through the leap day
	assert p.interest == Decimal("98.63")
	assert p.indemnity == Decimal("40")
	assert p.total_in_invoice_currency == Decimal("138.63")


def test_indemnity_in_its_own_currency_is_not_added_to_a_usd_invoice():
	pol = policy(late_interest_rate=Decimal("12"))
	p = compute_penalties(pol, Decimal("10000"), date(2026, 1, 1), date(2026, 1, 31), "Company", "USD")
	assert p.indemnity_currency == "EUR" and p.currency == "USD"
	assert p.total_in_invoice_currency == p.interest


# --- legal rate by semester (L441-10), payments, rounding per line ---------------------------------

# ECB main refinancing rate in force on the first day of each semester (see setup/legal_rates.py)
RATES = RateTable(
	[
		SemesterRate(date(2023, 7, 1), Decimal("4.00"), Decimal("4.22")),
		SemesterRate(date(2024, 1, 1), Decimal("4.50"), Decimal("5.07")),
		SemesterRate(date(2024, 7, 1), Decimal("4.25"), Decimal("4.92")),
		SemesterRate(date(2025, 1, 1), Decimal("3.15"), Decimal("3.71")),
		SemesterRate(date(2025, 7, 1), Decimal("2.15"), Decimal("2.76")),
	]
)
LEGAL = policy(interest_basis=LEGAL_RATE, late_interest_rate=Decimal("12.15"))


def legal(amount, due, as_of, payments=(), customer_type="Company"):
	return compute_penalties(
		LEGAL, Decimal(amount), due, as_of, customer_type, rates=RATES, payments=payments
	)


def summary(p):
	return [(line.start, line.end, line.days, line.base, line.rate, line.amount) for line in p.lines]


def test_semester_helpers():
	assert semester_start(date(2024, 6, 30)) == date(2024, 1, 1)
	assert semester_start(date(2024, 7, 1)) == date(2024, 7, 1)
	assert next_semester_start(date(2024, 12, 31)) == date(2025, 1, 1)
	assert next_semester_start(date(2025, 1, 1)) == date(2025, 7, 1)
	assert is_semester_start(date(2025, 7, 1)) and not is_semester_start(date(2025, 7, 2))
	assert not is_semester_start(date(2025, 4, 1))
	assert semester_label(date(2026, 1, 1)) == "1er semestre 2026"
	assert semester_label(date(2026, 7, 1), "en") == "H2 2026"


def test_crossing_1_july_hand_computed():
	# 10 000 EUR due 31/05/2024, relance 15/08/2024 (76 days late)
	# 01/06-30/06/2024: 30 days at 4.50 + 10 = 14.50 %: 10 000 x 14.50 x 30 / 36 500 = 119.178... -> 119.18
	# 01/07-15/08/2024: 46 days at 4.25 + 10 = 14.25 %: 10 000 x 14.25 x 46 / 36 500 = 179.589... -> 179.59
	p = legal("10000", date(2024, 5, 31), date(2024, 8, 15))
	assert summary(p) == [
		(date(2024, 6, 1), date(2024, 6, 30), 30, Decimal("10000"), Decimal("14.50"), Decimal("119.18")),
		(date(2024, 7, 1), date(2024, 8, 15), 46, Decimal("10000"), Decimal("14.25"), Decimal("179.59")),
	]
	assert p.days_late == 76 and p.interest == Decimal("298.77")
	assert p.rate == Decimal("14.25") and p.rates == (Decimal("14.50"), Decimal("14.25"))
	assert p.indemnity == Decimal("40") and p.basis == LEGAL_RATE and not p.assumed


def test_crossing_1_january_hand_computed():
	# 2 500 EUR due 15/11/2024, relance 10/02/2025 (87 days late)
	# 16/11-31/12/2024: 46 days at 14.25 %: 2 500 x 14.25 x 46 / 36 500 = 44.897... -> 44.90
	# 01/01-10/02/2025: 41 days at 3.15 + 10 = 13.15 %: 2 500 x 13.15 x 41 / 36 500 = 36.928... -> 36.93
	p = legal("2500", date(2024, 11, 15), date(2025, 2, 10))
	assert [(line.days, line.rate, line.amount) for line in p.lines] == [
		(46, Decimal("14.25"), Decimal("44.90")),
		(41, Decimal("13.15"), Decimal("36.93")),
	]
	assert p.interest == Decimal("81.83") and p.days_late == 87


def test_leap_year_counts_29_february_and_divides_by_365():
	# 1 000 EUR due 15/02/2024, relance 15/03/2024: 14 days in February (16-29) + 15 in March = 29 days
	# 1 000 x 14.50 x 29 / 36 500 = 11.520... -> 11.52 ; the same dates in 2023 are 28 days late
	p = legal("1000", date(2024, 2, 15), date(2024, 3, 15))
	assert p.days_late == 29 and summary(p) == [
		(date(2024, 2, 16), date(2024, 3, 15), 29, Decimal("1000"), Decimal("14.50"), Decimal("11.52"))
	]
	assert (
		compute_penalties(
			policy(late_interest_rate=Decimal("14.50")),
			Decimal("1000"),
			date(2023, 2, 15),
			date(2023, 3, 15),
			"Company",
		).days_late
		== 28
	)


def test_partial_payment_mid_period_hand_computed():
	# 5 000 EUR due 31/03/2025; 2 000 paid on 15/05/2025; relance 31/07/2025, 3 000 still due
	# 01/04-15/05/2025: 45 days on 5 000 at 13.15 %: 5 000 x 13.15 x 45 / 36 500 = 81.061... -> 81.06
	# 16/05-30/06/2025: 46 days on 3 000 at 13.15 %: 3 000 x 13.15 x 46 / 36 500 = 49.717... -> 49.72
	# 01/07-31/07/2025: 31 days on 3 000 at 2.15 + 10 = 12.15 %: 3 000 x 12.15 x 31 / 36 500 = 30.957... -> 30.96
	p = legal("3000", date(2025, 3, 31), date(2025, 7, 31), [Payment(date(2025, 5, 15), Decimal("2000"))])
	assert summary(p) == [
		(date(2025, 4, 1), date(2025, 5, 15), 45, Decimal("5000"), Decimal("13.15"), Decimal("81.06")),
		(date(2025, 5, 16), date(2025, 6, 30), 46, Decimal("3000"), Decimal("13.15"), Decimal("49.72")),
		(date(2025, 7, 1), date(2025, 7, 31), 31, Decimal("3000"), Decimal("12.15"), Decimal("30.96")),
	]
	assert p.interest == Decimal("161.74") and p.days_late == 122 and p.base == Decimal("3000")
	assert p.indemnity == Decimal("40")  # once per invoice, whatever the lines


def test_payments_before_due_date_or_after_as_of():
	before = legal("1000", date(2025, 3, 31), date(2025, 4, 30), [Payment(date(2025, 3, 1), Decimal("500"))])
	assert [line.base for line in before.lines] == [Decimal("1000")]
	# a payment after the relance date: the relance saw the amount before it
	after = legal("600", date(2025, 3, 31), date(2025, 4, 30), [Payment(date(2025, 5, 10), Decimal("400"))])
	assert [line.base for line in after.lines] == [Decimal("1000")] and after.base == Decimal("1000")


def test_fully_paid_part_stops_bearing_interest_the_day_after_payment():
	# paid in full on the 10th day late: 10 days of interest, nothing after
	p = legal("0", date(2025, 3, 31), date(2025, 5, 31), [Payment(date(2025, 4, 10), Decimal("1000"))])
	assert summary(p) == [
		(date(2025, 4, 1), date(2025, 4, 10), 10, Decimal("1000"), Decimal("13.15"), Decimal("3.60"))
	]


def test_semester_without_rate_takes_the_latest_known_rate_and_says_so():
	# 2026 has no row in RATES: its days take 2025 H2's 12.15 %, and the line says it is assumed
	p = legal("1000", date(2025, 12, 1), date(2026, 1, 31))
	assert [(line.days, line.rate, line.assumed) for line in p.lines] == [(61, Decimal("12.15"), True)]
	assert p.assumed
	# H1 2025 (13.15 %), then H2 2025 and 2026 (assumed: the 12.15 % of H2 2025) in one line
	p = legal("1000", date(2025, 6, 29), date(2026, 1, 2))
	assert [(line.days, line.rate, line.assumed) for line in p.lines] == [
		(1, Decimal("13.15"), False),
		(186, Decimal("12.15"), True),
	]
	# before the first known semester: the policy's own rate, assumed
	early = legal("1000", date(2023, 1, 31), date(2023, 2, 28))
	assert [(line.rate, line.assumed) for line in early.lines] == [(Decimal("12.15"), True)]


def test_same_rate_in_consecutive_semesters_is_one_line():
	table = RateTable(
		[SemesterRate(date(2025, 7, 1), Decimal("2.15")), SemesterRate(date(2026, 1, 1), Decimal("2.15"))]
	)
	p = compute_penalties(
		LEGAL, Decimal("1000"), date(2025, 12, 1), date(2026, 1, 31), "Company", rates=table
	)
	assert [(line.days, line.rate) for line in p.lines] == [(61, Decimal("12.15"))]
	assert p.interest == late_interest(Decimal("1000"), Decimal("12.15"), 61)


def test_contractual_rate_ignores_semesters_and_individuals_pay_no_indemnity():
	pol = policy(late_interest_rate=Decimal("15"))
	p = compute_penalties(
		pol, Decimal("1000"), date(2024, 5, 31), date(2024, 8, 15), "Individual", rates=RATES
	)
	assert [(line.days, line.rate) for line in p.lines] == [(76, Decimal("15"))]
	assert p.interest == late_interest(Decimal("1000"), Decimal("15"), 76) and p.indemnity == 0


def test_not_late_has_no_lines_and_the_rate_in_force():
	p = legal("1000", date(2025, 8, 1), date(2025, 8, 1))
	assert p.lines == () and p.interest == Decimal("0.00") and p.rate == Decimal("12.15")


def test_rate_table_lookups_and_floor():
	row, assumed = RATES.legal_interest_for(date(2025, 9, 1))
	assert row.legal_interest_rate == Decimal("2.76") and not assumed
	row, assumed = RATES.legal_interest_for(date(2026, 3, 1))
	assert row.start == date(2025, 7, 1) and assumed
	assert RATES.legal_interest_for(date(2020, 1, 1)) == (None, True)
	assert contractual_floor(Decimal("2.76")) == Decimal("8.28")
	assert RATES.missing([date(2025, 12, 31), date(2026, 1, 15), date(2026, 8, 1)]) == [
		date(2026, 1, 1),
		date(2026, 7, 1),
	]
	assert late_periods(date(2025, 6, 29), date(2025, 7, 2)) == [
		(date(2025, 6, 30), date(2025, 6, 30)),
		(date(2025, 7, 1), date(2025, 7, 2)),
	]
