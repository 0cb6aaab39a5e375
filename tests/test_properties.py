"""Property tests: for any policy, history and sequence of run dates, the engine keeps its promises."""

import itertools
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from factories import invoice
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relance_app.engine import reasons as R
from relance_app.engine.decide import decide
from relance_app.engine.models import (
	AWAITING_APPROVAL,
	RELANCE_STATUSES,
	SENT,
	SKIPPED,
	HistoryEntry,
	Policy,
	Stage,
)

BASE = date(2024, 1, 1)


@st.composite
def policies(draw):
	offsets = draw(st.lists(st.integers(-30, 120), min_size=1, max_size=6, unique=True))
	offsets.sort()
	stages = tuple(
		Stage(f"S{i}", off, email_template="t", requires_approval=draw(st.booleans()) and off >= 0, idx=i)
		for i, off in enumerate(offsets)
	)
	return Policy(
		"P",
		stages,
		min_days_between=draw(st.integers(0, 20)),
		tolerance=Decimal(draw(st.sampled_from(["0", "1", "10"]))),
		send_thank_you=draw(st.booleans()),
	)


run_days = st.lists(st.integers(0, 400), min_size=1, max_size=40).map(sorted)


def apply(history, decision, day, approve=True):
	"""What the Frappe side records for a decision."""
	out = list(history)
	for s in decision.skipped:
		out.append(HistoryEntry(s.stage_name, SKIPPED, day))
	if decision.stage is not None:
		status = AWAITING_APPROVAL if decision.stage.requires_approval and not approve else SENT
		out.append(HistoryEntry(decision.stage.stage_name, status, day))
	return out


def run_sequence(pol, days, due, outstanding="100", approve=True):
	inv = invoice(due=due, outstanding=outstanding)
	history = []
	decisions = []
	for offset in days:
		day = BASE + timedelta(days=offset)
		decision = decide(pol, replace(inv, history=tuple(history)), day)
		decisions.append((day, decision))
		history = apply(history, decision, day, approve)
	return history, decisions


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(policies(), run_days, st.integers(0, 200))
def test_never_the_same_stage_twice(pol, days, due_offset):
	history, _ = run_sequence(pol, days, BASE + timedelta(days=due_offset))
	names = [e.stage_name for e in history]
	assert len(names) == len(set(names))


@SETTINGS
@given(policies(), run_days, st.integers(0, 200))
def test_never_two_relances_closer_than_the_gap(pol, days, due_offset):
	history, _ = run_sequence(pol, days, BASE + timedelta(days=due_offset))
	sent = sorted(e.date for e in history if e.status in RELANCE_STATUSES)
	gap = max(1, pol.min_days_between)
	assert all((b - a).days >= gap for a, b in itertools.pairwise(sent))


@SETTINGS
@given(policies(), run_days, st.integers(0, 200))
def test_stages_only_move_forward_and_never_on_a_stage_before_its_date(pol, days, due_offset):
	due = BASE + timedelta(days=due_offset)
	history, _ = run_sequence(pol, days, due)
	order = {s.stage_name: i for i, s in enumerate(pol.ordered_stages())}
	idx = [order[e.stage_name] for e in history]
	assert idx == sorted(idx)
	offsets = {s.stage_name: s.offset_days for s in pol.stages}
	for e in history:
		if e.status == SENT:
			assert e.date >= due + timedelta(days=offsets[e.stage_name])


@SETTINGS
@given(policies(), run_days, st.integers(0, 200))
def test_post_due_stages_are_never_skipped(pol, days, due_offset):
	history, _ = run_sequence(pol, days, BASE + timedelta(days=due_offset))
	post_due = {s.stage_name for s in pol.stages if s.offset_days >= 0}
	assert not [e for e in history if e.status == SKIPPED and e.stage_name in post_due]


@SETTINGS
@given(policies(), run_days, st.integers(0, 200), st.sampled_from(["0", "0.50", "1", "-3"]))
def test_paid_invoices_get_nothing(pol, days, due_offset, outstanding):
	if Decimal(outstanding) > pol.tolerance:
		return
	history, decisions = run_sequence(pol, days, BASE + timedelta(days=due_offset), outstanding)
	assert history == []
	assert all(dec.reason == R.PAID for _, dec in decisions)


@SETTINGS
@given(policies(), run_days, st.integers(0, 200), st.booleans())
def test_a_run_repeated_the_same_day_decides_nothing_new(pol, days, due_offset, approve):
	inv = invoice(due=BASE + timedelta(days=due_offset))
	history = []
	for offset in days:
		day = BASE + timedelta(days=offset)
		first = decide(pol, replace(inv, history=tuple(history)), day)
		history = apply(history, first, day, approve)
		again = decide(pol, replace(inv, history=tuple(history)), day)
		assert again.stage is None and again.skipped == ()


@SETTINGS
@given(policies(), st.integers(0, 200), st.integers(1, 60))
def test_catch_up_after_any_gap_is_one_stage(pol, due_offset, gap):
	"""Whatever the history so far, a single run acts on at most one stage."""
	due = BASE + timedelta(days=due_offset)
	history, _ = run_sequence(pol, [due_offset - 40, due_offset], due)
	before = len([e for e in history if e.status != SKIPPED])
	day = due + timedelta(days=gap * 10)
	decision = decide(pol, invoice(due=due, history=history), day)
	after = apply(history, decision, day)
	assert len([e for e in after if e.status != SKIPPED]) - before <= 1
