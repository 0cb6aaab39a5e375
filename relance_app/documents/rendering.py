"""Rendering stage templates, and checking them when a policy is saved."""

from __future__ import annotations

import traceback

import frappe
from frappe import _
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError

from relance_app.common.cache import memo
from relance_app.exceptions import RelanceTemplateError


def render(source: str | None, context: dict) -> str:
	"""`frappe.render_template` for a stage template, compiled once per batch: a run renders the
	same few templates for every invoice, and compiling is most of Jinja's cost."""
	if not source:
		return ""
	if "{" not in source:
		return source
	template = memo(("template", source), lambda: _compile(source))
	try:
		return template.render(context)
	except TemplateError:
		frappe.throw(
			title=_("Jinja Template Error"),
			msg=f"<pre>{frappe.utils.escape_html(source)}</pre><pre>{frappe.get_traceback()}</pre>",
		)


def _compile(source: str):
	from frappe.utils.jinja import get_jenv

	if ".__" in source:
		frappe.throw(_("Illegal template"), title=_("Template Error"))
	return get_jenv().from_string(source)


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
