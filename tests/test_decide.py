from datetime import date, timedelta
from decimal import Decimal

import pytest
from factories import MED, PRE, R1, R2, R3, h, invoice, policy

from relance_app.engine import reasons as R
from relance_app.engine.decide import decide, decide_many, effective_due
from relance_app.engine.models import (
	AWAITING_APPROVAL,
	CANCELLED,
	FAILED,
	QUEUED,
	SENT,
	SKIPPED,
	Instalment,
	Stage,
)

DUE = date(2026, 3, 1)


def d(offset):
	return DUE + timedelta(days=offset)


# --- eligibility -------------------------------------------------------------------------------


@pytest.mark.parametrize(
	"kw, reason",
	[
		({"docstatus": 0}, R.NOT_SUBMITTED),
		({"docstatus": 2}, R.NOT_SUBMITTED),
		({"is_return": True}, R.RETURN),
		({"outstanding": "0"}, R.PAID),
		({"outstanding": "-50"}, R.PAID),
		({"customer_disabled": True}, R.CUSTOMER_DISABLED),
		({"excluded": True}, R.EXCLUDED),
		({"customer_excluded": True}, R.EXCLUDED),
		({"on_hold": True}, R.ON_HOLD),
	],
)
def test_ineligible_invoices_get_nothing(kw, reason):
	decision = decide(policy(), invoice(**kw), d(10))
	assert decision.reason == reason
	assert decision.stage is None and decision.skipped == ()


def test_tolerance_is_inclusive():
	pol = policy(tolerance=Decimal("5.00"))
	assert decide(pol, invoice(outstanding="5.00"), d(10)).reason == R.PAID
	assert decide(pol, invoice(outstanding="5.01"), d(10)).stage == R1


def test_policy_without_stages():
	assert decide(policy(stages=()), invoice(), d(10)).reason == R.NO_STAGES


# --- holds -------------------------------------------------------------------------------------


def test_hold_without_date_lasts_until_released():
	decision = decide(policy(), invoice(on_hold=True, hold_reason="Dispute"), d(400))
	assert decision.reason == R.ON_HOLD and decision.next_date is None


def test_hold_ending_today_still_holds_and_resumes_tomorrow():
	inv = invoice(on_hold=True, hold_until=d(10), hold_reason="Payment Promise")
	today = decide(policy(), inv, d(10))
	assert today.reason == R.ON_HOLD and today.next_date == d(11)
	tomorrow = decide(policy(), inv, d(11))
	assert tomorrow.stage == R1


def test_after_a_long_hold_the_next_stage_only():
	inv = invoice(on_hold=True, hold_until=d(100), history=[h(PRE, SENT, d(-5))])
	decision = decide(policy(), inv, d(101))
	assert decision.stage == R1


# --- one step at a time ------------------------------------------------------------------------


def test_pre_due_reminder_on_its_day():
	decision = decide(policy(), invoice(), d(-5))
	assert decision.stage == PRE and decision.reason == R.DUE


def test_nothing_before_the_first_stage():
	decision = decide(policy(), invoice(), d(-6))
	assert decision.stage is None and decision.reason == R.NOT_YET
	assert decision.next_date == d(-5) and decision.next_stage == PRE


def test_pre_due_stage_passed_but_not_overdue_is_still_sent():
	assert decide(policy(), invoice(), d(-1)).stage == PRE
	assert decide(policy(), invoice(), d(0)).stage == PRE  # due today is not overdue


def test_pre_due_stage_is_skipped_once_overdue():
	decision = decide(policy(), invoice(), d(1))
	assert decision.skipped == (PRE,)
	assert decision.stage is None and decision.next_date == d(5) and decision.next_stage == R1


def test_earlier_pre_due_stage_skipped_when_a_later_one_is_due():
	early = Stage("J-10", -10, email_template="x", idx=1)
	late = Stage("J-3", -3, email_template="y", idx=2)
	decision = decide(policy(stages=(early, late, R1)), invoice(), d(-2))
	assert decision.skipped == (early,) and decision.stage == late


