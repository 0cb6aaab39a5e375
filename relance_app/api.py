"""Public, whitelisted API of relance_app (names are part of the public contract)."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import getdate, today

from relance_app import holds
from relance_app.analytics import cards
from relance_app.analytics.panels import customer_panel, invoice_summary
from relance_app.analytics.timeline import get_timeline as _timeline
from relance_app.channels import letter
from relance_app.collection_file import access as collection_access
from relance_app.collection_file import building as collection_file
from relance_app.common import args
from relance_app.common.debtor_links import get_link, revoke_links
from relance_app.constants import (
	ACKNOWLEDGEMENTS,
	AWAITING_APPROVAL,
	CANCELLED,
	COLLECTION_OUTPUTS,
	COLLECTION_PDF,
	CREDIT_HOLD_DOCTYPES,
	PAYMENT_PROMISE,
	SENDING_METHODS,
)
from relance_app.data.credit_hold import (
	controller_role,
	customer_holds,
	customer_of,
	hold_of,
	may_release,
)
from relance_app.data.invoices import latest_open_company
from relance_app.records import credit_hold
from relance_app.run.daily import run_dunning as _run
from relance_app.run.preview import next_unit, preview_next, simulate
from relance_app.run.units import approve_log, process_units
from relance_app.setup import legal_mentions

MANAGER = "Accounts Manager"
# the simulation's calendar covers at most two years: beyond, it is cut there and the caller is told
SIMULATION_MAX_DAYS = 730
PAGE_MAX = 500


@frappe.whitelist(methods=["POST", "GET"])
@args.checked(roles=args.MANAGERS, as_of=args.Date(required=False), dry_run=args.Bool())
def run_dunning(as_of=None, dry_run=False) -> dict:
	"""Run the dunning for `as_of` (YYYY-MM-DD, default today); `dry_run` changes nothing and returns
	the planned actions."""

	if not dry_run and frappe.request and frappe.request.method != "POST":
		frappe.throw(
			_("A real run must be a POST request."), frappe.PermissionError, title=_("Not Permitted")
		)
	return _run(as_of=as_of, dry_run=dry_run)


@frappe.whitelist(methods=["POST"])
@args.checked(
	sales_invoice=args.Doc("Sales Invoice", perm="write"),
	reason=args.Text(required=True, max_length=140),
	until=args.Date(required=False),
)
def set_hold(sales_invoice: str, reason: str, until=None) -> dict:
	"""Pause the relance of an invoice (dispute, promise, reply, other), until a date or until resumed."""
	return holds.hold_invoice(sales_invoice, reason, until)


@frappe.whitelist(methods=["POST"])
@args.checked(sales_invoice=args.Doc("Sales Invoice", perm="write"))
def release_hold(sales_invoice: str) -> dict:
	"""Resume the relance of an invoice."""
	return holds.release(sales_invoice)


@frappe.whitelist(methods=["POST"])
@args.checked(
	sales_invoice=args.Doc("Sales Invoice", perm="write"),
	promised_date=args.Date(required=True),
)
def record_payment_promise(sales_invoice: str, promised_date) -> dict:
	"""The customer promised to pay by `promised_date`: no relance until then."""
	return holds.hold_invoice(sales_invoice, PAYMENT_PROMISE, promised_date)


@frappe.whitelist()
@args.checked(
	reads=("Relance Log",),
	customer=args.Doc("Customer", required=False),
	sales_invoice=args.Doc("Sales Invoice", required=False),
	start=args.Int(maximum=10**7),
	page_length=args.Int(minimum=1, maximum=PAGE_MAX),
)
def get_timeline(customer=None, sales_invoice=None, start: int = 0, page_length: int = 500) -> list[dict]:
	"""Every relance of a customer (across its invoices) or of one invoice, newest first; only the
	invoices the user may read."""

	if not customer and not sales_invoice:
		frappe.throw(
			_("Give a customer or a sales invoice."), args.InvalidArgumentError, title=_("Missing Argument")
		)
	return _timeline(customer=customer, sales_invoice=sales_invoice, start=start, page_length=page_length)


@frappe.whitelist(methods=["POST"])
@args.checked(roles=args.MANAGERS, names=args.DocList("Relance Log"))
def approve_relances(names) -> dict:
	"""Approve relances awaiting approval: each is sent through the same exactly-once path."""

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
		if status == AWAITING_APPROVAL:
			frappe.db.set_value(
				"Relance Log",
				name,
				{
					"status": CANCELLED,
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

	return invoice_summary(sales_invoice)


@frappe.whitelist()
@args.checked(
	reads=("Sales Invoice", "Relance Log"),
	customer=args.Doc("Customer"),
	start=args.Int(maximum=10**7),
	page_length=args.Int(minimum=1, maximum=PAGE_MAX),
)
def get_customer_relances(customer: str, start: int = 0, page_length: int = 200) -> dict:
	"""The Customer form's "Relances" panel: a summary and the relances grouped by invoice."""

	return customer_panel(customer, start, page_length)


