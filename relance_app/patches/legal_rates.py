"""Late-payment interest by semester (L441-10) on an existing site: the shipped reference rates, and an
interest basis for the policies that existed before it.

A policy whose rate is still the 12.15 % the app shipped (described as "ECB refinancing rate + 10
points") moves to the legal basis, which is what that rate meant; any other rate was chosen by the
accountant and stays, as the contractual rate."""

import frappe
from frappe.utils import flt

from relance_app.engine.models import CONTRACTUAL_RATE, LEGAL_RATE
from relance_app.setup.legal_rate_rows import create_legal_rates

SHIPPED_RATE = 12.15


def execute():
	create_legal_rates()
	for policy in frappe.get_all("Dunning Policy", fields=["name", "late_interest_rate"]):
		basis = LEGAL_RATE if abs(flt(policy.late_interest_rate) - SHIPPED_RATE) < 1e-9 else CONTRACTUAL_RATE
		frappe.db.set_value(
			"Dunning Policy", policy.name, "interest_rate_basis", basis, update_modified=False
		)
