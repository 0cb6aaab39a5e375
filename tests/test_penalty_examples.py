"""The worked examples the lead sets next to a hand computation, and the shipped rates they use."""

import importlib.util
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from relance_app.engine.penalties import is_semester_start
from relance_app.setup.legal_rate_rows import LEGAL_RATES, shipped_rate_table

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "penalty_examples.py"
spec = importlib.util.spec_from_file_location("penalty_examples", SCRIPT)
examples = importlib.util.module_from_spec(spec)
spec.loader.exec_module(examples)


def by_hand(amount, rate, days) -> Decimal:
	"""amount x rate % x days / 365 in exact fractions, half-up to the cent."""
	exact = Fraction(str(amount)) * Fraction(str(rate)) * days / 36500
	cents = (exact * 100 + Fraction(1, 2)) // 1
	return Decimal(cents) / 100


def test_the_three_examples_match_the_hand_computation():
	hand = [
		[by_hand(10000, "14.50", 30), by_hand(10000, "14.25", 46)],
		[by_hand(2500, "14.25", 35), by_hand(1500, "14.25", 11), by_hand(1500, "13.15", 41)],
		[by_hand(4000, "14.50", 136), by_hand(4000, "14.25", 15)],
	]
	totals = [Decimal("298.77"), Decimal("62.76"), Decimal("239.53")]
	for example, lines, total in zip(examples.EXAMPLES, hand, totals, strict=True):
		p = examples.compute(example)
		assert [line.amount for line in p.lines] == lines
		assert p.interest == sum(lines) == total
		assert sum(line.days for line in p.lines) == p.days_late
		assert p.indemnity == Decimal("40")
	examples.main()  # prints without error


def test_shipped_rates_are_semesters_with_sources_and_the_ecb_plus_10():
	starts = [r["semester_start"] for r in LEGAL_RATES]
	assert starts == sorted(starts) and len(set(starts)) == len(starts)
	assert all(is_semester_start(s) for s in starts)
	assert all(r["ecb_source"] and r["legal_interest_source"] for r in LEGAL_RATES)
	table = shipped_rate_table()
	# the legal late-payment rates of recent semesters (ECB rate on 1 January / 1 July + 10 points)
	assert [
		table.for_semester(date(y, m, 2))[0].late_payment_rate
		for y, m in ((2024, 1), (2024, 7), (2025, 1), (2025, 7), (2026, 1))
	] == [
		Decimal("14.50"),
		Decimal("14.25"),
		Decimal("13.15"),
		Decimal("12.15"),
		Decimal("12.15"),
	]
	# every semester from the first shipped one to the last, without a gap
	assert (
		len(starts)
		== (starts[-1].year - starts[0].year) * 2 + (starts[-1].month > 6) - (starts[0].month > 6) + 1
	)
