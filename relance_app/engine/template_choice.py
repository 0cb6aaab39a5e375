"""Which email template a stage uses for a customer's language and tone, and so the language of the
whole document: a variant's own language, else the policy's default language (the language of the
stage's own template), else French."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

DEFAULT_LANGUAGE = "fr"


class TemplateChoice(NamedTuple):
	"""The template of a message and the language of everything in it."""

	template: str | None
	language: str


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
	"""The template of choose_template."""
	return choose_template(stage_name, default, variants, language, tone).template


def _code(language: str | None) -> str:
	return (language or "").strip().lower().replace("_", "-")


def base_code(language: str | None) -> str:
	"""'fr-CA' -> 'fr'; '' for none."""
	return _code(language).split("-")[0]


def choose_template(
	stage_name: str,
	default: str | None,
	variants: Iterable[TemplateVariant],
	language: str | None,
	tone: str | None,
	default_language: str | None = None,
) -> TemplateChoice:
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
		if score > best_score and v.email_template:
			best, best_score = v, score
	fallback = (default_language or "").strip() or DEFAULT_LANGUAGE
	if best is None:
		return TemplateChoice(default, fallback)
	return TemplateChoice(best.email_template, (best.language or "").strip() or fallback)


def page_language(
	language: str | None, variants: Iterable[TemplateVariant], default_language: str | None = None
) -> str:
	"""The language of what has no template of its own (the debtor page, its emails, the collection
	file): the customer's language (its base: 'fr' for 'fr-CA') when the policy has a template variant
	in it, else the policy's default language, else French."""
	base = base_code(language)
	if base and any(base_code(v.language) == base for v in variants if v.email_template):
		return base
	return base_code(default_language) or DEFAULT_LANGUAGE
