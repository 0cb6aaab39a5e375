"""The site files the PDF engine reads for the browser (/assets, /files), kept per site and read again
when they change on disk: a worker serves every site of the bench."""

import os

import frappe
from frappe.tests.utils import FrappeTestCase

from relance_app.pdf import engine


class TestSiteFiles(FrappeTestCase):
	"""A worker serves every site of the bench: the files the PDF engine read are kept per site."""

	def test_a_file_read_for_one_site_is_never_served_to_another(self):
		path = "/assets/frappe/images/frappe-framework-logo.svg"
		url = f"http://{frappe.local.site}{path}"
		engine._files.clear()
		engine._files[("another.site", path)] = (200, "image/svg+xml", b"another site's logo")
		status, _type, body = engine.site_file(url)
		self.assertEqual(status, 200)
		self.assertNotEqual(body, b"another site's logo")
		self.assertIn((frappe.local.site, path), engine._files)
		engine._files.clear()

	def test_a_file_replaced_under_the_same_path_is_read_again(self):
		"""A site's /files/logo.png deleted and uploaded again: the next PDF shows the new one."""
		name = f"relance-site-file-{frappe.generate_hash(length=8)}.txt"
		full = frappe.get_site_path("public", "files", name)
		self.addCleanup(lambda: os.path.exists(full) and os.remove(full))
		url = f"http://{frappe.local.site}/files/{name}"
		with open(full, "w") as f:
			f.write("first")
		self.assertEqual(engine.site_file(url)[2], b"first")
		with open(full, "w") as f:
			f.write("second, longer")
		self.assertEqual(engine.site_file(url)[2], b"second, longer")
		os.remove(full)
		self.assertIsNone(engine.site_file(url), "a file gone is asked of the site again")

	def test_the_browser_is_replaced_when_a_file_it_keeps_changed(self):
		"""The browser keeps the site's files in its memory (asked once): one changed on disk, the
		next document gets a fresh browser, which asks for it again."""
		name = f"relance-site-file-{frappe.generate_hash(length=8)}.css"
		full = frappe.get_site_path("public", "files", name)
		self.addCleanup(lambda: os.path.exists(full) and os.remove(full))
		with open(full, "w") as f:
			f.write("p { color: red }")
		engine.files_changed()  # what earlier tests left
		engine.site_file(f"http://{frappe.local.site}/files/{name}")
		self.assertFalse(engine.files_changed())
		with open(full, "w") as f:
			f.write("p { color: blue; }")
		self.assertTrue(engine.files_changed(), "browser() then starts a fresh browser")
		self.assertNotIn((frappe.local.site, f"/files/{name}"), engine._files)
		self.assertFalse(engine.files_changed())
