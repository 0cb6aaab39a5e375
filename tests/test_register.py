"""The register's arithmetic: ageing buckets, procedure precedence, totals per currency."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relance_app.engine import reasons as R
from relance_app.engine import register as G


@pytest.mark.parametrize(
	"late, bucket",
	[
		(-10, "Not due"),
		(0, "Not due"),
		(1, "1-30"),
		(30, "1-30"),
		(31, "31-60"),
		(60, "31-60"),
		(61, "61-90"),
		(90, "61-90"),
		(91, "90+"),
		(4000, "90+"),
	],
)
def test_bucket_edges(late, bucket):
	assert G.ageing_bucket(late) == bucket


@given(st.integers(min_value=-10_000, max_value=10_000))
def test_every_day_late_falls_in_exactly_one_bucket_within_its_bounds(late):
	key = G.ageing_bucket(late)
	first, last = G.bucket_bounds(key)
	assert (first is None or late >= first) and (last is None or late <= last)
	assert sum(1 for k in G.BUCKET_KEYS if k == key) == 1


def test_days_late_counts_from_the_due_date():
	assert G.days_late(date(2026, 3, 1), date(2026, 3, 1)) == 0
	assert G.days_late(date(2026, 3, 1), date(2026, 3, 31)) == 30
	assert G.days_late(date(2026, 3, 10), date(2026, 3, 5)) == -5
	assert G.days_late(date(2024, 2, 28), date(2024, 3, 1)) == 2  # leap year


def test_formal_notice_is_a_letter_or_an_erpnext_dunning():
	assert G.is_formal_notice("Email and Letter")
	assert G.is_formal_notice("Letter")
	assert G.is_formal_notice("Email", create_dunning=True)
	assert not G.is_formal_notice("Email")
	assert not G.is_formal_notice("Phone task")
	assert not G.is_formal_notice(None)


def state(**kw):
	return G.InvoiceState(**{"open": True, **kw})


@pytest.mark.parametrize(
	"kw, expected",
	[
		({"open": False, "excluded": True, "hold_active": True}, G.PAID),
		({"excluded": True, "hold_active": True}, G.EXCLUDED),
		({"hold_active": True, "hold_reason": "Dispute", "awaiting_approval": True}, G.ON_HOLD),
		({"hold_active": True, "hold_reason": "Payment Promise"}, G.PROMISE),
		({"awaiting_approval": True, "dunning_created": True}, G.AWAITING_APPROVAL),
		({"dunning_created": True, "formal_notice_sent": True}, G.DUNNING_CREATED),
		({"formal_notice_sent": True, "decision_reason": R.COMPLETED}, G.FORMAL_NOTICE),
		({"has_policy": False}, G.NO_POLICY),
		({"decision_reason": R.COMPLETED}, G.COMPLETED),
		({"decision_reason": R.NO_STAGES}, G.COMPLETED),
		({"decision_reason": R.NOT_YET}, G.SCHEDULED),
		({"decision_reason": R.DUE}, G.SCHEDULED),
		({"hold_active": False, "hold_reason": "Dispute"}, G.SCHEDULED),  # an expired hold
	],
)
def test_procedure_takes_the_most_decisive_fact(kw, expected):
	assert G.procedure(state(**kw)) == expected


@given(
	st.booleans(),
	st.booleans(),
	st.booleans(),
	st.sampled_from([None, "Dispute", "Payment Promise"]),
	st.booleans(),
	st.booleans(),
	st.booleans(),
	st.booleans(),
	st.sampled_from([None, *R.ALL]),
)
def test_procedure_is_always_one_of_the_known_values(o, ex, hold, reason, pol, aw, dun, formal, dec):
	s = G.InvoiceState(o, ex, hold, reason, pol, aw, dun, formal, dec)
	p = G.procedure(s)
	assert p in G.PROCEDURES
	if not o:
		assert p == G.PAID


def test_totals_are_kept_apart_per_currency():
	rows = [
		("EUR", Decimal("100.00"), Decimal("60.00")),
		("GBP", Decimal("50.00"), Decimal("50.00")),
		("EUR", Decimal("40.10"), Decimal("40.10")),
	]
	assert G.totals_by_currency(rows) == {
		"EUR": (Decimal("140.10"), Decimal("100.10"), 2),
		"GBP": (Decimal("50.00"), Decimal("50.00"), 1),
	}
	assert G.totals_by_currency([]) == {}
