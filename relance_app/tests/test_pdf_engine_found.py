"""The PDF engine found rather than configured (relance_app.pdf.detect): Relance Settings on Automatic
use Chromium where this server has one that prints, wkhtmltopdf with the reason where it has none or
where the one it has cannot print; a choice made on purpose stays; install, migrate and the upgrade patch
find it; a delivery's fallback is written in the settings. Each test rolls back, or puts back what a
commit of the code under test kept."""

import os
import stat
import tempfile
from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase

from relance_app.install import find_pdf_engine
from relance_app.patches import pdf_engine_automatic
from relance_app.pdf import delivery, detect, engine
from relance_app.pdf.chromium import find_executable
from relance_app.run.doctor import pdf_engine_check

HAS_CHROMIUM = bool(find_executable(os.environ.get("RELANCE_CHROMIUM")))
SETTINGS = "Relance Settings"


def stored(field):
	return frappe.db.get_single_value(SETTINGS, field)


class TestPdfEngineFound(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		detect._probes.clear()  # each test finds the engine itself
		self.addCleanup(detect._probes.clear)
		self.addCleanup(frappe.db.rollback)
		conf = patch.dict(frappe.local.conf, {"relance_chromium_path": None})
		conf.start()
		self.addCleanup(conf.stop)
		self.no_env = patch.dict(
			os.environ, {k: v for k, v in os.environ.items() if k != "RELANCE_CHROMIUM"}, clear=True
		)
		self.no_env.start()
		self.addCleanup(self.no_env.stop)

	def save(self, choice):
		settings = frappe.get_single(SETTINGS)
		settings.pdf_engine = choice
		settings.save(ignore_permissions=True)
		return settings

	def test_automatic_is_the_default(self):
		self.assertEqual(frappe.get_meta(SETTINGS).get_field("pdf_engine").default, detect.AUTOMATIC)

	def test_automatic_uses_the_chromium_of_this_server(self):
		if not HAS_CHROMIUM:
			self.skipTest("no Chromium on this machine")
		self.save(detect.AUTOMATIC)
		self.assertEqual(stored("pdf_engine_in_use"), detect.CHROMIUM)
		self.assertEqual(stored("chromium_executable"), find_executable())
		self.assertIn("Chromium", stored("chromium_version"))
		self.assertTrue(stored("pdf_engine_checked_on"))
		self.assertEqual(engine.selected_engine(), engine.CHROMIUM)

	def test_without_chromium_wkhtmltopdf_and_why(self):
		with patch("relance_app.pdf.chromium.find_executable", return_value=None):
			self.save(detect.AUTOMATIC)
		self.assertEqual(stored("pdf_engine_in_use"), detect.WKHTMLTOPDF)
		self.assertIn("chromium-headless-shell", stored("pdf_engine_reason"))
		self.assertFalse(stored("chromium_executable"))
		self.assertEqual(engine.selected_engine(), engine.WKHTMLTOPDF)

	def test_a_chromium_that_cannot_print_is_not_chosen(self):
		with tempfile.NamedTemporaryFile("w", suffix="-chromium", delete=False) as f:
			f.write("#!/bin/sh\necho 'Chromium 1.0 (broken)'\nexit 1\n")
		self.addCleanup(os.unlink, f.name)
		os.chmod(f.name, os.stat(f.name).st_mode | stat.S_IEXEC)
		with patch.dict(frappe.local.conf, {"relance_chromium_path": f.name}):
			self.save(detect.AUTOMATIC)
		self.assertEqual(stored("pdf_engine_in_use"), detect.WKHTMLTOPDF)
		self.assertIn(f.name, stored("pdf_engine_reason"))
		self.assertEqual(stored("chromium_version"), "Chromium 1.0 (broken)")
		self.assertEqual(engine.selected_engine(), engine.WKHTMLTOPDF)

	def test_wkhtmltopdf_chosen_on_purpose_stays_without_looking(self):
		with patch.object(detect, "probe", side_effect=AssertionError("no probe for a choice")):
			self.save(detect.WKHTMLTOPDF)
		self.assertEqual(stored("pdf_engine_in_use"), detect.WKHTMLTOPDF)
		self.assertEqual(engine.selected_engine(), engine.WKHTMLTOPDF)

	def test_install_and_migrate_find_it(self):
		frappe.db.set_single_value(SETTINGS, {"pdf_engine": detect.AUTOMATIC, "pdf_engine_in_use": ""})
		with patch("relance_app.pdf.chromium.find_executable", return_value=None):
			find_pdf_engine()  # the step of after_install and of after_migrate
		self.assertEqual(stored("pdf_engine_in_use"), detect.WKHTMLTOPDF)
		if HAS_CHROMIUM:
			detect._probes.clear()
			find_pdf_engine()
			self.assertEqual(stored("pdf_engine_in_use"), detect.CHROMIUM)

	def test_upgrade_moves_the_old_default_but_not_a_choice(self):
		frappe.db.set_single_value(SETTINGS, "pdf_engine", detect.WKHTMLTOPDF)
		with patch.object(pdf_engine_automatic, "chosen_by_someone", return_value=False):
			pdf_engine_automatic.execute()
		self.assertEqual(stored("pdf_engine"), detect.AUTOMATIC, "the old default nobody chose")
		frappe.db.set_single_value(SETTINGS, "pdf_engine", detect.WKHTMLTOPDF)
		with patch.dict(frappe.flags, {"in_test": False}):  # Frappe writes no Version in tests
			settings = frappe.get_single(SETTINGS)
			settings.pdf_engine = detect.AUTOMATIC
			settings.save(ignore_permissions=True)
			settings.pdf_engine = detect.WKHTMLTOPDF
			settings.save(ignore_permissions=True)  # a Version records the accountant's choice
		self.assertTrue(pdf_engine_automatic.chosen_by_someone())
		pdf_engine_automatic.execute()
		self.assertEqual(stored("pdf_engine"), detect.WKHTMLTOPDF, "a choice stays")

	def test_a_delivery_fallback_is_written_in_the_settings(self):
		before = stored("pdf_last_fallback")
		self.addCleanup(frappe.db.commit)  # note_fallbacks commits: the site's value is put back
		self.addCleanup(
			frappe.db.set_single_value, SETTINGS, "pdf_last_fallback", before, update_modified=False
		)
		delivery.note_fallbacks("no-such-email-queue", ["Chromium did not start in 20s"])
		self.assertRegex(
			stored("pdf_last_fallback"), r"^\d{4}-\d\d-\d\d \d\d:\d\d: Chromium did not start in 20s$"
		)

	def test_doctor_says_why_and_the_fix(self):
		with patch("relance_app.pdf.chromium.find_executable", return_value=None):
			frappe.db.set_single_value(SETTINGS, "pdf_engine", detect.AUTOMATIC)
			check = pdf_engine_check()
		self.assertFalse(check.ok)
		self.assertIn("wkhtmltopdf", check.detail)
		self.assertIn("chromium-headless-shell", check.fix)
