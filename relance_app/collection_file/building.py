"""Building a collection file: for one invoice or for the overdue invoices of a customer with a company,
inline or, beyond MAX_INLINE_INVOICES, as a background job that tells the user when it is attached;
the parts in their order, the cover last (it gives their pages), then merged or zipped and saved."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import getdate, today

from relance_app.collection_file.access import check_access
from relance_app.collection_file.assembly import merge_parts, record, save_file, zip_parts
from relance_app.collection_file.cover import cover_context
from relance_app.collection_file.invoices import invoice_parts, statement_part
from relance_app.collection_file.letters import letter_parts
from relance_app.collection_file.loading import (
	FileData,
	load,
	overdue_companies,
	overdue_invoices,
)
from relance_app.collection_file.parts import Part, render_html_part
from relance_app.collection_file.payments import payments_part
from relance_app.collection_file.promises import promises_part
from relance_app.collection_file.relances import relances_part
from relance_app.common.language import in_language
from relance_app.constants import COLLECTION_PDF, COLLECTION_ZIP
from relance_app.documents.language import customer_page_language
from relance_app.exceptions import InvalidArgumentError

# beyond this many invoices the file is built by a background job and attached when ready
MAX_INLINE_INVOICES = 10
JOB = "relance_app.collection_file.building.build_job"


def for_invoice(sales_invoice: str, output: str = COLLECTION_PDF, as_of=None) -> dict:
	"""The collection file of one overdue invoice, attached to it (private)."""
	si = frappe.db.get_value(
		"Sales Invoice", sales_invoice, ["customer", "company", "docstatus", "is_return"], as_dict=True
	)
	if si.docstatus != 1 or si.is_return:
		frappe.throw(
			_("A collection file is built for a submitted sales invoice, not a draft, cancelled or return."),
			title=_("Invalid Sales Invoice"),
		)
	check_access(si.company, si.customer, [sales_invoice])
	return build_or_enqueue(
		"Sales Invoice", sales_invoice, si.company, si.customer, [sales_invoice], output, as_of
	)


def for_customer(customer: str, company=None, output: str = COLLECTION_PDF, as_of=None) -> dict:
	"""The collection file of every overdue invoice of a customer with one company (the only one it
	owes when not given), attached to the customer (private)."""
	as_of = as_of or getdate(today())
	if not company:
		companies = overdue_companies(customer, as_of)
		if len(companies) != 1:
			frappe.throw(
				_("Choose the company (the creditor) of the collection file: {0}.").format(
					", ".join(companies) or _("none has an overdue invoice")
				),
				InvalidArgumentError,
				title=_("Company Required"),
			)
		company = companies[0]
	invoices = overdue_invoices(customer, company, as_of)
	check_access(company, customer, invoices)
	if not invoices:
		frappe.throw(
			_("{0} has no overdue invoice with {1} on {2}.").format(
				customer, company, frappe.format(as_of, "Date")
			),
			title=_("Nothing Overdue"),
		)
	return build_or_enqueue("Customer", customer, company, customer, invoices, output, as_of)


def build_or_enqueue(reference_doctype, reference_name, company, customer, invoices, output, as_of) -> dict:
	kwargs = {
		"reference_doctype": reference_doctype,
		"reference_name": reference_name,
		"company": company,
		"customer": customer,
		"invoices": invoices,
		"output": output,
		"as_of": str(as_of or getdate(today())),
	}
	if len(invoices) > MAX_INLINE_INVOICES and not frappe.flags.in_test:
		frappe.enqueue(
			JOB,
			queue="long",
			timeout=3600,
			job_id=f"relance-collection-file::{reference_doctype}::{reference_name}",
			deduplicate=True,
			**kwargs,
		)
		return {"queued": True, "invoices": len(invoices)}
	return build(**kwargs)


def build_job(**kwargs) -> None:
	"""Background job (runs as the user who asked): build, then tell them where the file is."""
	try:
		result = build(**kwargs)
		frappe.publish_realtime(
			"msgprint",
			{
				"title": _("Collection File Ready"),
				"message": _("The collection file of {0} is attached: {1}").format(
					kwargs["reference_name"], f'<a href="{result["file_url"]}">{result["file_name"]}</a>'
				),
			},
			user=frappe.session.user,
		)
	except Exception:
		frappe.log_error(title=_("Collection file failed"), reference_doctype=kwargs["reference_doctype"])
		frappe.publish_realtime(
			"msgprint",
			{"message": _("The collection file of {0} could not be built.").format(kwargs["reference_name"])},
			user=frappe.session.user,
		)


def build(
	reference_doctype, reference_name, company, customer, invoices, output=COLLECTION_PDF, as_of=None
) -> dict:
	"""Build the parts, merge or zip them, save the File and record it on the timeline."""
	as_of = getdate(as_of or today())
	data = FileData(
		company=company,
		customer=customer,
		invoices=list(invoices),
		as_of=as_of,
		language=file_language(customer, company),
		reference_doctype=reference_doctype,
		reference_name=reference_name,
	)
	with in_language(data.language):
		parts, cover = render_parts(data)
		base = f"{_('Collection file')} {reference_name} {as_of.isoformat()}"
		if output == COLLECTION_ZIP:
			content, file_name = zip_parts(parts), f"{base}.zip"
		else:
			content, file_name = merge_parts(parts), f"{base}.pdf"
		file = save_file(reference_doctype, reference_name, file_name, content)
	record(data, file, cover)  # in the user's language: the timeline is theirs
	return {
		"file": file.name,
		"file_name": file.file_name,
		"file_url": file.file_url,
		"output": output,
		"language": data.language,
		"parts": [{"title": p.title, "pages": p.pages, "first_page": p.first_page} for p in parts],
	}


def file_language(customer: str, company: str) -> str:
	"""The debtor page's language (relance_app.documents.language): the customer's when its policy has
	templates in it, else the policy's default language, else French."""
	return customer_page_language(customer, company)


def render_parts(data: FileData) -> tuple[list[Part], dict]:
	"""Every part but the cover first (so the cover can give their pages), then the cover."""
	load(data)
	parts = [
		*invoice_parts(data),
		statement_part(data),
		relances_part(data),
		*letter_parts(data),
		promises_part(data),
		payments_part(data),
	]
	parts = [p for p in parts if p is not None]
	cover = cover_context(data)
	return [paginated_cover(parts, cover), *parts], cover


def paginated_cover(parts: list[Part], cover: dict) -> Part:
	"""The cover with the contents: each part's first page, which the cover's own length moves."""
	first = 2
	cover_part = None
	for _attempt in range(3):
		page = first
		for p in parts:
			p.first_page, page = page, page + p.pages
		cover["contents"] = [{"title": p.title, "page": p.first_page} for p in parts]
		cover_part = render_html_part("cover", _("Cover page"), "cover", cover)
		if cover_part.pages + 1 == first:
			break
		first = cover_part.pages + 1
	cover_part.first_page = 1
	return cover_part