@frappe.whitelist()
@args.checked(sales_invoice=args.Doc("Sales Invoice"))
def preview_next_relance(sales_invoice: str) -> dict:
	"""The next relance of an invoice, rendered (subject, body, recipients, attachments); nothing sent."""

	return preview_next(sales_invoice)


@frappe.whitelist(methods=["POST"])
@args.checked(roles=args.ACCOUNTS, sales_invoice=args.Doc("Sales Invoice", perm="write"))
def send_next_relance_now(sales_invoice: str) -> dict:
	"""Send the invoice's next relance now, through the scheduler's exactly-once path."""
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

	return simulate(dunning_policy, days)


@frappe.whitelist()
@args.checked(roles=args.ACCOUNTS, customer=args.Doc("Customer"), company=args.Doc("Company", required=False))
def get_portal_link(customer: str, company=None) -> str:
	"""The link to the customer's debtor page for `company` (default: the company of its latest open
	invoice the user may read, else the default company), valid for the days set in Relance Settings
	from now."""
	return get_link(customer, company or latest_open_company(customer))


@frappe.whitelist(methods=["POST"])
@args.checked(roles=args.ACCOUNTS, customer=args.Doc("Customer", perm="write"))
def revoke_portal_links(customer: str) -> dict:
	"""Every link to the customer's debtor page issued until now stops working."""

	return revoke_links(customer)


@frappe.whitelist(methods=["POST"])
@args.checked(
	roles=args.ACCOUNTS,
	relance_log=args.Doc("Relance Log"),
	sending_method=args.Choice(SENDING_METHODS),
	registered_number=args.Text(required=False, max_length=40),
	posting_date=args.Date(required=False, maximum="today"),
	acknowledgement=args.Choice(ACKNOWLEDGEMENTS, required=False),
	acknowledgement_date=args.Date(required=False, maximum="today"),
	scan=args.Text(required=False, max_length=500),
)
def record_letter_delivery(
	relance_log: str,
	sending_method: str,
	registered_number=None,
	posting_date=None,
	acknowledgement=None,
	acknowledgement_date=None,
	scan=None,
) -> dict:
	"""Record how the letter of a letter stage was sent, its posting date and its acknowledgement of
	receipt (with the scan). Only these fields of the log change; the invoice's timeline says so."""
	entered = {
		"sending_method": sending_method,
		"registered_number": registered_number,
		"posting_date": posting_date,
		"acknowledgement": acknowledgement,
		"acknowledgement_date": acknowledgement_date,
		"scan": scan,
	}
	return letter.record_delivery(relance_log, entered)


# --- the collection file (dossier de recouvrement): relance_app/collection_file/ ---------------------
# Accounts roles, as the Relance Logs it shows; then the company, the customer and every invoice read.


@frappe.whitelist(methods=["POST"])
@args.checked(
	roles=args.ACCOUNTS,
	sales_invoice=args.Doc("Sales Invoice"),
	output=args.Choice(COLLECTION_OUTPUTS, required=False, default=COLLECTION_PDF),
	as_of=args.Date(required=False, maximum="today"),
)
def make_for_invoice(sales_invoice: str, output: str = COLLECTION_PDF, as_of=None) -> dict:
	"""The collection file of one overdue invoice, attached to it (private): a PDF, or a ZIP of its
	parts; built by a background job beyond ten invoices."""
	return collection_file.for_invoice(sales_invoice, output, as_of)


@frappe.whitelist(methods=["POST"])
@args.checked(
	roles=args.ACCOUNTS,
	customer=args.Doc("Customer"),
	company=args.Doc("Company", required=False),
	output=args.Choice(COLLECTION_OUTPUTS, required=False, default=COLLECTION_PDF),
	as_of=args.Date(required=False, maximum="today"),
)
def make_for_customer(customer: str, company=None, output: str = COLLECTION_PDF, as_of=None) -> dict:
	"""The collection file of every overdue invoice of a customer with one company (required when it
	owes several), attached to the customer (private)."""
	return collection_file.for_customer(customer, company, output, as_of)


@frappe.whitelist()
@args.checked(roles=args.ACCOUNTS, customer=args.Doc("Customer"))
def customer_companies(customer: str) -> list[str]:
	"""The companies the user may see with an overdue invoice of this customer (for the dialog)."""
	return collection_access.visible_companies(customer, getdate(today()))


# --- the workspace's number cards and chart source (the figures: relance_app.analytics.cards) ----------
CARD_FILTERS = 2000


@frappe.whitelist()
@args.checked(reads=("Sales Invoice",), filters=args.Text(max_length=CARD_FILTERS))
def total_overdue(filters=None) -> dict:
	"""Number card "Total Overdue": what the invoices the user may read still owe past their due date."""
	return cards.total_overdue(filters)


@frappe.whitelist()
@args.checked(reads=("Sales Invoice",), filters=args.Text(max_length=CARD_FILTERS))
def on_hold(filters=None) -> dict:
	"""Number card "On Hold": the open invoices the user may read whose relance is held."""
	return cards.on_hold(filters)


