"""Sales Invoice doc_events: the relance hold fields are checked the moment they are entered."""

import frappe
from frappe import _
from frappe.utils import getdate, today

from relance_app.constants import PAYMENT_PROMISE
from relance_app.exceptions import InvalidHoldError


def validate_relance_fields(doc, method=None):
	if not doc.get("relance_hold"):
		doc.relance_hold_reason = None
		doc.relance_hold_until = None
		return
	if not doc.get("relance_hold_reason"):
		frappe.throw(
			_("Give the reason for putting the relance of {0} on hold.").format(doc.name),
			InvalidHoldError,
			title=_("Hold Reason Missing"),
		)
	if doc.relance_hold_reason == PAYMENT_PROMISE and not doc.get("relance_hold_until"):
		frappe.throw(
			_("A payment promise needs the promised date."),
			InvalidHoldError,
			title=_("Promised Date Missing"),
		)
	until = doc.get("relance_hold_until")
	if until and getdate(until) < getdate(today()) and doc.has_value_changed("relance_hold_until"):
		frappe.throw(
			_("The hold cannot end in the past ({0}).").format(frappe.format(until, "Date")),
			InvalidHoldError,
			title=_("Invalid Hold Date"),
		)
