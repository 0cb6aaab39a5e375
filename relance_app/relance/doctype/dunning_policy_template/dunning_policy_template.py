# Copyright (c) 2026, relance_app developers
# For license information, please see license.txt

from frappe.model.document import Document


class DunningPolicyTemplate(Document):
	pass
