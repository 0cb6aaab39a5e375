"""The language a document is written in: `in_language(lang)` runs a block with Frappe's translations
(`_()`, Jinja's `_()`, print formats) in that language, and gives the caller's back afterwards,
whatever happens. What the accountant reads (ToDos, comments, errors) is written outside it."""

from __future__ import annotations

import contextlib

from relance_app.common.frappe_compat import language_environment


@contextlib.contextmanager
def in_language(language: str | None):
	"""Labels (frappe._, print formats, Jinja) in `language` (none: unchanged), restored afterwards."""
	if not language:
		yield
		return
	with language_environment(language):
		yield
