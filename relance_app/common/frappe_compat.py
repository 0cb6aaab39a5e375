"""Every private name and undocumented behaviour of Frappe (and of Premailer, which Frappe uses for
emails) that relance_app relies on, in one place. Nothing else in the app touches a private name of
theirs.

Checked against Frappe 15.72.4 and Premailer 3.10.0. relance_app/tests/test_frappe_compat.py fails,
naming the internal, when one of them changes (a name, a signature, what it does): then this module,
and only this one, is to be adapted.

Why each one, since there is no public way:
- Premailer `_parse_style_rules`, `_process_css_text`, `_css_rules_to_string`: Frappe inlines its
  email stylesheet into every email with Premailer, which parses and serialises the same stylesheet
  again for each email (half of the cost of queueing one). Overriding these three keeps the parsed
  rules between emails; the email is byte for byte Frappe's (test_outbox compares them).
- EmailAccount `is_exists_in_db()`, answered once per batch (the method replaced on the account
  instance the batch uses): QueueBuilder asks it (three queries) for every email it queues; the
  account does not vanish during a batch. (The relance builder keeps the sender, message and account
  in its own attributes, not in QueueBuilder's private ones.)
- `frappe.local.jenv`: Frappe's Jinja environment is built for one language (its globals hold it),
  so a document in another language needs another environment, as `frappe.translate.print_language`
  does; that helper does not restore the language when the block raises, and builds a new
  environment (templates compiled again) for every document.
- `frappe.local.form_dict.pdf_generator`: the only switch of `get_print`'s PDF generator that reaches
  the print attachments an Email Queue row renders when it is sent (`attach_print` passes none);
  `get_print` replaces form_dict by a copy of it, so the switch is put back on the current one.
- `frappe.website.page_renderers.template_page.TemplatePage` and the order of the website path
  resolver's renderers (the `page_renderer` hooks, then StaticPage, WebFormPage, DocumentPage,
  TemplatePage): `frappe.get_print` renders the page "printview" through that chain, and WebFormPage
  and DocumentPage build a werkzeug map of every web form and web-view route to decide, which without
  a request is never matched (8 ms of each print's 40). While relance emails are sent,
  `PrintViewRenderer` answers first with the TemplatePage the chain ends on.
- `frappe.local.cache` under the key "website_route_rules": before any renderer, the resolver passes
  the path through `resolve_from_map`, a werkzeug map of the site's website route rules (hooks and
  web-view DocTypes) built for every print and matched only against a request. Outside a request,
  while relance emails are sent, the rules read as none from the request-local cache (`no_route_map`).
- frappe.installer `_delete_modules`, `_delete_doctypes`, and `frappe.flags.in_uninstall`: undoing
  a failed install the way `bench uninstall-app` removes an app's modules and DocTypes (`remove_app`
  would run the uninstall hooks and ask questions, which a failed install must not), with the flag
  `remove_app` sets so that `delete_doc` leaves the DocTypes' controller files in developer mode.
- `__UserSettings` and the Redis hash `_user_settings`: where Frappe keeps the users' saved list and
  report settings (table, and its cache over it); no API deletes or rewrites another user's ones,
  which an uninstall must (the app's fields and DocTypes are gone).
"""

from __future__ import annotations

from collections import OrderedDict
from contextlib import contextmanager
from contextvars import ContextVar
from types import SimpleNamespace

import frappe
from frappe.website.page_renderers.base_renderer import BaseRenderer
from frappe.website.page_renderers.template_page import TemplatePage
from lxml import etree
from premailer import Premailer

CHECKED_AGAINST = {"frappe": "15.72.4", "premailer": "3.10.0"}

# --- Premailer ------------------------------------------------------------------------------------

MAX_STYLESHEETS = 16
_rules: OrderedDict = OrderedDict()  # (css text, index, options) -> {"rules", "leftover", "text"}


class CachedRulesPremailer(Premailer):
	"""Premailer whose parsed stylesheet rules are kept for the next email (the result of
	`_parse_style_rules` depends on the CSS text, its index and the options only), and the text of
	the rules it cannot inline (media queries: the `<style>` it adds to the head) with them."""

	def _cached(self, css_body, ruleset_index) -> dict:
		key = (css_body, ruleset_index, self.strip_important, self.disable_validation)
		hit = _rules.get(key)
		if hit is None:
			rules, leftover = super()._parse_style_rules(css_body, ruleset_index)
			hit = _rules[key] = {"rules": rules, "leftover": leftover}
			if len(_rules) > MAX_STYLESHEETS:
				_rules.popitem(last=False)
		return hit

	def _parse_style_rules(self, css_body, ruleset_index):
		hit = self._cached(css_body, ruleset_index)
		return list(hit["rules"]), list(hit["leftover"])  # transform() extends and sorts its own list

	def _process_css_text(self, css_text, index, rules, head):
		"""Premailer's, the leftover rules' text serialised once (cssutils: most of what is left)."""
		hit = self._cached(css_text, index)
		if head is None or self.keep_style_tags or not hit["leftover"]:
			return super()._process_css_text(css_text, index, rules, head)
		rules.extend(hit["rules"])
		if "text" not in hit:
			hit["text"] = self._css_rules_to_string(hit["leftover"])
		style = etree.Element("style")
		style.attrib["type"] = "text/css"
		style.text = hit["text"]
		head.append(style)


def clear_stylesheet_cache() -> None:
	_rules.clear()


