"""Public, whitelisted API of relance_app (names are part of the public contract)."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import getdate, today

from relance_app.exceptions import InvalidHoldError
from relance_app.setup.custom_fields import HOLD_REASONS

MANAGER = "Accounts Manager"
PAYMENT_PROMISE = "Payment Promise"


def _require_manager():
	if MANAGER not in frappe.get_roles() and "System Manager" not in frappe.get_roles():
		frappe.throw(
			_("Only an Accounts Manager can do this."), frappe.PermissionError, title=_("Not Permitted")
		)


def _require_invoice(sales_invoice: str, ptype: str = "read"):
	if not sales_invoice or not frappe.db.exists("Sales Invoice", sales_invoice):
		frappe.throw(
			_("Sales Invoice {0} does not exist.").format(sales_invoice),
			frappe.DoesNotExistError,
			title=_("Invalid Sales Invoice"),
		)
	if not frappe.has_permission("Sales Invoice", ptype, sales_invoice):
		frappe.throw(
			_("You are not allowed to change the relance of {0}.").format(sales_invoice)
			if ptype != "read"
			else _("You are not allowed to see Sales Invoice {0}.").format(sales_invoice),
			frappe.PermissionError,
			title=_("Not Permitted"),
		)


@frappe.whitelist(methods=["POST", "GET"])
def run_dunning(as_of=None, dry_run=False) -> dict:
	"""Run the dunning for `as_of` (YYYY-MM-DD, default today); `dry_run` changes nothing and returns
	the planned actions."""
	from relance_app.relance.run import run_dunning as _run

	_require_manager()
	dry_run = frappe.utils.sbool(dry_run)
	if not dry_run and frappe.request and frappe.request.method != "POST":
		frappe.throw(
			_("A real run must be a POST request."), frappe.PermissionError, title=_("Not Permitted")
		)
	return _run(as_of=getdate(as_of) if as_of else None, dry_run=dry_run)


def _set_hold_fields(sales_invoice: str, values: dict):
	doc = frappe.get_doc("Sales Invoice", sales_invoice)
	if doc.docstatus != 1:
		frappe.throw(
			_("Only a submitted invoice can be put on hold or resumed."),
			InvalidHoldError,
			title=_("Invalid Sales Invoice"),
		)
	doc.update(values)
	doc.flags.ignore_validate_update_after_submit = False
	doc.save()
	from relance_app.relance.sender import set_invoice_fields

	if values.get("relance_hold"):
		set_invoice_fields(sales_invoice, status="On Hold")
	else:
		set_invoice_fields(sales_invoice, status="Scheduled")
	return doc


@frappe.whitelist(methods=["POST"])
def set_hold(sales_invoice: str, reason: str, until=None) -> dict:
	"""Pause the relance of an invoice (dispute, promise, reply, other), until a date or until resumed."""
	_require_invoice(sales_invoice, "write")
	if reason not in HOLD_REASONS:
		frappe.throw(
			_("Unknown hold reason {0}; choose one of {1}.").format(
				reason, ", ".join(_(r) for r in HOLD_REASONS)
			),
			InvalidHoldError,
			title=_("Invalid Hold Reason"),
		)
	if until and getdate(until) < getdate(today()):
		frappe.throw(
			_("The hold cannot end in the past ({0}).").format(frappe.format(until, "Date")),
			InvalidHoldError,
			title=_("Invalid Hold Date"),
		)
	doc = _set_hold_fields(
		sales_invoice,
		{
			"relance_hold": 1,
			"relance_hold_reason": reason,
			"relance_hold_until": getdate(until) if until else None,
		},
	)
	doc.add_comment(
		"Info",
		_("Relance put on hold: {0}{1}").format(
			_(reason), _(" until {0}").format(frappe.format(until, "Date")) if until else ""
		),
	)
	return {"sales_invoice": sales_invoice, "relance_hold": 1, "reason": reason, "until": until}


@frappe.whitelist(methods=["POST"])
def release_hold(sales_invoice: str) -> dict:
	"""Resume the relance of an invoice."""
	_require_invoice(sales_invoice, "write")
	doc = _set_hold_fields(
		sales_invoice, {"relance_hold": 0, "relance_hold_reason": None, "relance_hold_until": None}
	)
	doc.add_comment("Info", _("Relance resumed."))
	return {"sales_invoice": sales_invoice, "relance_hold": 0}


@frappe.whitelist(methods=["POST"])
def record_payment_promise(sales_invoice: str, promised_date) -> dict:
	"""The customer promised to pay by `promised_date`: no relance until then."""
	if not promised_date:
		frappe.throw(
			_("A payment promise needs the promised date."),
			InvalidHoldError,
			title=_("Promised Date Missing"),
		)
	return set_hold(sales_invoice, PAYMENT_PROMISE, promised_date)


@frappe.whitelist()
def get_timeline(customer=None, sales_invoice=None, start: int = 0, page_length: int = 500) -> list[dict]:
	"""Every relance of a customer (across its invoices) or of one invoice, newest first; only the
	invoices the user may read."""
	from relance_app.relance.timeline import get_timeline as _timeline

	if not customer and not sales_invoice:
		frappe.throw(_("Give a customer or a sales invoice."), title=_("Missing Argument"))
	if sales_invoice:
		_require_invoice(sales_invoice)
	elif not frappe.has_permission("Customer", "read", customer):
		frappe.throw(
			_("You are not allowed to see Customer {0}.").format(customer),
			frappe.PermissionError,
			title=_("Not Permitted"),
		)
	return _timeline(
		customer=customer, sales_invoice=sales_invoice, start=int(start), page_length=int(page_length)
	)


@frappe.whitelist(methods=["POST"])
def approve_relances(names) -> dict:
	"""Approve relances awaiting approval: each is sent through the same exactly-once path."""
	from relance_app.relance.sender import approve_log

	_require_manager()
	names = frappe.parse_json(names) if isinstance(names, str) else names
	outcomes: dict[str, str] = {}
	for name in names or []:
		try:
			outcomes[name] = approve_log(name, getdate(today()))
			frappe.db.commit()  # nosemgrep: one transaction per approved relance
		except Exception as e:
			frappe.db.rollback()
			outcomes[name] = f"failed: {e}"
			frappe.log_error(
				title=_("Relance approval failed"), reference_doctype="Relance Log", reference_name=name
			)
	return outcomes


@frappe.whitelist(methods=["POST"])
def cancel_relances(names, reason=None) -> dict:
	"""Refuse relances awaiting approval: they are marked Cancelled and never sent."""
	_require_manager()
	names = frappe.parse_json(names) if isinstance(names, str) else names
	done = {}
	for name in names or []:
		status = frappe.db.get_value("Relance Log", name, "status")
		if status == "Awaiting Approval":
			frappe.db.set_value(
				"Relance Log",
				name,
				{
					"status": "Cancelled",
					"reason": reason or _("Cancelled by {0}.").format(frappe.session.user),
				},
			)
			done[name] = "cancelled"
		else:
			done[name] = status or "not found"
	return done


@frappe.whitelist()
def get_invoice_relance(sales_invoice: str) -> dict:
	"""Where the relance of an invoice stands, for the form: status line, next step, its timeline."""
	from relance_app.relance.views import invoice_summary

	_require_invoice(sales_invoice)
	return invoice_summary(sales_invoice)


@frappe.whitelist()
def get_customer_relances(customer: str, start: int = 0, page_length: int = 200) -> dict:
	"""The Customer form's "Relances" panel: a summary and the relances grouped by invoice."""
	from relance_app.relance.views import customer_panel

	if not frappe.has_permission("Customer", "read", customer):
		frappe.throw(
			_("You are not allowed to see Customer {0}.").format(customer),
			frappe.PermissionError,
			title=_("Not Permitted"),
		)
	return customer_panel(customer, int(start), int(page_length))


