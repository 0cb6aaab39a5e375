"""Install and uninstall hooks."""

import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields as _create_custom_fields

from relance_app.setup.custom_fields import CUSTOM_FIELDS
from relance_app.setup.defaults import create_default_policies, create_email_templates


def after_install():
	create_custom_fields()
	create_email_templates()
	create_default_policies()


def create_custom_fields():
	_create_custom_fields(CUSTOM_FIELDS, update=True)


def delete_custom_fields():
	for doctype, fields in CUSTOM_FIELDS.items():
		for field in fields:
			name = frappe.db.get_value("Custom Field", {"dt": doctype, "fieldname": field["fieldname"]})
			if name:
				frappe.delete_doc("Custom Field", name, ignore_permissions=True, force=True)
		frappe.clear_cache(doctype=doctype)


def before_uninstall():
	delete_custom_fields()