@frappe.whitelist()
@args.checked(
	reads=("Relance Log",),
	chart_name=args.Text(max_length=140),
	chart=args.Text(max_length=CARD_FILTERS),
	no_cache=args.Bool(),
	refresh=args.Bool(),
	filters=args.Text(max_length=CARD_FILTERS),
	from_date=args.Date(required=False),
	to_date=args.Date(required=False),
	timespan=args.Choice(cards.TIMESPANS, required=False),
	time_interval=args.Choice(cards.TIME_INTERVALS, required=False),
	heatmap_year=args.Int(minimum=1900, maximum=2200),
)
def relances_by_stage(
	chart_name=None,
	chart=None,
	no_cache=None,
	refresh=None,
	filters=None,
	from_date=None,
	to_date=None,
	timespan=None,
	time_interval=None,
	heatmap_year=None,
) -> dict:
	"""Chart source "Relances by Stage": the relances the user may read, per period and stage (the
	dashboard sends `no_cache`, `refresh` and `heatmap_year` too: they change nothing here)."""
	return cards.relances_by_stage(chart_name, chart, filters, from_date, to_date, timespan, time_interval)


@frappe.whitelist(methods=["POST"])
@args.checked(roles=args.MANAGERS, dunning_policy=args.Doc("Dunning Policy"))
def write_legal_mentions(dunning_policy: str) -> dict:
	"""The mandatory payment mentions of the policy's company (Terms and Conditions of its Sales
	Invoices: penalty rate basis, 40 EUR indemnity, early-payment discount) written from the policy."""
	return legal_mentions.write_for_policy(dunning_policy)


# --- the credit hold of a customer in formal notice (relance_app.records.credit_hold) ------------------
# read by those who make quotations, orders, deliveries and invoices; bypass and release by the Credit
# Controller (Accounts Settings), else the Accounts Manager
CREDIT_HOLD_READERS = (*args.ACCOUNTS, "Sales User", "Sales Manager", "Stock User", "Stock Manager")


def _require_controller():
	if not may_release():
		args.refuse(
			_("Only a user with the role {0} can bypass or release a credit hold.").format(
				_(controller_role())
			),
			frappe.PermissionError,
			_("Not Permitted"),
		)


@frappe.whitelist()
@args.checked(
	roles=CREDIT_HOLD_READERS,
	customer=args.Doc("Customer"),
	company=args.Doc("Company", required=False),
	doctype=args.Choice(tuple(CREDIT_HOLD_DOCTYPES), required=False),
)
def get_credit_hold(customer: str, company=None, doctype=None) -> dict:
	"""Whether the customer's orders are held with `company` (every company with an overdue invoice
	when not given), why, and what a `doctype` document meets: the forms' headline."""
	if company:
		found = [hold_of(customer, company)]
	else:
		found = customer_holds(customer)
	return {
		"customer": customer,
		"holds": [credit_hold.for_form(f, doctype) for f in found if f.hold.held or f.hold.released_until],
	}


@frappe.whitelist(methods=["POST"])
@args.checked(
	doctype=args.Choice(tuple(CREDIT_HOLD_DOCTYPES)),
	name=args.Text(required=True, max_length=140),
	reason=args.Text(required=True, max_length=1000),
)
def submit_with_bypass(doctype: str, name: str, reason: str) -> dict:
	"""Submit a document of a customer on credit hold once anyway, with a reason written on the
	customer's and the document's timeline and in the Relance Credit Hold Log."""
	_require_controller()
	if not frappe.db.exists(doctype, name):
		args.refuse(
			_("{0} {1} does not exist.").format(_(doctype), args.shown(name)),
			frappe.DoesNotExistError,
			_("Not Found"),
		)
	if not frappe.has_permission(doctype, "submit", name):
		args.refuse(
			_("You are not allowed to submit {0} {1}.").format(_(doctype), args.shown(name)),
			frappe.PermissionError,
			_("Not Permitted"),
		)
	customer = customer_of(frappe.get_doc(doctype, name))
	if not customer:
		args.refuse(_("{0} {1} has no customer.").format(_(doctype), args.shown(name)))
	return credit_hold.bypass_and_submit(doctype, name, customer, reason)


@frappe.whitelist(methods=["POST"])
@args.checked(
	customer=args.Doc("Customer"),
	company=args.Doc("Company"),
	reason=args.Text(required=True, max_length=1000),
	until=args.Date(required=True, minimum="today"),
)
def release_credit_hold(customer: str, company: str, reason: str, until) -> dict:
	"""Lift a customer's credit hold by hand until `until`, for the invoices behind it now; a new
	invoice reaching the trigger holds again."""
	_require_controller()
	return credit_hold.release(customer, company, reason, until)


@frappe.whitelist()
@args.checked(reads=("Sales Invoice", "Customer"), filters=args.Text(max_length=CARD_FILTERS))
def held_customers(filters=None) -> dict:
	"""Number card "Orders Held": the customers on credit hold with the companies the user may see."""
	return cards.held_customers(filters)