@frappe.whitelist()
def preview_next_relance(sales_invoice: str) -> dict:
	"""The next relance of an invoice, rendered (subject, body, recipients, attachments); nothing sent."""
	from relance_app.relance.views import preview_next

	_require_invoice(sales_invoice)
	return preview_next(sales_invoice)


@frappe.whitelist(methods=["POST"])
def send_next_relance_now(sales_invoice: str) -> dict:
	"""Send the invoice's next relance now, through the scheduler's exactly-once path."""
	from relance_app.relance.sender import process_units
	from relance_app.relance.views import next_unit

	_require_invoice(sales_invoice, "write")
	if not (set(frappe.get_roles()) & {MANAGER, "Accounts User", "System Manager"}):
		frappe.throw(_("Not permitted."), frappe.PermissionError, title=_("Not Permitted"))
	unit, as_of = next_unit(sales_invoice, today_only=False)
	if not unit:
		frappe.throw(_("No relance is due for {0} now.").format(sales_invoice), title=_("Nothing to Send"))
	frappe.db.commit()  # nosemgrep: process_units works in its own transactions
	return process_units([unit], str(as_of))


@frappe.whitelist()
def simulate_policy(dunning_policy: str, days: int = 60) -> dict:
	"""What today's run would do for this policy, and the calendar of relances for the next days."""
	from relance_app.relance.views import simulate

	if not frappe.has_permission("Dunning Policy", "read", dunning_policy):
		frappe.throw(_("Not permitted."), frappe.PermissionError, title=_("Not Permitted"))
	return simulate(dunning_policy, int(days))
