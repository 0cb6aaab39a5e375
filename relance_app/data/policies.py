"""From Dunning Policy documents to the engine's dataclasses, and which policy applies to whom."""

from __future__ import annotations

from frappe.utils import cint

from relance_app.engine.models import CONTRACTUAL_RATE, Policy, Stage
from relance_app.engine.penalties import to_decimal
from relance_app.engine.template_choice import TemplateVariant


def stage_from_row(row) -> Stage:
	return Stage(
		stage_name=(row.stage_name or "").strip(),
		offset_days=cint(row.offset_days),
		channel=row.channel or "Email",
		email_template=row.email_template or None,
		print_format=row.print_format or None,
		requires_approval=bool(cint(row.requires_approval)),
		include_penalties=bool(cint(row.include_penalties)),
		create_dunning=bool(cint(row.create_dunning)),
		idx=cint(row.idx),
	)


def policy_from_doc(doc) -> Policy:
	return Policy(
		name=doc.name or doc.policy_name or "",
		stages=tuple(stage_from_row(row) for row in doc.stages),
		min_days_between=cint(doc.min_days_between),
		tolerance=to_decimal(doc.tolerance or 0),
		late_interest_rate=to_decimal(doc.late_interest_rate or 0),
		interest_basis=doc.get("interest_rate_basis") or CONTRACTUAL_RATE,
		fixed_indemnity=to_decimal(doc.fixed_indemnity or 0),
		indemnity_currency=doc.indemnity_currency or "EUR",
		indemnity_b2b_only=bool(cint(doc.indemnity_b2b_only)),
		send_thank_you=bool(cint(doc.send_thank_you)),
		max_attempts=cint(doc.max_attempts) if doc.max_attempts is not None else 3,
	)


def variants_from_doc(doc) -> list[TemplateVariant]:
	return [
		TemplateVariant(
			stage_name=(row.stage_name or "").strip(),
			email_template=row.email_template,
			language=row.language or None,
			tone=row.tone or None,
		)
		for row in doc.get("templates") or []
	]
