"""The language a document is written in: `in_language(lang)` runs a block with Frappe's translations
(`_()`, Jinja's `_()`, print formats) in that language, and gives the caller's back afterwards,
whatever happens. What the accountant reads (ToDos, comments, errors) is written outside it."""

from __future__ import annotations

import contextlib

import frappe

from relance_app.common import cache
from relance_app.common.frappe_compat import language_environment


@contextlib.contextmanager
def in_language(language: str | None):
	"""Labels (frappe._, print formats, Jinja) in `language` (none, or the current one: unchanged),
	restored afterwards. The Jinja environment Frappe builds for a language is kept for the batch
	(relance_app.common.cache): every email of a batch in that language shares it, not one each."""
	if not language or language == getattr(frappe.local, "lang", None):
		yield
		return
	environments = cache.memo("jinja_environments", dict)
	with language_environment(language, environments.get(language)) as used:
		yield
	environments[language] = used.jenv
