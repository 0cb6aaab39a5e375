import itertools
from datetime import date, timedelta

from factories import MED, PRE, R1, R2, R3, h, invoice, policy

from relance_app.engine.forecast import is_business_day, next_business_day, next_relance_date, simulate
from relance_app.engine.models import AWAITING_APPROVAL, SENT, SKIPPED

DUE = date(2026, 3, 2)  # a Monday


def test_business_days():
	assert next_business_day(date(2026, 3, 7)) == date(2026, 3, 9)  # Saturday -> Monday
	assert next_business_day(date(2026, 3, 9)) == date(2026, 3, 9)
	holidays = {date(2026, 5, 1)}  # Friday
	assert not is_business_day(date(2026, 5, 1), holidays)
	assert next_business_day(date(2026, 5, 1), holidays) == date(2026, 5, 4)


def test_next_relance_date_for_a_new_invoice():
	assert next_relance_date(policy(), invoice(due=DUE), DUE - timedelta(days=20)) == (
		date(2026, 2, 25),
		PRE.stage_name,
	)


def test_next_relance_date_moves_off_weekends():
	# R1 is due on Saturday 7 March: the run sends it on Monday 9 March
	inv = invoice(due=DUE, history=[h(PRE, SENT, date(2026, 2, 25))])
	assert next_relance_date(policy(), inv, DUE) == (date(2026, 3, 9), R1.stage_name)


def test_next_relance_date_after_hold_and_when_done():
	inv = invoice(
		due=DUE, on_hold=True, hold_until=date(2026, 4, 1), history=[h(PRE, SENT, date(2026, 2, 25))]
	)
	assert next_relance_date(policy(), inv, DUE) == (date(2026, 4, 2), R1.stage_name)
	done = invoice(due=DUE, history=[h(s, SENT, DUE) for s in (PRE, R1, R2, R3, MED)])
	assert next_relance_date(policy(), done, DUE) == (None, None)
	assert next_relance_date(policy(), invoice(due=DUE, outstanding="0"), DUE) == (None, None)


def test_simulate_full_calendar():
	events = simulate(policy(), invoice(due=DUE), DUE - timedelta(days=10), DUE + timedelta(days=60))
	assert [(e.date, e.stage_name, e.status) for e in events] == [
		(date(2026, 2, 25), PRE.stage_name, SENT),
		(date(2026, 3, 9), R1.stage_name, SENT),  # 7 March is a Saturday
		(date(2026, 3, 17), R2.stage_name, SENT),
		(date(2026, 4, 1), R3.stage_name, SENT),
		(date(2026, 4, 16), MED.stage_name, AWAITING_APPROVAL),
	]


def test_simulate_starting_late_skips_pre_due_and_spaces_stages():
	events = simulate(policy(), invoice(due=DUE), DUE + timedelta(days=40), DUE + timedelta(days=100))
	got = [(e.date, e.stage_name, e.status) for e in events]
	assert got[0] == (date(2026, 4, 13), PRE.stage_name, SKIPPED)
	assert got[1] == (date(2026, 4, 13), R1.stage_name, SENT)
	sent = [e.date for e in events if e.status != SKIPPED]
	assert all((b - a).days >= 7 for a, b in itertools.pairwise(sent))


def test_simulate_is_bounded_by_the_range():
	events = simulate(policy(), invoice(due=DUE), DUE, DUE + timedelta(days=20))
	assert all(DUE <= e.date <= DUE + timedelta(days=20) for e in events)
