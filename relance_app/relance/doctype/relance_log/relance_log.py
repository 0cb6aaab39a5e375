# Copyright (c) 2026, relance_app developers
# For license information, please see license.txt

from frappe.model.document import Document

from relance_app.constants import ANSWERED


def make_relance_key(sales_invoice: str, stage_name: str) -> str:
	"""The unique key of a log: one row per (invoice, stage), enforced by a unique index."""
	return f"{sales_invoice}::{stage_name}"


class RelanceLog(Document):
	def before_insert(self):
		if self.status == ANSWERED and self.relance_key:
			return  # a debtor's answer carries its own key (relance_app.engine.debtor_answers.answer_key)
		self.relance_key = make_relance_key(self.sales_invoice, self.stage_name)