def test_first_install_with_very_old_invoice_gets_relance_1_not_formal_notice():
	decision = decide(policy(), invoice(), d(400))
	assert decision.stage == R1
	assert decision.skipped == (PRE,)
	assert decision.days_late == 400


def test_catch_up_after_a_gap_gives_the_next_stage_only():
	history = [h(PRE, SENT, d(-5)), h(R1, SENT, d(5))]
	decision = decide(policy(), invoice(history=history), d(25))  # R2 at 15, R3 at 30
	assert decision.stage == R2


def test_min_days_between_pushes_the_next_stage():
	history = [h(PRE, SENT, d(-5)), h(R1, SENT, d(12))]  # R1 sent late
	decision = decide(policy(min_days_between=7), invoice(history=history), d(15))
	assert decision.stage is None and decision.reason == R.TOO_SOON
	assert decision.next_date == d(19) and decision.next_stage == R2
	assert decide(policy(min_days_between=7), invoice(history=history), d(19)).stage == R2


def test_zero_gap_still_means_one_relance_a_day():
	history = [h(PRE, SENT, d(-5)), h(R1, SENT, d(15))]
	decision = decide(policy(min_days_between=0), invoice(history=history), d(15))
	assert decision.stage is None and decision.next_date == d(16)


def test_skipped_stages_do_not_count_as_relances_for_the_gap():
	history = [h(PRE, SKIPPED, d(4))]
	assert decide(policy(), invoice(history=history), d(5)).stage == R1


def test_stages_move_forward_only():
	# R2 was acted on (policy later edited so that R1 was never sent): R1 is not sent backwards
	history = [h(R2, SENT, d(15))]
	decision = decide(policy(), invoice(history=history), d(40))
	assert decision.stage == R3


def test_all_stages_done():
	history = [h(s, SENT, d(s.offset_days)) for s in (PRE, R1, R2, R3, MED)]
	assert decide(policy(), invoice(history=history), d(200)).reason == R.COMPLETED


def test_stages_in_any_table_order_are_taken_by_offset():
	pol = policy(stages=(MED, R3, R1, PRE, R2))
	assert decide(pol, invoice(), d(-5)).stage == PRE


def test_queued_counts_as_acted_and_as_relance():
	history = [h(PRE, SENT, d(-5)), h(R1, QUEUED, d(5))]
	decision = decide(policy(), invoice(history=history), d(11))
	assert decision.stage is None and decision.next_stage == R2 and decision.next_date == d(15)


def test_cancelled_stage_is_not_redone():
	history = [h(PRE, SENT, d(-5)), h(R1, CANCELLED, d(5))]
	assert decide(policy(), invoice(history=history), d(15)).stage == R2


# --- approval and failures ---------------------------------------------------------------------


def test_stage_awaiting_approval_blocks_the_following():
	history = [h(s, SENT, d(s.offset_days)) for s in (PRE, R1, R2, R3)] + [h(MED, AWAITING_APPROVAL, d(45))]
	more = Stage("Agence de recouvrement", 60, email_template="x", idx=6)
	decision = decide(policy(stages=(PRE, R1, R2, R3, MED, more)), invoice(history=history), d(90))
	assert decision.reason == R.AWAITING_APPROVAL and decision.stage is None


def test_failed_stage_is_retried_next_day_not_same_day():
	history = [h(PRE, SENT, d(-5)), h(R1, FAILED, d(5))]
	same_day = decide(policy(), invoice(history=history), d(5))
	assert same_day.stage is None and same_day.reason == R.RETRY_LATER and same_day.next_date == d(6)
	next_day = decide(policy(), invoice(history=history), d(6))
	assert next_day.stage == R1 and next_day.retry


def test_failed_stage_gives_up_after_max_attempts():
	history = [h(PRE, SENT, d(-5)), h(R1, FAILED, d(7), attempts=3)]
	decision = decide(policy(max_attempts=3), invoice(history=history), d(15))
	assert decision.stage == R2


def test_failures_do_not_count_for_the_gap():
	history = [h(PRE, SKIPPED, d(1)), h(R1, FAILED, d(5))]
	assert decide(policy(min_days_between=30), invoice(history=history), d(6)).stage == R1


