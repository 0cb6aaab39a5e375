"""Company doc_events: a new company gets the default French policy, and a French one its invoices'
payment mentions."""

import frappe

from relance_app.setup.defaults import create_default_policy
from relance_app.setup.legal_mentions import write_mentions


def after_insert(doc, method=None):
	if frappe.flags.in_install or (
		frappe.flags.in_setup_wizard and not frappe.db.exists("DocType", "Dunning Policy")
	):
		return
	create_default_policy(doc.name)
	write_mentions(doc.name)
