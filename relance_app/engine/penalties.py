"""Late-payment penalties, French B2B practice (Code de commerce L441-10 and D441-5).

- Late interest = outstanding x annual rate x days late / 365, computed in exact decimals and
  rounded half-up to the currency's precision.
- Fixed recovery indemnity: 40 EUR per late invoice by default, business customers only
  (customer type Company), not subject to VAT; its own currency.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from relance_app.engine.models import COMPANY, ZERO, Penalties, Policy

# Minor units of currencies whose precision is not 2 (ISO 4217). The Frappe side passes the
# Currency's own precision when it knows it; this table is the fallback.
_CURRENCY_DECIMALS = {
	"BHD": 3,
	"BIF": 0,
	"CLP": 0,
	"DJF": 0,
	"GNF": 0,
	"IQD": 3,
	"ISK": 0,
	"JOD": 3,
	"JPY": 0,
	"KMF": 0,
	"KRW": 0,
	"KWD": 3,
	"LYD": 3,
	"OMR": 3,
	"PYG": 0,
	"RWF": 0,
	"TND": 3,
	"UGX": 0,
	"VND": 0,
	"VUV": 0,
	"XAF": 0,
	"XOF": 0,
	"XPF": 0,
}

DAYS_PER_YEAR = Decimal(365)
HUNDRED = Decimal(100)


def currency_precision(currency: str | None, precision: int | None = None) -> int:
	if precision is not None:
		return int(precision)
	return _CURRENCY_DECIMALS.get((currency or "").upper(), 2)


def round_money(amount: Decimal, currency: str | None = None, precision: int | None = None) -> Decimal:
	"""Round half-up to the currency's minor unit (2 decimals for EUR, 0 for JPY, 3 for KWD)."""
	places = currency_precision(currency, precision)
	return Decimal(amount).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def to_decimal(value) -> Decimal:
	"""Decimal from a float, int, str or Decimal, without binary float noise (0.1 stays 0.1)."""
	if isinstance(value, Decimal):
		return value
	if value is None:
		return ZERO
	if isinstance(value, float):
		return Decimal(repr(value))
	return Decimal(str(value))


def late_interest(
	outstanding, annual_rate_percent, days_late: int, currency: str = "EUR", precision: int | None = None
) -> Decimal:
	"""Outstanding x annual rate x days late / 365, rounded to the currency."""
	base = to_decimal(outstanding)
	rate = to_decimal(annual_rate_percent)
	if days_late <= 0 or base <= 0 or rate <= 0:
		return round_money(ZERO, currency, precision)
	return round_money(base * rate * Decimal(days_late) / (HUNDRED * DAYS_PER_YEAR), currency, precision)


def fixed_indemnity(
	customer_type: str, days_late: int, amount=Decimal("40"), b2b_only: bool = True
) -> Decimal:
	"""The fixed recovery indemnity for one late invoice: only when late, and for businesses only."""
	value = to_decimal(amount)
	if days_late <= 0 or value <= 0:
		return ZERO
	if b2b_only and customer_type != COMPANY:
		return ZERO
	return value


def days_late(due_date: date, as_of: date) -> int:
	return max(0, (as_of - due_date).days)


def compute_penalties(
	policy: Policy,
	outstanding,
	due_date: date,
	as_of: date,
	customer_type: str,
	currency: str = "EUR",
	precision: int | None = None,
) -> Penalties:
	late = days_late(due_date, as_of)
	base = to_decimal(outstanding)
	return Penalties(
		interest=late_interest(base, policy.late_interest_rate, late, currency, precision),
		indemnity=fixed_indemnity(customer_type, late, policy.fixed_indemnity, policy.indemnity_b2b_only),
		currency=currency,
		indemnity_currency=policy.indemnity_currency,
		rate=to_decimal(policy.late_interest_rate),
		days_late=late,
		base=base,
	)
