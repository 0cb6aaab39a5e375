"""Late-payment penalties, French B2B practice (Code de commerce L441-10 and D441-5).

- Late interest runs from the day after the due date to the day of the relance, both included
  (days late = as_of - due_date), on the amount still due each day, at an annual rate over 365 days
  (also in leap years: 29 February is one more day late, the divisor stays 365).
- The rate is either the policy's contractual rate for every day, or the legal rate: the ECB main
  refinancing rate in force on 1 January (for days in January-June) or on 1 July (for days in
  July-December), plus 10 points. Days late are split by semester and each semester's days take
  that semester's rate. A semester whose rate is not known yet takes the latest earlier known rate
  (else the policy's rate) and its line is marked `assumed`.
- A payment made on day P lowers the amount still due from day P + 1 (the paid part bears interest
  through its payment day).
- Rounding: exact decimals throughout; each line (one rate, one amount, consecutive days) is
  rounded half-up to the currency's minor unit, and the interest is the sum of the rounded lines, so
  a letter listing the lines always adds up. With one line this is outstanding x rate x days / 365
  rounded once. Adjacent days with the same rate and amount form one line (assumed if any of
  its days is).
- Fixed recovery indemnity: 40 EUR per late invoice by default, business customers only
  (customer type Company), not subject to VAT; its own currency; once per invoice, whatever the
  number of semesters or payments.
- A contractual rate may not be below three times the taux de l'intérêt légal (`contractual_floor`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from relance_app.engine.models import (
	COMPANY,
	CONTRACTUAL_RATE,
	LEGAL_RATE,
	ZERO,
	InterestLine,
	Payment,
	Penalties,
	Policy,
	SemesterRate,
)

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
LEGAL_MARGIN = Decimal(10)  # points over the ECB rate (L441-10)
FLOOR_MULTIPLIER = Decimal(3)  # a contractual rate is at least 3 x the taux de l'intérêt légal
ONE_DAY = timedelta(days=1)


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


# --- semesters ----------------------------------------------------------------------------------


def semester_start(day: date) -> date:
	"""1 January or 1 July: the first day of the half-year `day` is in."""
	return date(day.year, 1 if day.month <= 6 else 7, 1)


def next_semester_start(day: date) -> date:
	start = semester_start(day)
	return date(start.year, 7, 1) if start.month == 1 else date(start.year + 1, 1, 1)


def is_semester_start(day: date) -> bool:
	return day.day == 1 and day.month in (1, 7)


def semester_label(start: date, language: str = "fr") -> str:
	"""'1er semestre 2026' / 'H1 2026'."""
	first = start.month <= 6
	if language.split("-")[0].lower() == "fr":
		return f"{'1er' if first else '2e'} semestre {start.year}"
	return f"H{1 if first else 2} {start.year}"


def late_periods(due_date: date, as_of: date, cuts: Iterable[date] = ()) -> list[tuple[date, date]]:
	"""The days late (the day after `due_date` to `as_of`, both included) as consecutive periods
	(first day, last day), cut at every 1 January and 1 July and before every day of `cuts`."""
	first, last = due_date + ONE_DAY, as_of
	if last < first:
		return []
	starts = {first}
	day = next_semester_start(first)
	while day <= last:
		starts.add(day)
		day = next_semester_start(day)
	starts.update(c for c in cuts if first < c <= last)
	ordered = sorted(starts)
	ends = [d - ONE_DAY for d in ordered[1:]] + [last]
	return list(zip(ordered, ends, strict=True))


class RateTable:
	"""The reference rates by semester, looked up in memory."""

	def __init__(self, rates: Iterable[SemesterRate] = ()):
		self.rates: tuple[SemesterRate, ...] = tuple(sorted(rates, key=lambda r: r.start))
		self.by_start = {r.start: r for r in self.rates}

	def __bool__(self) -> bool:
		return bool(self.rates)

	def for_semester(self, day: date) -> tuple[SemesterRate | None, bool]:
		"""(the rates of `day`'s semester, False), else (the latest earlier semester's, True), else
		(None, True)."""
		start = semester_start(day)
		exact = self.by_start.get(start)
		if exact is not None:
			return exact, False
		earlier = [r for r in self.rates if r.start < start]
		return (earlier[-1] if earlier else None), True

	def legal_interest_for(self, day: date) -> tuple[SemesterRate | None, bool]:
		"""The semester whose taux de l'intérêt légal applies on `day`: its own, else (assumed) the
		latest earlier semester that has one."""
		start = semester_start(day)
		known = [r for r in self.rates if r.start <= start and r.legal_interest_rate is not None]
		if not known:
			return None, True
		return known[-1], known[-1].start != start

	def missing(self, semesters: Iterable[date]) -> list[date]:
		"""The semesters (any day in them) that have no row, as their first days."""
		return sorted({semester_start(d) for d in semesters} - set(self.by_start))


def legal_late_payment_rate(rates: RateTable, day: date, fallback: Decimal = ZERO) -> tuple[Decimal, bool]:
	"""(ECB rate + 10 points for `day`'s semester, assumed?)."""
	row, assumed = rates.for_semester(day)
	if row is None:
		return to_decimal(fallback), True
	return row.ecb_rate + LEGAL_MARGIN, assumed


def contractual_floor(legal_interest_rate) -> Decimal:
	"""The lowest contractual late-payment rate allowed: 3 x the taux de l'intérêt légal."""
	return FLOOR_MULTIPLIER * to_decimal(legal_interest_rate)


# --- interest -----------------------------------------------------------------------------------


def interest_lines(
	outstanding,
	due_date: date,
	as_of: date,
	basis: str = CONTRACTUAL_RATE,
	contractual_rate=ZERO,
	rates: RateTable | None = None,
	payments: Sequence[Payment] = (),
	currency: str = "EUR",
	precision: int | None = None,
) -> list[InterestLine]:
	"""The interest lines of one invoice on `as_of` (see the module's rules).

	`outstanding` is what is still due now; `payments` are the reductions of the outstanding made
	after the due date (earlier ones do not matter), so the amount due on the due date was
	`outstanding` plus their sum."""
	rates = rates or RateTable()
	later = sorted(
		(p for p in payments if p.date > due_date and to_decimal(p.amount) > 0), key=lambda p: p.date
	)
	base_at_due = to_decimal(outstanding) + sum((to_decimal(p.amount) for p in later), ZERO)
	legal = basis == LEGAL_RATE
	raw: list[tuple[date, date, Decimal, Decimal, date | None, bool]] = []
	for start, end in late_periods(due_date, as_of, (p.date + ONE_DAY for p in later)):
		base = base_at_due - sum((to_decimal(p.amount) for p in later if p.date < start), ZERO)
		if legal:
			rate, assumed = legal_late_payment_rate(rates, start, contractual_rate)
			semester = semester_start(start)
		else:
			rate, assumed, semester = to_decimal(contractual_rate), False, None
		if base <= 0 or rate <= 0:
			continue
		prev = raw[-1] if raw else None
		if prev and prev[1] + ONE_DAY == start and prev[2] == base and prev[3] == rate:
			raw[-1] = (prev[0], end, base, rate, prev[4], prev[5] or assumed)
		else:
			raw.append((start, end, base, rate, semester, assumed))
	lines = []
	for start, end, base, rate, semester, assumed in raw:
		days = (end - start).days + 1
		amount = round_money(base * rate * Decimal(days) / (HUNDRED * DAYS_PER_YEAR), currency, precision)
		lines.append(InterestLine(start, end, days, base, rate, amount, semester, assumed))
	return lines


def compute_penalties(
	policy: Policy,
	outstanding,
	due_date: date,
	as_of: date,
	customer_type: str,
	currency: str = "EUR",
	precision: int | None = None,
	rates: RateTable | None = None,
	payments: Sequence[Payment] = (),
) -> Penalties:
	"""Late interest (one line per rate and amount, see the module's rules) and the fixed indemnity
	of one invoice on `as_of`."""
	late = days_late(due_date, as_of)
	base = to_decimal(outstanding)
	rates = rates or RateTable()
	basis = (
		policy.interest_basis if policy.interest_basis in (LEGAL_RATE, CONTRACTUAL_RATE) else CONTRACTUAL_RATE
	)
	lines = interest_lines(
		base, due_date, as_of, basis, policy.late_interest_rate, rates, payments, currency, precision
	)
	if lines:
		rate = lines[-1].rate
	elif basis == LEGAL_RATE:
		rate = legal_late_payment_rate(rates, as_of, policy.late_interest_rate)[0]
	else:
		rate = to_decimal(policy.late_interest_rate)
	base += sum((to_decimal(p.amount) for p in payments if p.date > as_of and to_decimal(p.amount) > 0), ZERO)
	return Penalties(
		interest=sum((line.amount for line in lines), round_money(ZERO, currency, precision)),
		indemnity=fixed_indemnity(customer_type, late, policy.fixed_indemnity, policy.indemnity_b2b_only),
		currency=currency,
		indemnity_currency=policy.indemnity_currency,
		rate=rate,
		days_late=late,
		base=base,
		lines=tuple(lines),
		basis=basis,
	)
