# Copyright (c) 2026, relance_app developers
# For license information, please see license.txt

from frappe.model.document import Document


class RelanceCreditHoldLog(Document):
	"""One change of a customer's credit hold: started, lifted (both noticed by relance_app.records.
	credit_hold), bypassed for one document, released by hand with a reason and a validity. Written
	by the app only (`in_create`), read by the accountants."""
