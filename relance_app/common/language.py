"""The language a document is written in: `in_language(lang)` runs a block with Frappe's translations
(`_()`, Jinja's `_()`, print formats) in that language, and gives the caller's back afterwards,
whatever happens. What the accountant reads (ToDos, comments, errors) is written outside it."""

from __future__ import annotations

import contextlib

import frappe


@contextlib.contextmanager
def in_language(language: str | None):
	"""Labels (frappe._, print formats, Jinja) in `language` (none: unchanged), restored afterwards."""
	if not language:
		yield
		return
	lang, jenv = getattr(frappe.local, "lang", None), getattr(frappe.local, "jenv", None)
	frappe.local.lang, frappe.local.jenv = language, None
	try:
		yield
	finally:
		frappe.local.lang, frappe.local.jenv = lang, jenv
