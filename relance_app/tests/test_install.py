"""Install and uninstall helpers, on the shared test site where the app stays installed: the module
map refresh, the failure path (undo mocked), what the uninstall counts and would remove, edited
templates, saved list settings. The real install, uninstall and upgrade run on a site of their own in
scripts/lifecycle_test.sh."""

from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase

from relance_app import install
from relance_app.exceptions import RelanceInstallError
from relance_app.setup import uninstall
from relance_app.setup.custom_fields import CUSTOM_FIELDS


class TestInstall(FrappeTestCase):
	def test_module_map_refreshed_from_a_stale_cache(self):
		# what a process reads from a cache filled before the app joined the bench
		frappe.local.app_modules = {a: m for a, m in frappe.local.app_modules.items() if a != "relance_app"}
		frappe.local.module_app = {}
		install.refresh_module_map()
		self.assertIn("relance", frappe.local.app_modules["relance_app"])
		self.assertEqual(frappe.local.module_app["relance"], "relance_app")
		self.assertIn("relance_app", frappe.cache.get_value("app_modules"))

	def test_doctypes_present_nothing_to_sync(self):
		self.assertEqual(install.missing_doctypes(), [])
		install.ensure_doctypes()

	def test_a_failed_step_is_undone_and_names_the_retry_command(self):
		def broken():
			raise RuntimeError("disk full")

		steps = (("Custom fields", lambda: None), ("Default dunning policies", broken))
		with (
			patch.object(install, "install_steps", return_value=steps),
			patch.object(install, "undo_install") as undo,
			patch.object(frappe.db, "rollback"),
		):
			with self.assertRaises(RelanceInstallError) as ctx:
				install.after_install()
		undo.assert_called_once()
		message = str(ctx.exception)
		self.assertIn("Default dunning policies", message)
		self.assertIn("disk full", message)
		self.assertIn(f"bench --site {frappe.local.site} install-app relance_app", message)

	def test_failed_undo_says_how_to_clean_up(self):
		message = install.failure_message("Email Templates", ValueError("x"), undone=False, site="s.test")
		self.assertIn("bench --site s.test uninstall-app relance_app --yes", message)
		self.assertIn("bench --site s.test install-app relance_app", message)

	def test_an_installed_site_is_not_half_installed(self):
		self.assertFalse(install.never_set_up())
		self.assertEqual(install.missing_custom_fields(), [])
		before = uninstall.footprint()
		install.after_migrate()  # nothing to complete
		self.assertEqual(uninstall.footprint(), before)

	def test_settings_initialised_once(self):
		values = frappe.db.get_singles_dict("Relance Settings")
		self.assertIsNotNone(values.get("enabled"))
		self.assertEqual(install.init_settings(), [])
		self.assertEqual(frappe.db.get_singles_dict("Relance Settings"), values)

	def test_no_half_install_to_clean_on_an_installed_site(self):
		self.assertEqual(uninstall.clean_half_install(), [])
		self.assertTrue(frappe.db.exists("Module Def", "Relance"))


