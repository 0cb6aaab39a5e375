"""Guest requests of the debtor page: a refusal is a plain JSON answer, never a traceback."""

from __future__ import annotations

import functools

import frappe
from frappe import _


def for_guests(fn):
	"""Under a web request, a refusal (bad link, wrong invoice, bounds, the rate limit's 429) is a plain
	JSON answer with its HTTP status and message, and an unexpected error a logged 500 with a plain
	message: no traceback ever reaches the debtor, whatever the site's traceback settings. Called
	from Python (tests, scripts), the method raises as usual."""

	@functools.wraps(fn)
	def wrapper(*args, **kwargs):
		if not getattr(frappe.local, "request", None):
			return fn(*args, **kwargs)
		frappe.local.flags.disable_traceback = True
		try:
			return fn(*args, **kwargs)
		except (frappe.ValidationError, frappe.PermissionError) as e:
			frappe.db.rollback()
			status, message = getattr(e, "http_status_code", 417) or 417, str(e)
		except Exception:
			frappe.db.rollback()
			frappe.log_error(title=_("Debtor page answer failed"), reference_doctype="Sales Invoice")
			frappe.db.commit()  # nosemgrep: keep the error log of a request that is rolled back
			status, message = (
				500,
				_("Your answer could not be recorded. Please try again later or contact us."),
			)
			frappe.local.message_log = []
		frappe.local.response["http_status_code"] = status
		frappe.local.response.pop("type", None)  # a refused PDF answers in JSON
		return {"ok": 0, "message": message}

	return wrapper
