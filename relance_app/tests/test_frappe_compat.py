"""The private names of Frappe and Premailer relance_app relies on (relance_app.common.frappe_compat),
each checked for what the app needs of it: a failure names the internal that changed, and the adapter
is the one module to fix."""

from __future__ import annotations

import inspect

import frappe
import premailer
from frappe.email.doctype.email_account.email_account import EmailAccount
from frappe.email.doctype.email_queue.email_queue import EmailQueue, QueueBuilder
from frappe.tests.utils import FrappeTestCase

from relance_app.common import frappe_compat


def parameters(fn) -> list[str]:
	return list(inspect.signature(fn).parameters)


class TestFrappeInternals(FrappeTestCase):
	def test_versions_are_the_ones_checked_or_said(self):
		"""Another version may well work: the other checks below tell; this one says which ran."""
		print(
			f"\nfrappe_compat checked against {frappe_compat.CHECKED_AGAINST}; "
			f"running frappe {frappe.__version__}, premailer {premailer.__version__}"
		)

	def test_premailer_private_methods(self):
		for name, expected in (
			("_parse_style_rules", ["self", "css_body", "ruleset_index"]),
			("_process_css_text", ["self", "css_text", "index", "rules", "head"]),
			("_css_rules_to_string", ["self", "rules"]),
		):
			method = getattr(premailer.Premailer, name, None)
			self.assertIsNotNone(
				method, f"Premailer.{name} is gone: adapt frappe_compat.CachedRulesPremailer"
			)
			self.assertEqual(
				parameters(method),
				expected,
				f"Premailer.{name} changed: adapt frappe_compat.CachedRulesPremailer",
			)
		rules, leftover = premailer.Premailer(html="<p>x</p>")._parse_style_rules(
			"p { color: red } @media (max-width: 10px) { p { color: blue } }", 0
		)
		self.assertTrue(rules and leftover, "Premailer._parse_style_rules returns (rules, leftover) no more")

	def test_queue_builder_as_the_relance_builder_extends_it(self):
		"""RelanceQueueBuilder takes QueueBuilder's keyword arguments, keeps sender and message in its
		own attributes, and answers get_outgoing_email_account and email_html_content itself: Frappe's
		builder must read its account through that method only."""
		for name in ("sender", "message", "reference_doctype", "header", "with_container"):
			self.assertIn(name, parameters(QueueBuilder.__init__), f"QueueBuilder.__init__({name}=)")
		for name in (
			"get_outgoing_email_account",
			"email_html_content",
			"unsubscribe_message",
			"as_dict",
			"final_recipients",
			"final_cc",
		):
			self.assertTrue(callable(getattr(QueueBuilder, name, None)), f"QueueBuilder.{name}")
		# RelanceQueueBuilder.process inserts the row QueueBuilder.process would
		self.assertIn("include_recipients", parameters(QueueBuilder.as_dict), "QueueBuilder.as_dict")
		self.assertTrue(callable(getattr(EmailQueue, "set_recipients", None)), "EmailQueue.set_recipients")
		outside = [
			line
			for name, member in inspect.getmembers(QueueBuilder, inspect.isfunction)
			if name not in ("__init__", "get_outgoing_email_account")
			for line in inspect.getsource(member).splitlines()
			if "self._email_account" in line
		]
		self.assertEqual(
			outside,
			[],
			"QueueBuilder reads self._email_account outside get_outgoing_email_account: "
			"RelanceQueueBuilder's account (relance_account) would be bypassed",
		)
		self.assertIn(
			"self._message",
			inspect.getsource(QueueBuilder.email_html_content),
			"QueueBuilder.email_html_content no longer renders the message it was given: "
			"compare RelanceQueueBuilder.email_html_content",
		)

	def test_queue_builder_asks_the_account_whether_it_exists(self):
		source = inspect.getsource(QueueBuilder.as_dict)
		self.assertIn(
			"is_exists_in_db()",
			source,
			"QueueBuilder.as_dict no longer asks EmailAccount.is_exists_in_db(): "
			"frappe_compat.remember_account_exists is useless or wrong",
		)
		self.assertTrue(
			callable(getattr(EmailAccount, "is_exists_in_db", None)), "EmailAccount.is_exists_in_db"
		)

	def test_installer_private_functions(self):
		from frappe import installer

		for name in ("_delete_modules", "_delete_doctypes"):
			fn = getattr(installer, name, None)
			self.assertIsNotNone(fn, f"frappe.installer.{name} is gone: adapt delete_modules_and_doctypes")
		self.assertEqual(parameters(installer._delete_modules), ["modules", "dry_run"], "_delete_modules")
		self.assertEqual(parameters(installer._delete_doctypes), ["doctypes", "dry_run"], "_delete_doctypes")
		# dry run: what would be deleted of a module that has none, nothing deleted
		self.assertEqual(installer._delete_modules([], dry_run=True), [])

	def test_in_uninstall_keeps_controller_files(self):
		from frappe import installer
		from frappe.model import delete_doc

		self.assertIn(
			"frappe.flags.in_uninstall = True",
			inspect.getsource(installer.remove_app),
			"remove_app no longer sets frappe.flags.in_uninstall: adapt frappe_compat.uninstalling",
		)
		self.assertIn(
			"frappe.flags.in_uninstall",
			inspect.getsource(delete_doc.delete_doc),
			"delete_doc no longer reads frappe.flags.in_uninstall before deleting a DocType's controller "
			"files: adapt frappe_compat.uninstalling",
		)
		before = frappe.flags.in_uninstall
		with self.assertRaises(ZeroDivisionError), frappe_compat.uninstalling():
			self.assertTrue(frappe.flags.in_uninstall)
			1 / 0
		self.assertEqual(frappe.flags.in_uninstall, before, "frappe.flags.in_uninstall put back")

	def test_pdf_generator_switch_reaches_the_hooks(self):
		"""frappe.get_print hands its HTML to the pdf_generator hooks with form_dict.pdf_generator."""
		from unittest.mock import patch

		from frappe.utils import print_utils

		from relance_app.pdf import engine

		source = inspect.getsource(print_utils.get_print)
		for needle in (
			'"pdf_generator" not in local.form_dict',
			"pdf_generator=local.form_dict.pdf_generator",
		):
			self.assertIn(
				needle, source, f"get_print no longer reads {needle}: adapt frappe_compat.pdf_generator"
			)
		seen = []

		def hook(**kwargs):
			seen.append(kwargs["pdf_generator"])
			return b"%PDF-relance-compat"

		before = dict(frappe.local.form_dict)
		with patch.object(engine, "pdf_generator", hook), frappe_compat.pdf_generator("relance_compat_test"):
			pdf = frappe.get_print("User", "Administrator", as_pdf=True)
		self.assertEqual(seen, ["relance_compat_test"], "the pdf_generator hook is called with the switch")
		self.assertEqual(pdf, b"%PDF-relance-compat", "get_print returns the hook's PDF")
		self.assertEqual(dict(frappe.local.form_dict), before, "form_dict.pdf_generator put back")

	def test_the_print_view_renderer_renders_what_frappe_would(self):
		"""Frappe's chain of renderers ends on its TemplatePage of www/printview for a print; inside
		print_view_first() PrintViewRenderer is asked first and renders that same page, the same
		HTML; outside, or beside another app's page renderer, it declines."""
		from unittest.mock import patch

		from frappe.website.page_renderers.template_page import TemplatePage
		from frappe.website.path_resolver import PathResolver

		_endpoint, renderer = PathResolver(frappe_compat.PRINT_VIEW).resolve()
		self.assertIs(type(renderer), TemplatePage, "Frappe renders printview by another renderer now")
		self.assertTrue(renderer.template_path.endswith("www/printview.html"), renderer.template_path)
		self.assertIn(frappe_compat.PRINT_VIEW_RENDERER, frappe.get_hooks("page_renderer"))

		html = frappe.get_print("User", "Administrator")
		with frappe_compat.print_view_first():
			_endpoint, ours = PathResolver(frappe_compat.PRINT_VIEW).resolve()
			self.assertIsInstance(ours, frappe_compat.PrintViewRenderer, "custom renderers come first")
			self.assertEqual(ours.page.template_path, renderer.template_path)
			self.assertEqual(frappe.get_print("User", "Administrator"), html, "the same print")
			_endpoint, other = PathResolver("login").resolve()
			self.assertNotIsInstance(other, frappe_compat.PrintViewRenderer, "only the print view")

			get_hooks = frappe.get_hooks

			def with_another_renderer(hook=None, *args, **kwargs):
				found = get_hooks(hook, *args, **kwargs)
				return [*found, "another_app.renderers.Page"] if hook == "page_renderer" else found

			with patch.object(frappe, "get_hooks", with_another_renderer):
				self.assertFalse(frappe_compat.PrintViewRenderer(frappe_compat.PRINT_VIEW).can_render())
		self.assertFalse(frappe_compat.PrintViewRenderer(frappe_compat.PRINT_VIEW).can_render())

	def test_no_route_map_outside_a_request(self):
		"""Frappe reads the website route rules through frappe.cache.get_value under one key and matches
		their map against the request only: without one, the answer is the path whatever the rules.
		Within no_route_map() the rules read as none (outside a request only), and come back after."""
		from unittest.mock import patch

		from frappe.website.path_resolver import get_website_rules, resolve_from_map
		from frappe.website.router import evaluate_dynamic_routes
		from werkzeug.routing import Rule

		self.assertIsNone(getattr(frappe.local, "request", None))
		rule = Rule("/printview", endpoint="elsewhere")
		self.assertIsNone(evaluate_dynamic_routes([rule], "printview"), "matched without a request")
		rules = get_website_rules()
		self.assertTrue(rules, "the site has website route rules")
		key = frappe.cache.make_key(frappe_compat.ROUTE_RULES_KEY)
		held = key in frappe.local.cache
		with frappe_compat.no_route_map():
			self.assertEqual(get_website_rules(), [], "Frappe reads its rules elsewhere now")
			self.assertEqual(resolve_from_map(frappe_compat.PRINT_VIEW), frappe_compat.PRINT_VIEW)
		self.assertEqual(get_website_rules(), rules)
		self.assertEqual(key in frappe.local.cache, held, "the request-local cache as it was")
		with patch.object(frappe.local, "request", frappe._dict(environ={}), create=True):
			with frappe_compat.no_route_map():
				self.assertEqual(get_website_rules(), rules, "a request keeps the rules")

	def test_user_settings_table_and_cache(self):
		from frappe.model.utils import user_settings

		source = inspect.getsource(user_settings)
		for needle in (frappe_compat.USER_SETTINGS_TABLE, '"_user_settings"'):
			self.assertIn(needle, source, f"Frappe's user settings no longer use {needle}")
		us = frappe.qb.DocType(frappe_compat.USER_SETTINGS_TABLE)
		frappe.qb.from_(us).select(us.user, us.doctype, us.data).limit(1).run()  # the columns the app reads
		user_settings.update_user_settings("ToDo", {"relance_compat_test": 1})
		self.assertTrue(frappe.cache.hget("_user_settings", f"ToDo::{frappe.session.user}"))
		frappe_compat.forget_cached_user_settings()
		self.assertFalse(
			frappe.cache.hget("_user_settings", f"ToDo::{frappe.session.user}"),
			"forget_cached_user_settings no longer empties Frappe's cache of user settings",
		)

	def test_the_jinja_environment_is_built_for_one_language(self):
		"""Frappe's print_language drops the environment for another language: its globals hold the
		language. Should that stop, language_environment's swap is useless (not wrong)."""
		from frappe.translate import print_language

		self.assertIn("frappe.local.jenv = None", inspect.getsource(print_language), "print_language")
		before = frappe.local.lang
		with self.assertRaises(ZeroDivisionError), frappe_compat.language_environment("de"):
			self.assertEqual(frappe.local.lang, "de")
			1 / 0
		self.assertEqual(frappe.local.lang, before, "the language comes back even when the block raises")