# --- paid and thank you -------------------------------------------------------------------------


def test_thank_you_after_a_post_due_relance():
	pol = policy(send_thank_you=True)
	paid = invoice(outstanding="0", history=[h(PRE, SENT, d(-5)), h(R1, SENT, d(5))])
	assert decide(pol, paid, d(20)).thank_you


def test_no_thank_you_after_pre_due_only_or_when_already_sent_or_disabled():
	pol = policy(send_thank_you=True)
	assert not decide(pol, invoice(outstanding="0", history=[h(PRE, SENT, d(-5))]), d(3)).thank_you
	inv = invoice(outstanding="0", history=[h(R1, SENT, d(5))], thank_you_sent=True)
	assert not decide(pol, inv, d(20)).thank_you
	assert not decide(policy(), invoice(outstanding="0", history=[h(R1, SENT, d(5))]), d(20)).thank_you
	failed_only = invoice(outstanding="0", history=[h(R1, FAILED, d(5))])
	assert not decide(pol, failed_only, d(20)).thank_you


# --- payment schedule --------------------------------------------------------------------------


def test_payment_schedule_uses_earliest_unpaid_instalment_and_overdue_amount():
	schedule = (
		Instalment(date(2026, 1, 31), Decimal("0")),  # paid
		Instalment(date(2026, 2, 28), Decimal("400")),
		Instalment(date(2026, 3, 31), Decimal("400")),
	)
	inv = invoice(due=date(2026, 3, 31), outstanding="800", payment_schedule=schedule)
	due, amount = effective_due(inv, date(2026, 3, 10))
	assert due == date(2026, 2, 28) and amount == Decimal("400")
	decision = decide(policy(), inv, date(2026, 3, 5))
	assert decision.stage == R1 and decision.amount_due == Decimal("400") and decision.days_late == 5
	# later both instalments are overdue
	assert effective_due(inv, date(2026, 4, 2)) == (date(2026, 2, 28), Decimal("800"))


def test_payment_schedule_before_any_instalment_is_due():
	schedule = (Instalment(date(2026, 4, 30), Decimal("300")), Instalment(date(2026, 5, 31), Decimal("300")))
	inv = invoice(due=date(2026, 5, 31), outstanding="600", payment_schedule=schedule)
	assert effective_due(inv, date(2026, 4, 1)) == (date(2026, 4, 30), Decimal("300"))


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	"due, today, stage",
	[
		(date(2024, 2, 24), date(2024, 2, 29), R1),  # leap day
		(date(2024, 2, 29), date(2024, 3, 5), R1),
		(date(2026, 1, 31), date(2026, 2, 5), R1),  # month end
		(date(2026, 12, 27), date(2027, 1, 1), R1),  # year end
	],
)
def test_calendar_edges(due, today, stage):
	inv = invoice(due=due, history=[h(PRE, SENT, due - timedelta(days=5))])
	assert decide(policy(), inv, today).stage == stage
	assert decide(policy(), inv, today - timedelta(days=1)).stage is None


def test_decide_many_with_one_or_several_policies():
	invs = [invoice(name=f"S{i}") for i in range(3)]
	assert [x.stage for x in decide_many(policy(), invs, d(-5))] == [PRE] * 3
	mapping = {"S0": policy(), "S1": policy(stages=(R1,)), "S2": policy()}
	out = decide_many(mapping, invs, d(-5))
	assert out[1].stage is None and out[1].next_date == d(5)


def test_early_sends_the_next_stage_before_its_date_but_keeps_the_gap():
	history = [h(PRE, SENT, d(-5))]
	assert decide(policy(), invoice(history=history), d(-4)).stage is None
	assert decide(policy(), invoice(history=history), d(-4), early=True).stage is None  # 1 day after PRE
	early = decide(policy(), invoice(history=history), d(2), early=True)
	assert early.stage == R1 and early.reason == R.DUE
	assert decide(policy(), invoice(on_hold=True, history=history), d(2), early=True).stage is None
