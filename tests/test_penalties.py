from datetime import date
from decimal import Decimal

import pytest
from factories import policy

from relance_app.engine.penalties import (
	compute_penalties,
	currency_precision,
	fixed_indemnity,
	late_interest,
	round_money,
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
