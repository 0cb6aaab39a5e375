"""/relance/<token>: the debtor page (relance_app.debtor_page.page). Never cached, never in the sitemap; any
problem with the token, or any unexpected error, shows the same "no longer valid" page."""

import frappe
from frappe import _

from relance_app.debtor_page.page import invalid_context, page_context

no_cache = 1
sitemap = 0


def get_context(context):
	context.no_cache = 1
	context.no_breadcrumbs = 1
	# the page needs none of the website's scripts (its own is inline): no desk paths in a boot
	context.web_include_js = []
	# Frappe echoes the requested path (with the token) into the page: every link gets the same page
	frappe.local.path = "relance"
	try:
		data = page_context(frappe.form_dict.get("token"))
	except Exception:
		frappe.log_error(title=_("Debtor page failed"), reference_doctype="Customer")
		frappe.db.commit()  # nosemgrep: a GET is not committed; keep the error log
		data = invalid_context()
	context.update(data)
	if isinstance(context.get("boot"), dict) and data.get("lang"):
		context.boot["lang"] = data["lang"]
	return context
