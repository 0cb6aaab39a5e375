"""Letters posted before the next stage (Dunning Policy "wait for the posting date"): the engine's rule."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from factories import MED, PRE, R1, R2, R3, invoice, policy

from relance_app.engine import reasons as R
from relance_app.engine.decide import decide
from relance_app.engine.forecast import next_relance_date, simulate
from relance_app.engine.models import (
	AWAITING_APPROVAL,
	CANCELLED,
	FAILED,
	QUEUED,
	SENT,
	SKIPPED,
	HistoryEntry,
	Stage,
)

DUE = date(2026, 3, 1)
# after the formal notice (Email and Letter, J+45): the court stage
COURT = Stage("Injonction", 60, channel="Phone task", idx=6)
LETTER_R3 = replace(R3, channel="Letter")
STAGES = (PRE, R1, R2, R3, MED, COURT)


def d(offset):
	return DUE + timedelta(days=offset)


def h(stage, status, day, posted=None, attempts=1):
	return HistoryEntry(stage.stage_name, status, day, attempts, posted=posted)


def through_notice(posted=None, status=SENT):
	"""Pre-relance skipped, relances 1 to 3 sent, the formal notice acted on at J+45."""
	return [
		h(PRE, SKIPPED, d(5)),
		h(R1, SENT, d(5)),
		h(R2, SENT, d(15)),
		h(R3, SENT, d(30)),
		h(MED, status, d(45), posted=posted),
	]


def waiting(**kw):
	kw.setdefault("stages", STAGES)
	return policy(wait_for_posting=True, **kw)


@pytest.mark.parametrize("status", [SENT, QUEUED])
def test_next_stage_waits_for_the_notice_posting_date(status):
	decision = decide(waiting(), invoice(history=through_notice(status=status)), d(90))
	assert decision.reason == R.AWAITING_POSTING
	assert decision.stage is None
	assert decision.next_stage == COURT
	assert decision.next_date is None


def test_once_posted_the_next_stage_comes_on_its_date():
	inv = invoice(history=through_notice(posted=d(46)))
	assert decide(waiting(), inv, d(59)).reason == R.NOT_YET
	decision = decide(waiting(), inv, d(60))
	assert decision.reason == R.DUE and decision.stage == COURT


def test_a_late_posting_date_pushes_the_next_stage_by_the_minimum_gap():
	inv = invoice(history=through_notice(posted=d(58)))
	early = decide(waiting(), inv, d(60))
	assert early.reason == R.TOO_SOON
	assert early.next_date == d(58 + 7) and early.next_stage == COURT
	assert decide(waiting(), inv, d(65)).stage == COURT


def test_without_the_policy_option_nothing_waits():
	decision = decide(policy(stages=STAGES), invoice(history=through_notice()), d(60))
	assert decision.reason == R.DUE and decision.stage == COURT


def test_an_email_only_stage_never_waits():
	history = through_notice()[:4]  # Relance 3 (email) sent, the notice is next
	decision = decide(waiting(), invoice(history=history), d(45))
	assert decision.reason == R.DUE and decision.stage == MED


def test_a_letter_stage_before_an_email_stage_waits_too():
	stages = (PRE, R1, R2, LETTER_R3, MED, COURT)
	history = through_notice()[:4]
	decision = decide(waiting(stages=stages), invoice(history=history), d(45))
	assert decision.reason == R.AWAITING_POSTING and decision.next_stage == MED
	posted = [*history[:3], h(LETTER_R3, SENT, d(30), posted=d(31))]
	assert decide(waiting(stages=stages), invoice(history=posted), d(45)).stage == MED


@pytest.mark.parametrize("status", [CANCELLED, SKIPPED])
def test_a_notice_that_never_reached_the_customer_does_not_block(status):
	history = through_notice(status=status)
	decision = decide(waiting(), invoice(history=history), d(60))
	# the letter did not leave: the previous stage that reached the customer is Relance 3 (email)
	assert decision.reason == R.DUE and decision.stage == COURT


def test_a_failed_notice_is_retried_not_waited_for():
	history = through_notice(status=FAILED)
	decision = decide(waiting(), invoice(history=history), d(46))
	assert decision.stage == MED and decision.retry


def test_awaiting_approval_comes_before_posting():
	history = [*through_notice()[:4], h(MED, AWAITING_APPROVAL, d(45))]
	assert decide(waiting(), invoice(history=history), d(60)).reason == R.AWAITING_APPROVAL


def test_paid_and_hold_win_over_waiting():
	history = through_notice()
	assert decide(waiting(), invoice(history=history, outstanding="0"), d(90)).reason == R.PAID
	on_hold = invoice(history=history, on_hold=True, hold_reason="Dispute")
	assert decide(waiting(), on_hold, d(90)).reason == R.ON_HOLD


def test_early_sending_still_waits_for_the_posting_date():
	decision = decide(waiting(), invoice(history=through_notice()), d(50), early=True)
	assert decision.reason == R.AWAITING_POSTING


def test_forecast_assumes_the_letter_is_posted_the_day_it_is_met():
	inv = invoice(history=through_notice())
	every_day = {"weekend": ()}
	assert next_relance_date(waiting(), inv, d(70), **every_day) == (d(70 + 7), COURT.stage_name)
	posted = invoice(history=through_notice(posted=d(46)))
	assert next_relance_date(waiting(), posted, d(47), **every_day) == (d(60), COURT.stage_name)


def test_simulated_calendar_posts_each_letter_on_the_day_it_is_sent():
	events = simulate(waiting(), invoice(), d(-10), d(120), weekend=())
	dates = {e.stage_name: e.date for e in events if e.status != SKIPPED}
	# the notice goes out at J+45 and is posted that day: the court stage keeps its own date
	assert dates[MED.stage_name] == d(45)
	assert dates[COURT.stage_name] == d(60)
	assert [e.stage_name for e in events if e.status != SKIPPED] == [
		s.stage_name for s in (PRE, R1, R2, R3, MED, COURT)
	]
