# Copyright (c) 2026, relance_app developers
# For license information, please see license.txt

from frappe.model.document import Document


class RelancePaymentTerms(Document):
	"""A company's legal cap of payment terms and its early-payment discount (Relance Settings)."""
