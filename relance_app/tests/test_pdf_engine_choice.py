"""The PDF engine is found, not configured: a fresh install on a server with Chromium uses it, one without
uses wkhtmltopdf and says why (Relance Settings and `bench relance doctor`), the accountant's explicit
choice stays, an old site on the former default moves to Automatic, and a browser is replaced before it
grows past its bounds."""

import json
import os
import stat
import tempfile
from contextlib import contextmanager
from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase

from relance_app.install import find_pdf_engine
from relance_app.patches import pdf_engine_automatic
from relance_app.pdf import chromium, delivery, detect, doctor, engine, memory
from relance_app.tests.utils import SiteState

CHROMIUM_HERE = chromium.find_executable(os.environ.get("RELANCE_CHROMIUM"))
SETTINGS = "Relance Settings"


def settings() -> dict:
	return frappe.db.get_singles_dict(SETTINGS)


@contextmanager
def no_chromium_on_path():
	"""A server without any Chromium: nothing on PATH, none at the known absolute paths, none configured."""
	with tempfile.TemporaryDirectory() as empty:
		names = tuple(c for c in chromium.CANDIDATES if not os.path.isabs(c))
		env = {k: v for k, v in os.environ.items() if k != "RELANCE_CHROMIUM"}
		env["PATH"] = empty
		with (
			patch.object(chromium, "CANDIDATES", names),
			patch.dict(os.environ, env, clear=True),
			patch.dict(frappe.local.conf, {"relance_chromium_path": None}),
		):
			yield


def fresh_install_state():
	"""Relance Settings as a fresh install leaves them before the install's last step."""
	frappe.db.set_single_value(
		SETTINGS,
		{
			"pdf_engine": "Automatic",
			"pdf_engine_in_use": None,
			"chromium_path": None,
			"chromium_version": None,
			"pdf_engine_reason": None,
		},
	)


