"""Holds: the one way an invoice's relance is paused and resumed.

The API (set_hold, record_payment_promise, release_hold), the debtor page (a promise, a dispute, an
"already paid") and a customer's reply (Communication after_insert) all come here, so every hold is
checked the same way (the reason, a date not in the past, a submitted invoice), saved through the
document (its validation and its Version), commented on the invoice and shown in its relance status.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import getdate, today

from relance_app.common import args
from relance_app.constants import HOLD_REASONS, STATUS_ON_HOLD, STATUS_SCHEDULED
from relance_app.exceptions import InvalidHoldError
from relance_app.records.invoice_status import set_invoice_fields


def check_reason(reason: str) -> None:
	if reason not in HOLD_REASONS:
		frappe.throw(
			_("Unknown hold reason {0}; choose one of {1}.").format(
				args.shown(reason), ", ".join(_(r) for r in HOLD_REASONS)
			),
			InvalidHoldError,
			title=_("Invalid Hold Reason"),
		)


def check_until(until) -> None:
	if until and getdate(until) < getdate(today()):
		frappe.throw(
			_("The hold cannot end in the past ({0}).").format(frappe.format(until, "Date")),
			InvalidHoldError,
			title=_("Invalid Hold Date"),
		)


def set_hold_fields(sales_invoice: str, values: dict, ignore_permissions: bool = False):
	"""Save the hold fields through the document (validated, versioned) and the relance status."""
	doc = frappe.get_doc("Sales Invoice", sales_invoice)
	if doc.docstatus != 1:
		frappe.throw(
			_("Only a submitted invoice can be put on hold or resumed."),
			InvalidHoldError,
			title=_("Invalid Sales Invoice"),
		)
	doc.update(values)
	doc.flags.ignore_validate_update_after_submit = False
	doc.save(ignore_permissions=ignore_permissions)
	set_invoice_fields(
		sales_invoice, status=STATUS_ON_HOLD if values.get("relance_hold") else STATUS_SCHEDULED
	)
	return doc


def hold_invoice(sales_invoice: str, reason: str, until=None, ignore_permissions=False, note="") -> dict:
	"""Pause the relance of an invoice for `reason`, until a date or until resumed. The caller checked
	who asks (`ignore_permissions` for the debtor page and a reply); `note` ends the invoice's comment."""
	check_reason(reason)
	check_until(until)
	doc = set_hold_fields(
		sales_invoice,
		{"relance_hold": 1, "relance_hold_reason": reason, "relance_hold_until": until},
		ignore_permissions=ignore_permissions,
	)
	doc.add_comment(
		"Info",
		_("Relance put on hold: {0}{1}").format(
			_(reason), _(" until {0}").format(frappe.format(until, "Date")) if until else ""
		)
		+ (f" {note}" if note else ""),
	)
	return {
		"sales_invoice": sales_invoice,
		"relance_hold": 1,
		"reason": reason,
		"until": str(until) if until else None,
	}


def release(sales_invoice: str) -> dict:
	"""Resume the relance of an invoice."""
	doc = set_hold_fields(
		sales_invoice, {"relance_hold": 0, "relance_hold_reason": None, "relance_hold_until": None}
	)
	doc.add_comment("Info", _("Relance resumed."))
	return {"sales_invoice": sales_invoice, "relance_hold": 0}
