"""Checks on a Dunning Policy before it is saved. Each problem names the offending stage.

The messages are English with {placeholders}; the Frappe side translates them (`_()` on the same
literal, French shipped) and formats them with the same parameters.
"""

from __future__ import annotations

from relance_app.engine.models import CHANNELS, EMAIL_CHANNELS, ZERO, Policy, PolicyIssue

MAX_OFFSET = 3650  # ten years after the due date
MIN_OFFSET = -365  # a year before it

MESSAGES = {
	"no_stages": "The policy has no stage: add at least one.",
	"empty_name": "Row {idx}: the stage needs a name.",
	"duplicate_name": "Row {idx}: the stage name {stage} is used twice; each stage needs its own name.",
	"duplicate_offset": "Row {idx}: stage {stage} has the same offset ({offset} days) as stage {other}.",
	"order": "Row {idx}: stage {stage} ({offset} days) comes after stage {other} ({other_offset} days); "
	"order the stages by their offset.",
	"offset_range": "Row {idx}: stage {stage} has an offset of {offset} days; it must lie between {min} and {max}.",
	"bad_channel": "Row {idx}: stage {stage} has an unknown channel {channel}.",
	"missing_template": "Row {idx}: stage {stage} sends an email but has no email template.",
	"negative_gap": "The minimum number of days between two relances cannot be negative ({value}).",
	"negative_tolerance": "The tolerance cannot be negative ({value}).",
	"negative_rate": "The late-interest rate cannot be negative ({value}).",
	"negative_indemnity": "The fixed indemnity cannot be negative ({value}).",
	"bad_attempts": "The number of attempts for a failed relance must be at least 1 ({value}).",
	"pre_due_approval": "Row {idx}: stage {stage} is a reminder before the due date and cannot require approval.",
	"pre_due_dunning": "Row {idx}: stage {stage} is before the due date and cannot create a Dunning.",
}


def _issue(code: str, stage=None, **params) -> PolicyIssue:
	return PolicyIssue(
		code=code,
		message=MESSAGES[code],
		stage_idx=getattr(stage, "idx", None),
		stage_name=getattr(stage, "stage_name", None),
		params=params,
	)


def validate_policy(policy: Policy, require_templates: bool = True) -> list[PolicyIssue]:
	"""Every problem of the policy, in table order; an empty list means it is valid."""
	issues: list[PolicyIssue] = []
	if policy.min_days_between < 0:
		issues.append(_issue("negative_gap", value=policy.min_days_between))
	if policy.tolerance < ZERO:
		issues.append(_issue("negative_tolerance", value=policy.tolerance))
	if policy.late_interest_rate < ZERO:
		issues.append(_issue("negative_rate", value=policy.late_interest_rate))
	if policy.fixed_indemnity < ZERO:
		issues.append(_issue("negative_indemnity", value=policy.fixed_indemnity))
	if policy.max_attempts < 1:
		issues.append(_issue("bad_attempts", value=policy.max_attempts))
	if not policy.stages:
		issues.append(_issue("no_stages"))
		return issues

	seen_names: dict[str, object] = {}
	seen_offsets: dict[int, object] = {}
	previous = None
	for stage in sorted(policy.stages, key=lambda s: s.idx):
		name = (stage.stage_name or "").strip()
		if not name:
			issues.append(_issue("empty_name", stage))
		elif name.casefold() in seen_names:
			issues.append(_issue("duplicate_name", stage))
		else:
			seen_names[name.casefold()] = stage

		if not MIN_OFFSET <= stage.offset_days <= MAX_OFFSET:
			issues.append(
				_issue("offset_range", stage, offset=stage.offset_days, min=MIN_OFFSET, max=MAX_OFFSET)
			)
		if stage.offset_days in seen_offsets:
			other = seen_offsets[stage.offset_days]
			issues.append(_issue("duplicate_offset", stage, offset=stage.offset_days, other=other.stage_name))
		else:
			seen_offsets[stage.offset_days] = stage
		if previous is not None and stage.offset_days < previous.offset_days:
			issues.append(
				_issue(
					"order",
					stage,
					offset=stage.offset_days,
					other=previous.stage_name,
					other_offset=previous.offset_days,
				)
			)
		previous = stage

		if stage.channel not in CHANNELS:
			issues.append(_issue("bad_channel", stage, channel=stage.channel))
		elif require_templates and stage.channel in EMAIL_CHANNELS and not stage.email_template:
			issues.append(_issue("missing_template", stage))
		if stage.is_pre_due and stage.requires_approval:
			issues.append(_issue("pre_due_approval", stage))
		if stage.is_pre_due and stage.create_dunning:
			issues.append(_issue("pre_due_dunning", stage))
	return issues