# --- Email Account ---------------------------------------------------------------------------------


def remember_account_exists(account):
	"""`account.is_exists_in_db()` answered once for the account's life (a batch)."""
	if account is not None:
		exists = account.is_exists_in_db()
		account.is_exists_in_db = lambda: exists
	return account


# --- the language of Frappe's translations and Jinja environment ----------------------------------


@contextmanager
def language_environment(language: str, jenv=None):
	"""`frappe.translate.print_language(language)` that always gives the caller's language and Jinja
	environment back, and starts from `jenv` (one built earlier for that language) when given. Yields
	a namespace whose `jenv`, after the block, is the environment the block used (to keep)."""
	saved = frappe.local.lang, getattr(frappe.local, "jenv", None)
	frappe.local.lang, frappe.local.jenv = language, jenv
	used = SimpleNamespace(jenv=None)
	try:
		yield used
	finally:
		used.jenv = getattr(frappe.local, "jenv", None)
		frappe.local.lang, frappe.local.jenv = saved


# --- the PDF generator of print attachments ------------------------------------------------------


@contextmanager
def pdf_generator(generator: str):
	"""Within the block, `frappe.get_print` (and so `frappe.attach_print`, and the print attachments of
	the Email Queue rows sent) hands its PDFs to the `pdf_generator` hooks with `generator`; the
	current request's value is put back after."""
	missing = object()
	previous = frappe.local.form_dict.get("pdf_generator", missing)
	frappe.local.form_dict.pdf_generator = generator
	try:
		yield
	finally:
		# get_print replaces frappe.local.form_dict by a copy: the current one is put back
		if previous is missing:
			frappe.local.form_dict.pop("pdf_generator", None)
		else:
			frappe.local.form_dict.pdf_generator = previous


# --- the print view's page renderer ----------------------------------------------------------------

PRINT_VIEW = "printview"
PRINT_VIEW_RENDERER = "relance_app.common.frappe_compat.PrintViewRenderer"
_print_view_first: ContextVar[bool] = ContextVar("relance_print_view_first", default=False)


class PrintViewRenderer(BaseRenderer):
	"""`page_renderer` hook: the page "printview" rendered by Frappe's own TemplatePage of
	www/printview (where Frappe's chain of renderers ends for it), found without asking the renderers
	before it, inside `print_view_first()` (relance_app.pdf.engine.relance_emails). Anywhere else
	it declines at once and the chain runs as always; it steps aside too where another app adds page
	renderers, which are asked before Frappe's and may want the print view."""

	page: TemplatePage | None = None

	def can_render(self) -> bool:
		if self.path != PRINT_VIEW or not _print_view_first.get() or other_page_renderers():
			return False
		self.page = TemplatePage(self.path, self.http_status_code)
		return bool(self.page.can_render())

	def render(self):
		return self.page.render()


def other_page_renderers() -> bool:
	return any(path != PRINT_VIEW_RENDERER for path in frappe.get_hooks("page_renderer") or [])


@contextmanager
def print_view_first():
	"""Within the block, `PrintViewRenderer` renders the prints, and outside a request the path
	resolver reads no website route rules (`no_route_map`)."""
	token = _print_view_first.set(True)
	try:
		with no_route_map():
			yield
	finally:
		_print_view_first.reset(token)


ROUTE_RULES_KEY = "website_route_rules"  # frappe.website.path_resolver.get_website_rules' cache key


@contextmanager
def no_route_map():
	"""Outside a web request, within the block, Frappe's website route rules read as none from this
	process's request-local cache (`frappe.local.cache`, which `frappe.cache.get_value` reads before
	Redis). `frappe.get_print` resolves the path "printview" with `resolve_from_map`, which compiles a
	werkzeug map of every rule (a sixth of a print's time) and matches it only against a request
	(`router.evaluate_dynamic_routes`): without one the answer is the path itself, rules or none. In a
	request, nothing changes. What the cache held before is put back."""
	if getattr(frappe.local, "request", None) is not None:
		yield
		return
	key = frappe.cache.make_key(ROUTE_RULES_KEY)
	local = frappe.local.cache
	missing = object()
	before = local.get(key, missing)
	local[key] = []
	try:
		yield
	finally:
		if before is missing:
			local.pop(key, None)
		else:
			local[key] = before


# --- frappe.installer -----------------------------------------------------------------------------


@contextmanager
def uninstalling():
	"""As `remove_app` runs: `frappe.flags.in_uninstall` set (delete_doc then keeps the DocTypes'
	controller files, even in developer mode), put back after."""
	before = frappe.flags.in_uninstall
	frappe.flags.in_uninstall = True
	try:
		yield
	finally:
		frappe.flags.in_uninstall = before


def delete_modules_and_doctypes(modules: list[str]) -> None:
	"""The app's Module Defs and their DocTypes deleted as `bench uninstall-app` deletes them."""
	from frappe.installer import _delete_doctypes, _delete_modules

	with uninstalling():
		_delete_doctypes(_delete_modules(modules, dry_run=False), dry_run=False)


# --- users' saved list and report settings --------------------------------------------------------

USER_SETTINGS_TABLE = "__UserSettings"  # columns user, doctype, data (JSON)


def forget_cached_user_settings() -> None:
	"""Frappe reads a user's settings from its Redis hash before the table: after the table changed."""
	frappe.cache.delete_value("_user_settings")
