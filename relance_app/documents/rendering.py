"""Rendering stage templates, and checking them when a policy is saved."""

from __future__ import annotations

import traceback

import frappe
from frappe import _
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from markdownify import MarkdownConverter

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


class _TextPart(MarkdownConverter):
	"""Frappe's text part of an email (frappe.core.utils.html2text: markdownify, ATX headings, wrapped)
	with every web link on a line of its own, after its label: never `[label](url)` nor `<url>`,
	whose closing bracket some mail clients take into the link, and never glued to a comma or a stop."""

	def convert_a(self, el, text, convert_as_inline):
		prefix, suffix, text = _chomp(text)
		href = (el.get("href") or "").strip()
		if not href.lower().startswith(("http://", "https://")):
			return prefix + text + suffix
		label = text.replace("\\_", "_").strip()
		shown = "" if label in ("", href) else text
		return f"{prefix}{shown}\n{href}\n{suffix.lstrip()}"

	@staticmethod
	def _layout(el) -> bool:
		"""In a layout table (border="0": the QR code beside its details), not a table of figures."""
		table = el if el.name == "table" else el.find_parent("table")
		return table is not None and table.get("border") == "0"

	def convert_table(self, el, text, convert_as_inline):
		if self._layout(el):
			return "\n\n" + text.strip() + "\n\n"
		return super().convert_table(el, text, convert_as_inline)

	def convert_tr(self, el, text, convert_as_inline):
		return text if self._layout(el) else super().convert_tr(el, text, convert_as_inline)

	def convert_td(self, el, text, convert_as_inline):
		if self._layout(el):
			return text.strip() + "\n\n" if text.strip() else ""
		return super().convert_td(el, text, convert_as_inline)

	def convert_br(self, el, text, convert_as_inline):
		return "\n" if self._layout(el) else super().convert_br(el, text, convert_as_inline)

	def convert_img(self, el, text, convert_as_inline):
		"""An image in the text part is its alternative text: never the bytes of a data URI (the SEPA
		QR code; its details are written beside it)."""
		src = (el.get("src") or "").strip()
		if src.startswith("data:") or el.get("embed"):
			return (el.get("alt") or "").strip()
		return super().convert_img(el, text, convert_as_inline)


def _chomp(text: str) -> tuple[str, str, str]:
	stripped = text.strip()
	prefix = " " if text[:1].isspace() else ""
	suffix = " " if text[-1:].isspace() else ""
	return prefix, suffix, stripped


def plain_text(html: str | None) -> str:
	"""The text part of an email of `html`: as Frappe makes it, links standing alone."""
	if not html:
		return ""
	return _TextPart(heading_style="ATX", wrap=True).convert(html)


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
