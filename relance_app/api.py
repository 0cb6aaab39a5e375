"""Public, whitelisted API of relance_app (names are part of the public contract)."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import getdate, today

from relance_app.common import args
from relance_app.exceptions import InvalidHoldError
from relance_app.setup.custom_fields import HOLD_REASONS

MANAGER = "Accounts Manager"
PAYMENT_PROMISE = "Payment Promise"
# the simulation's calendar covers at most two years: beyond, it is cut there and the caller is told
SIMULATION_MAX_DAYS = 730
PAGE_MAX = 500


@frappe.whitelist(methods=["POST", "GET"])
@args.checked(roles=args.MANAGERS, as_of=args.Date(required=False), dry_run=args.Bool())
def run_dunning(as_of=None, dry_run=False) -> dict:
	"""Run the dunning for `as_of` (YYYY-MM-DD, default today); `dry_run` changes nothing and returns
	the planned actions."""
	from relance_app.run.daily import run_dunning as _run

	if not dry_run and frappe.request and frappe.request.method != "POST":
		frappe.throw(
			_("A real run must be a POST request."), frappe.PermissionError, title=_("Not Permitted")
		)
	return _run(as_of=as_of, dry_run=dry_run)


def _set_hold_fields(sales_invoice: str, values: dict, ignore_permissions: bool = False):
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
	from relance_app.run.units import set_invoice_fields

	if values.get("relance_hold"):
		set_invoice_fields(sales_invoice, status="On Hold")
	else:
		set_invoice_fields(sales_invoice, status="Scheduled")
	return doc


@frappe.whitelist(methods=["POST"])
@args.checked(
	sales_invoice=args.Doc("Sales Invoice", perm="write"),
	reason=args.Text(required=True, max_length=140),
	until=args.Date(required=False),
)
def set_hold(sales_invoice: str, reason: str, until=None) -> dict:
	"""Pause the relance of an invoice (dispute, promise, reply, other), until a date or until resumed."""
	return hold_invoice(sales_invoice, reason, until)


def hold_invoice(sales_invoice: str, reason: str, until=None, ignore_permissions=False, note="") -> dict:
	"""set_hold's work, for a caller that checked who asks (the debtor page: `ignore_permissions`,
	`note` added to the invoice's comment)."""
	if reason not in HOLD_REASONS:
		frappe.throw(
			_("Unknown hold reason {0}; choose one of {1}.").format(
				args.shown(reason), ", ".join(_(r) for r in HOLD_REASONS)
			),
			InvalidHoldError,
			title=_("Invalid Hold Reason"),
		)
	if until and until < getdate(today()):
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
			"relance_hold_until": until,
		},
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


@frappe.whitelist(methods=["POST"])
@args.checked(sales_invoice=args.Doc("Sales Invoice", perm="write"))
def release_hold(sales_invoice: str) -> dict:
	"""Resume the relance of an invoice."""
	doc = _set_hold_fields(
		sales_invoice, {"relance_hold": 0, "relance_hold_reason": None, "relance_hold_until": None}
	)
	doc.add_comment("Info", _("Relance resumed."))
	return {"sales_invoice": sales_invoice, "relance_hold": 0}


@frappe.whitelist(methods=["POST"])
@args.checked(
	sales_invoice=args.Doc("Sales Invoice", perm="write"),
	promised_date=args.Date(required=True),
)
def record_payment_promise(sales_invoice: str, promised_date) -> dict:
	"""The customer promised to pay by `promised_date`: no relance until then."""
	return set_hold(sales_invoice, PAYMENT_PROMISE, promised_date)


@frappe.whitelist()
@args.checked(
	customer=args.Doc("Customer", required=False),
	sales_invoice=args.Doc("Sales Invoice", required=False),
	start=args.Int(maximum=10**7),
	page_length=args.Int(minimum=1, maximum=PAGE_MAX),
)
def get_timeline(customer=None, sales_invoice=None, start: int = 0, page_length: int = 500) -> list[dict]:
	"""Every relance of a customer (across its invoices) or of one invoice, newest first; only the
	invoices the user may read."""
	from relance_app.analytics.timeline import get_timeline as _timeline

	if not customer and not sales_invoice:
		frappe.throw(
			_("Give a customer or a sales invoice."), args.InvalidArgumentError, title=_("Missing Argument")
		)
	return _timeline(customer=customer, sales_invoice=sales_invoice, start=start, page_length=page_length)