class TestUninstall(FrappeTestCase):
	def test_footprint_of_the_installed_app(self):
		counts = uninstall.footprint()
		self.assertEqual(counts["Installed"], 1)
		self.assertEqual(counts["Module Def"], 1)
		self.assertEqual(counts["DocType"], len(uninstall.app_doctypes()))
		for dt, fields in CUSTOM_FIELDS.items():
			self.assertEqual(counts[f"Custom Field ({dt})"], len(fields))
			self.assertGreater(counts[f"Columns ({dt})"], 0)
		self.assertEqual(counts["Scheduled Job Type"], len(uninstall.scheduler_methods()))
		for doctype, names in uninstall.module_records().items():
			self.assertEqual(counts[doctype], len(names), doctype)
		self.assertGreater(counts["Singles"], 0)

	def test_what_the_app_ships(self):
		self.assertIn("Relance Log", uninstall.app_doctypes())
		self.assertEqual(uninstall.single_doctypes(), ["Relance Settings"])
		self.assertIn("relance_app.run.daily.scheduled_run", uninstall.scheduler_methods())
		self.assertEqual(uninstall.naming_series_patterns(), ["RCH-____-", "RL-____-"])
		from relance_app.setup.defaults import load_manifest

		self.assertEqual(set(uninstall.shipped_templates()), {e["name"] for e in load_manifest()})
		self.assertIn("Relance - Relance 1 (fr)", uninstall.shipped_templates())

	def test_dry_run_changes_nothing(self):
		before = uninstall.footprint()
		uninstall.after_uninstall()  # the app is installed: a dry run
		self.assertEqual(uninstall.footprint(), before)

	def test_edited_templates_stay(self):
		name = next(iter(uninstall.shipped_templates()))
		unedited, edited = uninstall.classify_templates()
		self.assertIn(name, unedited + edited)
		frappe.db.savepoint("relance_template")
		try:
			doc = frappe.get_doc("Email Template", name)
			doc.response_html = "<p>Notre texte</p>"
			doc.save()
			doc.db_set("modified", frappe.utils.add_to_date(doc.creation, minutes=5), update_modified=False)
			unedited, edited = uninstall.classify_templates()
			self.assertIn(name, edited)
			self.assertNotIn(name, unedited)
		finally:
			frappe.db.rollback(save_point="relance_template")

	def test_template_is_edited(self):
		shipped = {"subject": "S", "response_html": "<p>B</p>"}
		row = {"subject": "S", "use_html": 1, "response_html": "<p>B</p>\n", "creation": 1, "modified": 2}
		self.assertFalse(uninstall.template_is_edited(row, shipped))  # saved, same text
		self.assertTrue(uninstall.template_is_edited({**row, "response_html": "<p>C</p>"}, shipped))
		# an earlier release's text, never saved since: still the app's
		self.assertFalse(uninstall.template_is_edited({**row, "subject": "Old", "modified": 1}, shipped))

	def test_saved_list_settings_lose_the_app_fields(self):
		settings = {
			"List": {
				"filters": [
					["Sales Invoice", "relance_status", "=", "Sent", False],
					["Sales Invoice", "status", "=", "Overdue", False],
				],
				"order_by": "`tabSales Invoice`.`relance_next_date` desc",
				"fields": ["name", "relance_hold"],
			},
			"Report": {
				"fields": [["name", "Sales Invoice"], ["relance_status", "Sales Invoice"]],
				"column_widths": {"relance_status": 120, "name": 100},
			},
			"last_view": "List",
		}
		fields = {"relance_status", "relance_next_date", "relance_hold"}
		self.assertEqual(
			uninstall.scrub_settings(settings, fields),
			{
				"List": {"filters": [["Sales Invoice", "status", "=", "Overdue", False]], "fields": ["name"]},
				"Report": {"fields": [["name", "Sales Invoice"]], "column_widths": {"name": 100}},
				"last_view": "List",
			},
		)


class TestChunkSizePatch(FrappeTestCase):
	"""Sites on the old default (50 relances per job) move to the new one; a chosen value stays."""

	def tearDown(self):
		frappe.db.rollback()

	def test_old_default_moves_a_chosen_value_stays(self):
		from relance_app.common.settings import field_default
		from relance_app.patches import chunk_size_default as patch

		for before, after in ((50, 200), (120, 120), (10, 10)):
			with self.subTest(before=before):
				frappe.db.set_single_value("Relance Settings", "chunk_size", before)
				patch.execute()
				self.assertEqual(frappe.db.get_single_value("Relance Settings", "chunk_size"), after)
		self.assertEqual(field_default("chunk_size"), 200)
		self.assertEqual(frappe.get_meta("Relance Settings").get_field("chunk_size").default, "200")
