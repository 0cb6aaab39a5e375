"""The credit-hold rule (relance_app.engine.credit_hold): examples, then properties for any invoices."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from relance_app.constants import (
	CREDIT_HOLD_DOCTYPES,
	DISPUTE,
	HOLD_NOTHING,
	HOLD_REFUSE,
	HOLD_WARN,
	OTHER,
	PAYMENT_PROMISE,
	TRIGGER_AMOUNT,
	TRIGGER_DAYS_LATE,
	TRIGGER_STAGE,
)
from relance_app.engine.credit_hold import (
	NOT_HELD,
	CreditHoldRule,
	OpenInvoice,
	Release,
	credit_hold,
	rule_issues,
)

TODAY = date(2026, 3, 20)
STAGES = ("Relance 1", "Relance 2", "Relance 3", "Mise en demeure")
ACTIONS = tuple((d, default) for d, (_field, default) in CREDIT_HOLD_DOCTYPES.items())
FORMAL = CreditHoldRule(stages=STAGES, from_stage="Mise en demeure", actions=ACTIONS)


def inv(name="SINV-1", late=50, amount="1000", stage=None, stage_days_ago=8, **kw) -> OpenInvoice:
	return OpenInvoice(
		name=name,
		due_date=TODAY - timedelta(days=late),
		outstanding=Decimal(amount),
		stage=stage,
		stage_date=TODAY - timedelta(days=stage_days_ago) if stage else None,
		**kw,
	)


# --- examples -----------------------------------------------------------------------------------------


def test_formal_notice_holds_orders_and_deliveries_and_warns_on_quotations():
	found = credit_hold(FORMAL, [inv(stage="Mise en demeure"), inv("SINV-2", 10, "300", "Relance 1")], TODAY)
	assert found.held and found.triggers == (TRIGGER_STAGE,)
	assert [i.name for i in found.invoices] == ["SINV-1", "SINV-2"]
	assert found.overdue == Decimal("1300") and found.oldest_days_late == 50
	assert found.stage == "Mise en demeure" and found.since == TODAY - timedelta(days=8)
	assert found.action("Sales Order") == HOLD_REFUSE
	assert found.action("Delivery Note") == HOLD_REFUSE
	assert found.action("Sales Invoice") == HOLD_REFUSE
	assert found.action("Quotation") == HOLD_WARN
	assert found.action("Purchase Order") == HOLD_NOTHING


def test_an_earlier_stage_does_not_hold_but_a_later_one_does():
	assert not credit_hold(FORMAL, [inv(stage="Relance 3")], TODAY).held
	rule = replace(FORMAL, from_stage="Relance 2")
	assert credit_hold(rule, [inv(stage="Mise en demeure")], TODAY).held


def test_days_late_on_the_oldest_invoice():
	rule = CreditHoldRule(stages=STAGES, from_days_late=60, actions=ACTIONS)
	assert not credit_hold(rule, [inv(late=59)], TODAY).held
	found = credit_hold(rule, [inv(late=60), inv("SINV-2", late=5)], TODAY)
	assert found.triggers == (TRIGGER_DAYS_LATE,) and found.since == TODAY


def test_overdue_amount_counts_only_what_is_overdue():
	rule = CreditHoldRule(stages=STAGES, from_amount=Decimal("1000"), actions=ACTIONS)
	not_due = inv("SINV-3", late=-3, amount="5000")
	assert not credit_hold(rule, [inv(amount="999.99"), not_due], TODAY).held
	assert credit_hold(rule, [inv(amount="600"), inv("SINV-2", 1, "400")], TODAY).triggers == (
		TRIGGER_AMOUNT,
	)


def test_due_today_is_not_overdue():
	rule = CreditHoldRule(stages=STAGES, from_amount=Decimal("1"), actions=ACTIONS)
	assert not credit_hold(rule, [inv(late=0)], TODAY).held


def test_a_promise_or_a_dispute_is_forgiven_as_the_policy_says():
	promised = inv(stage="Mise en demeure", on_hold=True, hold_reason=PAYMENT_PROMISE, hold_until=TODAY)
	disputed = inv(stage="Mise en demeure", on_hold=True, hold_reason=DISPUTE)
	other = inv(stage="Mise en demeure", on_hold=True, hold_reason=OTHER)
	assert not credit_hold(FORMAL, [promised], TODAY).held
	assert credit_hold(FORMAL, [promised], TODAY).graced == ("SINV-1",)
	assert not credit_hold(FORMAL, [disputed], TODAY).held
	assert credit_hold(FORMAL, [other], TODAY).held
	assert credit_hold(replace(FORMAL, grace_promise=False), [promised], TODAY).held
	assert credit_hold(replace(FORMAL, grace_dispute=False), [disputed], TODAY).held


def test_a_broken_promise_counts_again():
	promised = inv(stage="Mise en demeure", on_hold=True, hold_reason=PAYMENT_PROMISE, hold_until=TODAY)
	assert credit_hold(FORMAL, [promised], TODAY + timedelta(days=1)).held


def test_paid_lifts_the_hold():
	assert credit_hold(FORMAL, [inv(stage="Mise en demeure", amount="0")], TODAY) == NOT_HELD
	assert credit_hold(FORMAL, [], TODAY) == NOT_HELD


def test_a_release_covers_its_invoices_until_its_date_only():
	held = [inv(stage="Mise en demeure")]
	release = Release(until=TODAY, invoices=frozenset({"SINV-1"}))
	found = credit_hold(FORMAL, held, TODAY, release)
	assert not found.held and found.released_until == TODAY
	assert credit_hold(FORMAL, held, TODAY + timedelta(days=1), release).held
	# a new invoice at the formal notice holds again
	again = credit_hold(FORMAL, [*held, inv("SINV-9", 46, "10", "Mise en demeure")], TODAY, release)
	assert again.held and [i.name for i in again.invoices] == ["SINV-9"]


def test_no_rule_or_no_trigger_never_holds():
	assert credit_hold(None, [inv(stage="Mise en demeure")], TODAY) == NOT_HELD
	assert credit_hold(CreditHoldRule(stages=STAGES, actions=ACTIONS), [inv(late=900)], TODAY) == NOT_HELD


def test_rule_issues():
	assert rule_issues(FORMAL, STAGES) == []
	codes = [c for c, _p in rule_issues(CreditHoldRule(stages=STAGES, actions=ACTIONS), STAGES)]
	assert codes == ["no_trigger"]
	bad = CreditHoldRule(
		stages=STAGES,
		from_stage="Pré-relance",
		from_days_late=-1,
		from_amount=Decimal("-5"),
		actions=(("Sales Order", "Block"),),
	)
	codes = [c for c, _p in rule_issues(bad, ("Pré-relance", *STAGES), frozenset({"Pré-relance"}))]
	assert codes == ["pre_due_stage", "bad_days", "negative_amount", "bad_action"]
	assert [c for c, _p in rule_issues(replace(FORMAL, from_stage="Nope"), STAGES)] == ["unknown_stage"]
	nothing = replace(FORMAL, actions=tuple((d, HOLD_NOTHING) for d in CREDIT_HOLD_DOCTYPES))
	assert [c for c, _p in rule_issues(nothing, STAGES)] == ["no_action"]


# --- properties -----------------------------------------------------------------------------------------

hold_reasons = st.sampled_from([None, PAYMENT_PROMISE, DISPUTE, OTHER])


@st.composite
def invoices(draw, prefix="SINV"):
	n = draw(st.integers(0, 6))
	out = []
	for k in range(n):
		reason = draw(hold_reasons)
		out.append(
			OpenInvoice(
				name=f"{prefix}-{k}",
				due_date=TODAY - timedelta(days=draw(st.integers(-30, 400))),
				outstanding=Decimal(draw(st.integers(0, 50_000))) / 100,
				stage=draw(st.sampled_from([None, *STAGES])),
				stage_date=TODAY - timedelta(days=draw(st.integers(0, 300))),
				on_hold=reason is not None,
				hold_reason=reason,
				hold_until=draw(st.one_of(st.none(), st.dates(TODAY - timedelta(30), TODAY + timedelta(30)))),
			)
		)
	return out


@st.composite
def rules(draw):
	return CreditHoldRule(
		stages=STAGES,
		from_stage=draw(st.sampled_from([None, *STAGES])),
		from_days_late=draw(st.sampled_from([0, 1, 30, 90])),
		from_amount=Decimal(draw(st.sampled_from([0, 1, 500, 5000]))),
		actions=tuple(
			(d, draw(st.sampled_from([HOLD_REFUSE, HOLD_WARN, HOLD_NOTHING]))) for d in CREDIT_HOLD_DOCTYPES
		),
		grace_promise=draw(st.booleans()),
		grace_dispute=draw(st.booleans()),
	)


@settings(max_examples=300, deadline=None)
@given(rules(), invoices(), invoices("NEW"))
def test_one_more_overdue_invoice_never_lifts_a_hold(rule, some, more):
	if credit_hold(rule, some, TODAY).held:
		assert credit_hold(rule, some + more, TODAY).held


@settings(max_examples=300, deadline=None)
@given(rules(), invoices())
def test_paying_an_invoice_never_starts_a_hold(rule, some):
	before = credit_hold(rule, some, TODAY)
	for k in range(len(some)):
		paid = [*some[:k], replace(some[k], outstanding=Decimal(0)), *some[k + 1 :]]
		assert before.held or not credit_hold(rule, paid, TODAY).held


@settings(max_examples=300, deadline=None)
@given(rules(), invoices())
def test_a_hold_names_overdue_counted_invoices_and_its_actions(rule, some):
	found = credit_hold(rule, some, TODAY)
	if not found.held:
		assert found.invoices == () and all(found.action(d) == HOLD_NOTHING for d in CREDIT_HOLD_DOCTYPES)
		return
	assert found.invoices and found.triggers
	names = {i.name for i in found.invoices}
	assert not names & set(found.graced)
	assert all(i.due_date < TODAY and i.outstanding > 0 for i in found.invoices)
	assert found.overdue == sum(i.outstanding for i in found.invoices)
	assert list(found.invoices) == sorted(found.invoices, key=lambda i: (i.due_date, i.name))
	assert {d: found.action(d) for d in CREDIT_HOLD_DOCTYPES} == dict(rule.actions)


@settings(max_examples=300, deadline=None)
@given(rules(), invoices(), st.integers(0, 10))
def test_a_release_of_every_invoice_lifts_until_its_date(rule, some, days):
	until = TODAY + timedelta(days=days)
	release = Release(until=until, invoices=frozenset(i.name for i in some))
	assert not credit_hold(rule, some, TODAY, release).held
	after = credit_hold(rule, some, until + timedelta(days=1), release)
	assert after.held == credit_hold(rule, some, until + timedelta(days=1)).held


@settings(max_examples=200, deadline=None)
@given(rules(), invoices())
def test_the_order_of_the_invoices_does_not_matter(rule, some):
	assert credit_hold(rule, some, TODAY) == credit_hold(rule, list(reversed(some)), TODAY)
