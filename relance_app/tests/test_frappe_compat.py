"""The private names of Frappe and Premailer relance_app relies on (relance_app.common.frappe_compat),
each checked for what the app needs of it: a failure names the internal that changed, and the adapter
is the one module to fix."""

from __future__ import annotations

import inspect

import frappe
import premailer
from frappe.email.doctype.email_account.email_account import EmailAccount
from frappe.email.doctype.email_queue.email_queue import QueueBuilder
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

	def test_queue_builder_private_attributes(self):
		builder = QueueBuilder(recipients=["a@example.com"], sender="s@example.com", message="<p>m</p>")
		self.assertEqual(frappe_compat.builder_sender(builder), "s@example.com", "QueueBuilder._sender")
		self.assertEqual(frappe_compat.builder_message(builder), "<p>m</p>", "QueueBuilder._message")
		self.assertIsNone(frappe_compat.builder_email_account(builder), "QueueBuilder._email_account")
		marker = object()
		frappe_compat.set_builder_email_account(builder, marker)
		self.assertIs(
			builder.get_outgoing_email_account(),
			marker,
			"QueueBuilder.get_outgoing_email_account no longer returns the account it holds in _email_account",
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
