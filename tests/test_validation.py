from decimal import Decimal

from factories import FRENCH_STAGES, MED, PRE, R1, R2, policy

from relance_app.engine.models import Stage
from relance_app.engine.validation import MESSAGES, validate_policy


def codes(pol, **kw):
	return [i.code for i in validate_policy(pol, **kw)]


def test_default_french_policy_is_valid():
	assert validate_policy(policy(FRENCH_STAGES)) == []


def test_no_stage():
	assert codes(policy(())) == ["no_stages"]


def test_out_of_order_names_both_stages():
	r2 = Stage("Relance 2", 15, email_template="x", idx=2)
	r1 = Stage("Relance 1", 5, email_template="x", idx=3)
	issues = validate_policy(policy((PRE, r2, r1)))
	assert [i.code for i in issues] == ["order"]
	text = issues[0].format()
	assert "Relance 1" in text and "Relance 2" in text and "Row 3" in text


def test_duplicate_names_and_offsets():
	dup = Stage("relance 1", 6, email_template="x", idx=3)
	same_offset = Stage("Autre", 5, email_template="x", idx=4)
	assert codes(policy((PRE, R1, dup))) == ["duplicate_name"]
	issues = validate_policy(policy((PRE, R1, same_offset)))
	assert [i.code for i in issues] == ["duplicate_offset"]
	assert "Relance 1" in issues[0].format() and "Autre" in issues[0].format()


def test_impossible_offsets_and_channels_and_templates():
	far = Stage("Far", 5000, email_template="x", idx=9)
	assert codes(policy((PRE, far))) == ["offset_range"]
	bad = Stage("Fax", 10, channel="Fax", idx=2)
	assert codes(policy((PRE, bad))) == ["bad_channel"]
	no_tpl = Stage("Sans modèle", 10, idx=2)
	assert codes(policy((PRE, no_tpl))) == ["missing_template"]
	assert codes(policy((PRE, no_tpl)), require_templates=False) == []
	letter = Stage("Lettre", 10, channel="Letter", idx=2)
	phone = Stage("Appel", 20, channel="Phone task", idx=3)
	assert codes(policy((PRE, letter, phone))) == []


def test_empty_stage_name():
	assert codes(policy((Stage("  ", 5, email_template="x", idx=1),))) == ["empty_name"]


def test_negative_numbers_are_refused():
	pol = policy(
		(R1, R2),
		min_days_between=-1,
		tolerance=Decimal("-1"),
		late_interest_rate=Decimal("-2"),
		fixed_indemnity=Decimal("-40"),
		max_attempts=0,
	)
	assert codes(pol) == [
		"negative_gap",
		"negative_tolerance",
		"negative_rate",
		"negative_indemnity",
		"bad_attempts",
	]


def test_pre_due_stage_cannot_need_approval_or_create_dunning():
	pre = Stage("Pré", -5, email_template="x", requires_approval=True, create_dunning=True, idx=1)
	assert codes(policy((pre, MED))) == ["pre_due_approval", "pre_due_dunning"]


def test_every_message_formats_with_its_parameters():
	for issue in validate_policy(
		policy(
			(Stage("", 6000, channel="Fax", idx=1), Stage("", 6000, idx=2)),
			min_days_between=-1,
		)
	):
		assert "{" not in issue.format()
	assert all(m.endswith(".") for m in MESSAGES.values())