class EngineChoiceCase(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		self.site_state = SiteState(singles=(SETTINGS,))
		fresh_install_state()

	def tearDown(self):
		engine.close_browser()
		self.site_state.restore()


class TestFreshInstall(EngineChoiceCase):
	def test_a_server_with_chromium_uses_it(self):
		if not CHROMIUM_HERE:
			self.skipTest("no Chromium on this machine")
		frappe.cache.delete_value(detect.probe_key(CHROMIUM_HERE))  # probed for real, not remembered
		find_pdf_engine()  # the install's step
		stored = settings()
		self.assertEqual(stored.pdf_engine_in_use, "Chromium")
		self.assertEqual(stored.chromium_path, CHROMIUM_HERE)
		self.assertRegex(stored.chromium_version, r"Chrome/\d+\.")
		self.assertIn("printed a test page", stored.pdf_engine_reason)
		self.assertTrue(stored.pdf_engine_checked_on)
		self.assertEqual(engine.selected_engine(), engine.CHROMIUM)
		self.assertEqual(stored.pdf_engine, "Automatic")

	def test_a_server_without_chromium_uses_wkhtmltopdf_and_says_why(self):
		with no_chromium_on_path():
			find_pdf_engine()
			self.assertEqual(engine.selected_engine(), engine.WKHTMLTOPDF)
			check = doctor.engine_check()
		stored = settings()
		self.assertEqual(stored.pdf_engine_in_use, "wkhtmltopdf")
		self.assertFalse(stored.chromium_path)
		self.assertIn("no Chromium found on this server", stored.pdf_engine_reason)
		self.assertIn("apt-get install chromium-headless-shell", stored.pdf_engine_reason)
		# the settings form shows it (read-only fields of the document)
		form = frappe.get_doc(SETTINGS)
		self.assertEqual(form.pdf_engine_reason, stored.pdf_engine_reason)
		meta = frappe.get_meta(SETTINGS)
		for fieldname in ("pdf_engine_in_use", "chromium_path", "chromium_version", "pdf_engine_reason"):
			self.assertTrue(meta.get_field(fieldname).read_only, fieldname)
		# and so does the doctor, with the fix
		self.assertFalse(check.ok)
		self.assertIn("apt-get install chromium-headless-shell", check.fix)

	def test_a_configured_path_to_nothing_uses_wkhtmltopdf_and_names_it(self):
		with patch.dict(frappe.local.conf, {"relance_chromium_path": "/nonexistent/chromium"}):
			find_pdf_engine()
			self.assertEqual(engine.selected_engine(), engine.WKHTMLTOPDF)
		stored = settings()
		self.assertEqual(stored.pdf_engine_in_use, "wkhtmltopdf")
		self.assertIn("/nonexistent/chromium", stored.pdf_engine_reason)

	def test_a_browser_that_does_not_print_is_not_used(self):
		with tempfile.TemporaryDirectory() as folder:
			fake = os.path.join(folder, "chromium")
			with open(fake, "w") as f:
				f.write("#!/bin/sh\nexit 1\n")
			os.chmod(fake, os.stat(fake).st_mode | stat.S_IXUSR)
			with patch.dict(frappe.local.conf, {"relance_chromium_path": fake}):
				find_pdf_engine()
				frappe.cache.delete_value(detect.probe_key(fake))
		stored = settings()
		self.assertEqual(stored.pdf_engine_in_use, "wkhtmltopdf")
		self.assertEqual(stored.chromium_path, fake)
		self.assertIn("did not print a test page", stored.pdf_engine_reason)


class TestChoiceAndSave(EngineChoiceCase):
	def save(self, **values):
		doc = frappe.get_single(SETTINGS)
		doc.update(values)
		doc.save(ignore_permissions=True)
		return doc

	def test_wkhtmltopdf_chosen_on_purpose_stays_chosen(self):
		doc = self.save(pdf_engine="wkhtmltopdf")
		self.assertEqual(doc.pdf_engine_in_use, "wkhtmltopdf")
		self.assertIn("chosen in Relance Settings", doc.pdf_engine_reason)
		self.assertEqual(engine.selected_engine(), engine.WKHTMLTOPDF)
		if CHROMIUM_HERE:  # detection does not override the choice
			find_pdf_engine()
			self.assertEqual(engine.selected_engine(), engine.WKHTMLTOPDF)

	def test_saving_the_settings_finds_the_engine_again(self):
		with no_chromium_on_path():
			doc = self.save(pdf_engine="Automatic")
		self.assertEqual(doc.pdf_engine_in_use, "wkhtmltopdf")
		if not CHROMIUM_HERE:
			return
		doc = self.save(pdf_engine="Automatic")
		self.assertEqual(doc.pdf_engine_in_use, "Chromium")
		self.assertEqual(settings().pdf_engine_in_use, "Chromium")

	def test_the_last_fallback_is_shown(self):
		reason = f"test fallback {frappe.generate_hash(length=6)}"
		with patch.object(frappe.db, "commit"):  # nothing committed: tearDown restores
			delivery.note_fallbacks("no-such-email-queue", [reason])
		stored = settings()
		self.assertIn(reason, stored.last_pdf_fallback)
		self.assertTrue(stored.last_pdf_fallback_on)
		check = doctor.fallback_check()
		self.assertFalse(check.ok)
		self.assertIn(reason, check.detail)


class TestOldDefaultMoves(EngineChoiceCase):
	def test_the_old_default_becomes_automatic(self):
		frappe.db.set_single_value(SETTINGS, "pdf_engine", "wkhtmltopdf")
		with patch.object(pdf_engine_automatic, "chosen_on_purpose", return_value=False):
			pdf_engine_automatic.execute()
		self.assertEqual(settings().pdf_engine, "Automatic")

	def test_a_saved_choice_of_wkhtmltopdf_stays(self):
		frappe.db.set_single_value(SETTINGS, "pdf_engine", "wkhtmltopdf")
		version = frappe.get_doc(
			{
				"doctype": "Version",
				"ref_doctype": SETTINGS,
				"docname": SETTINGS,
				"data": json.dumps({"changed": [["pdf_engine", "Chromium", "wkhtmltopdf"]]}),
			}
		).insert(ignore_permissions=True)
		self.addCleanup(frappe.db.delete, "Version", {"name": version.name})
		pdf_engine_automatic.execute()
		self.assertEqual(settings().pdf_engine, "wkhtmltopdf")
		frappe.db.delete("Version", {"name": version.name})
		pdf_engine_automatic.execute()
		if not pdf_engine_automatic.chosen_on_purpose("wkhtmltopdf"):  # no earlier real choice
			self.assertEqual(settings().pdf_engine, "Automatic")


class TestBrowserRecycling(EngineChoiceCase):
	def setUp(self):
		if not CHROMIUM_HERE:
			self.skipTest("no Chromium on this machine")
		super().setUp()
		engine.close_browser()

	def render_pids(self, count: int) -> list[int]:
		pids = []
		for i in range(count):
			engine.render(f"<html><body><p>document {i}</p></body></html>")
			pids.append(engine._browser.process.pid)
		return pids

	def test_replaced_after_its_share_of_documents(self):
		frappe.db.set_single_value(
			SETTINGS, {"chromium_recycle_documents": 2, "chromium_recycle_memory_mb": 0}
		)
		pids = self.render_pids(5)
		self.assertEqual(len(set(pids)), 3, pids)  # 2 + 2 + 1
		self.assertEqual(pids[0], pids[1])
		self.assertNotEqual(pids[1], pids[2])

	def test_replaced_past_its_memory_bound(self):
		frappe.db.set_single_value(
			SETTINGS, {"chromium_recycle_documents": 1000, "chromium_recycle_memory_mb": 1}
		)
		before = engine.stats["recycled_for_memory"]
		with patch.object(engine, "MEMORY_CHECK_EVERY", 2):
			pids = self.render_pids(5)
		self.assertEqual(len(set(pids)), 3, pids)  # any browser holds more than 1 MB: every 2 documents
		self.assertEqual(engine.stats["recycled_for_memory"] - before, 2)
		self.assertGreater(engine._browser.pss_bytes(), 1024 * 1024)

	def test_the_defaults_are_documented_bounds(self):
		frappe.db.set_single_value(
			SETTINGS, {"chromium_recycle_documents": 0, "chromium_recycle_memory_mb": 0}
		)
		documents, megabytes = engine.recycle_limits()
		meta = frappe.get_meta(SETTINGS)
		self.assertEqual(documents, int(meta.get_field("chromium_recycle_documents").default))
		self.assertEqual(megabytes, int(meta.get_field("chromium_recycle_memory_mb").default))
		self.assertGreater(documents, 0)
		self.assertGreater(megabytes, 0)

	def test_kept_under_its_bounds(self):
		frappe.db.set_single_value(
			SETTINGS, {"chromium_recycle_documents": 1000, "chromium_recycle_memory_mb": 100_000}
		)
		with patch.object(engine, "MEMORY_CHECK_EVERY", 1):
			pids = self.render_pids(4)
		self.assertEqual(len(set(pids)), 1, pids)

	def test_memory_is_read_over_the_browser_process_tree(self):
		self.render_pids(1)
		tree = memory.process_tree(engine._browser.process.pid)
		self.assertGreater(len(tree), 1, "Chromium runs a browser and renderer processes")
		pss = engine._browser.pss_bytes()
		self.assertGreater(pss, 10 * 1024 * 1024)
		# shared pages counted once: less than the resident sizes summed over the processes
		self.assertLess(pss, engine._browser.rss_bytes())
