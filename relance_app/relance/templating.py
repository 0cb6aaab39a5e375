"""Rendering stage templates, and checking them when a policy is saved."""

from __future__ import annotations

import traceback

import frappe
from frappe import _
from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError

from relance_app.exceptions import RelanceTemplateError


def render(source: str | None, context: dict) -> str:
	return frappe.render_template(source or "", context)


def _strict_env():
	from frappe.utils.jinja import get_jenv

	return get_jenv().overlay(undefined=StrictUndefined)


def _template_line(exc: BaseException) -> int | None:
	"""The template line where rendering failed: jinja rewrites tracebacks to point into the template."""
	line = None
	for frame in traceback.extract_tb(exc.__traceback__):
		if frame.filename == "<template>":
			line = frame.lineno
	return line


def check_template(source: str | None, context: dict, what: str) -> None:
	"""Render `source` against `context` with unknown variables as errors; throw a clear message naming
	`what` (the stage and template) and the line."""
	if not source:
		return
	try:
		_strict_env().from_string(source).render(context)
	except TemplateSyntaxError as e:
		frappe.throw(
			_("{0}: line {1}: {2}").format(what, e.lineno, e.message),
			RelanceTemplateError,
			title=_("Template Error"),
		)
	except UndefinedError as e:
		line = _template_line(e)
		frappe.throw(
			_("{0}: line {1}: unknown variable ({2})").format(what, line or "?", e.message),
			RelanceTemplateError,
			title=_("Template Error"),
		)
	except Exception as e:
		frappe.throw(
			_("{0}: line {1}: {2}").format(what, _template_line(e) or "?", str(e)),
			RelanceTemplateError,
			title=_("Template Error"),
		)
