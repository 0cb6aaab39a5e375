"""Who may have a collection file: a user who may read the company, the customer and every invoice it
holds (roles and User Permissions: a user restricted to one company is refused another's)."""

from __future__ import annotations

from datetime import date

import frappe
from frappe import _

from relance_app.collection_file.loading import overdue_companies


def check_access(company: str, customer: str, invoices: list[str]) -> None:
	"""Each document read by the file, checked for this user."""
	for doctype, name in (
		("Company", company),
		("Customer", customer),
		*(("Sales Invoice", n) for n in invoices),
	):
		if not frappe.has_permission(doctype, "read", doc=name):
			frappe.throw(
				_("You are not allowed to see {0} {1}.").format(_(doctype), name),
				frappe.PermissionError,
				title=_("Not Permitted"),
			)


def visible_companies(customer: str, as_of: date) -> list[str]:
	"""The companies the user may see with an overdue invoice of this customer (for the dialog)."""
	allowed = set(frappe.get_list("Company", pluck="name", limit_page_length=0))
	return [c for c in overdue_companies(customer, as_of) if c in allowed]
