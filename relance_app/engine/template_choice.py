"""Which email template a stage uses for a customer's language and tone."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TemplateVariant:
	"""A row of the policy's template table: empty language or tone means any."""

	stage_name: str
	email_template: str
	language: str | None = None
	tone: str | None = None  # "Courteous" / "Firm" (as the desk shows them) or lower-case


def pick_template(
	stage_name: str,
	default: str | None,
	variants: Iterable[TemplateVariant],
	language: str | None,
	tone: str | None,
) -> str | None:
	"""The most specific variant for (stage, language, tone), else the stage's own template.

	Language matches exactly ('fr-CA') or by its base ('fr'); an exact language beats a base one,
	a matching language beats any language, and a matching tone beats any tone.
	"""
	lang = (language or "").lower().replace("_", "-")
	base = lang.split("-")[0]
	want_tone = (tone or "").lower()
	best, best_score = None, -1
	for v in variants:
		if v.stage_name != stage_name:
			continue
		v_lang = (v.language or "").lower()
		v_tone = (v.tone or "").lower()
		if v_tone and v_tone != want_tone:
			continue
		if not v_lang:
			lang_score = 0
		elif v_lang == lang:
			lang_score = 2
		elif v_lang.split("-")[0] == base:
			lang_score = 1
		else:
			continue
		score = lang_score * 2 + (1 if v_tone else 0)
		if score > best_score:
			best, best_score = v.email_template, score
	return best or default