@frappe.whitelist(methods=["POST"])
@args.checked(roles=args.MANAGERS, names=args.DocList("Relance Log"))
def approve_relances(names) -> dict:
	"""Approve relances awaiting approval: each is sent through the same exactly-once path."""
	from relance_app.run.units import approve_log

	outcomes: dict[str, str] = {}
	for name in names:
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
@args.checked(roles=args.MANAGERS, names=args.DocList("Relance Log"), reason=args.Text(max_length=1000))
def cancel_relances(names, reason=None) -> dict:
	"""Refuse relances awaiting approval: they are marked Cancelled and never sent."""
	done = {}
	for name in names:
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
@args.checked(sales_invoice=args.Doc("Sales Invoice"))
def get_invoice_relance(sales_invoice: str) -> dict:
	"""Where the relance of an invoice stands, for the form: status line, next step, its timeline."""
	from relance_app.analytics.panels import invoice_summary

	return invoice_summary(sales_invoice)


@frappe.whitelist()
@args.checked(
	customer=args.Doc("Customer"),
	start=args.Int(maximum=10**7),
	page_length=args.Int(minimum=1, maximum=PAGE_MAX),
)
def get_customer_relances(customer: str, start: int = 0, page_length: int = 200) -> dict:
	"""The Customer form's "Relances" panel: a summary and the relances grouped by invoice."""
	from relance_app.analytics.panels import customer_panel

	return customer_panel(customer, start, page_length)


@frappe.whitelist()
@args.checked(sales_invoice=args.Doc("Sales Invoice"))
def preview_next_relance(sales_invoice: str) -> dict:
	"""The next relance of an invoice, rendered (subject, body, recipients, attachments); nothing sent."""
	from relance_app.analytics.panels import preview_next

	return preview_next(sales_invoice)


@frappe.whitelist(methods=["POST"])
@args.checked(roles=args.ACCOUNTS, sales_invoice=args.Doc("Sales Invoice", perm="write"))
def send_next_relance_now(sales_invoice: str) -> dict:
	"""Send the invoice's next relance now, through the scheduler's exactly-once path."""
	from relance_app.analytics.panels import next_unit
	from relance_app.run.units import process_units

	unit, as_of = next_unit(sales_invoice, today_only=False)
	if not unit:
		frappe.throw(_("No relance is due for {0} now.").format(sales_invoice), title=_("Nothing to Send"))
	frappe.db.commit()  # nosemgrep: process_units works in its own transactions
	return process_units([unit], str(as_of))


@frappe.whitelist()
@args.checked(
	dunning_policy=args.Doc("Dunning Policy"),
	days=args.Int(
		minimum=1,
		maximum=SIMULATION_MAX_DAYS,
		cap=True,
		cap_message=lambda: _("The simulation covers at most {1} days (two years); {2} days were asked."),
	),
)
def simulate_policy(dunning_policy: str, days: int = 60) -> dict:
	"""What today's run would do for this policy, and the calendar of relances for the next days (at
	most two years)."""
	from relance_app.analytics.panels import simulate

	return simulate(dunning_policy, days)


@frappe.whitelist()
@args.checked(roles=args.ACCOUNTS, customer=args.Doc("Customer"), company=args.Doc("Company", required=False))
def get_portal_link(customer: str, company=None) -> str:
	"""The link to the customer's debtor page for `company` (default: the company of its latest open
	invoice, else the default company), valid for the days set in Relance Settings from now."""
	from relance_app.portal import get_link

	return get_link(customer, company)


@frappe.whitelist(methods=["POST"])
@args.checked(roles=args.ACCOUNTS, customer=args.Doc("Customer", perm="write"))
def revoke_portal_links(customer: str) -> dict:
	"""Every link to the customer's debtor page issued until now stops working."""
	from relance_app.portal import revoke_links

	return revoke_links(customer)
