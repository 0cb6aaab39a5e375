"""Relances per background job: 200 (was 50). Each job starts a fresh worker process, about half a
second, so the old default spent half a minute of a 3,000-relance day starting processes. A site
still on the old default (50, the value every install got) moves to the new one; any other value
was chosen by someone and stays."""

import frappe

from relance_app.common.settings import field_default

OLD_DEFAULT = 50


def execute():
	if frappe.db.get_single_value("Relance Settings", "chunk_size") == OLD_DEFAULT:
		frappe.db.set_single_value("Relance Settings", "chunk_size", field_default("chunk_size"))
