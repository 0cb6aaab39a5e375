"""Communication doc_events: a customer's reply to a relance pauses it for a human look."""

import frappe
from frappe import _
from frappe.utils import cint

from relance_app.constants import CUSTOMER_REPLIED, DELIVERED_STATUSES
from relance_app.holds import hold_invoice


def pause_on_reply(doc, method=None):
	if doc.sent_or_received != "Received" or doc.communication_type != "Communication":
		return
	invoices = set()
	if doc.reference_doctype == "Sales Invoice" and doc.reference_name:
		invoices.add(doc.reference_name)
	for link in doc.get("timeline_links") or []:
		if link.link_doctype == "Sales Invoice":
			invoices.add(link.link_name)
	for invoice in sorted(invoices):
		logs = frappe.get_all(
			"Relance Log",
			filters={"sales_invoice": invoice, "status": ("in", list(DELIVERED_STATUSES))},
			fields=["dunning_policy"],
			limit=1,
		)
		if not logs or not cint(
			frappe.db.get_value("Dunning Policy", logs[0].dunning_policy, "pause_on_reply")
		):
			continue
		si = frappe.db.get_value("Sales Invoice", invoice, ["docstatus", "relance_hold"], as_dict=True)
		if not si or si.docstatus != 1 or si.relance_hold:
			continue
		# the reply came by email or was entered by whoever may add it: the hold follows it
		hold_invoice(
			invoice,
			CUSTOMER_REPLIED,
			ignore_permissions=True,
			note=_("(the customer replied: {0}; resume it once handled)").format(doc.name),
		)
