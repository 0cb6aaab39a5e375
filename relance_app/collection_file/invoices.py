"""The invoices, in the print format the relances attach, and the customer's statement of account as
a relance attaches it, on the date of the file."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import cint

from relance_app.collection_file.loading import FileData
from relance_app.collection_file.parts import Part, common_context, pdf_part
from relance_app.documents.attachments import default_print_format, statement_attachment


def invoice_print_format(data: FileData) -> tuple[str, str | None]:
	"""The print format (and letter head) the relances attach: the latest stage's that names one."""
	if data.policy_doc:
		for row in sorted(data.policy_doc.stages, key=lambda r: (cint(r.offset_days), r.idx), reverse=True):
			if row.print_format:
				return row.print_format, row.letter_head
	return default_print_format(), None


def invoice_parts(data: FileData) -> list[Part]:
	print_format, letter_head = invoice_print_format(data)
	out = []
	for name in data.invoices:
		pdf = frappe.get_print("Sales Invoice", name, print_format, as_pdf=True, letterhead=letter_head)
		out.append(pdf_part("invoice", _("Invoice {0}").format(name), f"{_('Invoice')} {name}", pdf))
	return out


def statement_part(data: FileData) -> Part:
	"""The statement of account a relance attaches (documents.attachments), as of the file."""
	holder = frappe._dict(
		facts=frappe._dict(customer=data.customer),
		row=frappe._dict(company=data.company, customer_name=common_context(data)["customer_name"]),
	)
	pdf = statement_attachment(holder, data.as_of, data.language)["fcontent"]
	return pdf_part("statement", _("Statement of Account"), _("Statement of Account"), pdf)
