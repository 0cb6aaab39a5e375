"""The collection file (dossier de recouvrement): everything a collection agency or a court needs about
one overdue invoice, or all the overdue invoices of a customer with one company, in one PDF.

In this order, each part its own PDF (the ZIP holds them apart, the PDF merges them):

1. cover page: creditor and debtor with their legal identifiers, the invoices, principal, late
   interest (one line per period and rate) and fixed indemnity at the date of the file, the rates
   used, the total claimed, the contents with their pages;
2. the invoices, in the print format the relances attach;
3. the customer's statement of account (the one a relance can attach);
4. every relance as sent: date, channel, recipients, subject, the body as rendered (from its
   Communication), the delivery status (from the Email Queue);
5. the letters (the mise en demeure): sending method, registered-mail number, posting and
   acknowledgement dates, then the letter as it was produced and the scanned acknowledgement;
6. payment promises (kept or broken), disputes and holds, and the customer's replies, with dates;
7. the payments received (Payment Ledger).

The file is in the customer's language when the relance templates exist in it, French otherwise.
It is saved as a private File attached to the invoice (or the customer) and a Comment records it on
the timeline. Only a user who may read the company, the customer and every invoice gets it.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import json
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import frappe
from frappe import _
from frappe.utils import cint, getdate, strip_html, today

from relance_app.channels.letter import RECEIVED, RETURNED, letter_logs
from relance_app.common import args, cache
from relance_app.constants import MISE_EN_DEMEURE
from relance_app.data.invoices import THANK_YOU_STAGE, Candidate, load_policies, select_candidates
from relance_app.documents.attachments import default_print_format, statement_attachment
from relance_app.documents.message_data import message_context
from relance_app.engine.message import format_date, format_money
from relance_app.engine.models import (
	DELIVERED_STATUSES,
	LEGAL_RATE,
	PHONE,
	ZERO,
	Policy,
	Stage,
)
from relance_app.engine.penalties import round_money, to_decimal
from relance_app.setup.defaults import DEFAULT_LANGUAGE, load_manifest

PDF = "PDF"
ZIP = "ZIP"
OUTPUTS = (PDF, ZIP)
TEMPLATES = "relance_app/templates/collection_file/"
# beyond this many invoices the file is built by a background job and attached when ready
MAX_INLINE_INVOICES = 10
HOLD_FIELDS = ("relance_hold", "relance_hold_reason", "relance_hold_until")
PROMISE = "Payment Promise"
# custom fields some sites add for French identifiers, shown when the doctype has them
IDENTIFIER_FIELDS = ("siren", "siren_number", "siret", "siret_number", "rcs", "naf_code", "ape_code")


@dataclass
class Part:
	"""One document of the file: its title, its file name in the ZIP and its PDF."""

	key: str
	title: str
	slug: str
	pdf: bytes
	pages: int = 0
	first_page: int = 0


@dataclass
class FileData:
	company: str
	customer: str
	invoices: list[str]
	as_of: date
	language: str
	reference_doctype: str
	reference_name: str
	candidates: list[Candidate] = field(default_factory=list)
	policy: Policy | None = None
	policy_doc: object = None


# --- entry points -----------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
@args.checked(
	sales_invoice=args.Doc("Sales Invoice"),
	output=args.Choice(OUTPUTS, required=False, default=PDF),
	as_of=args.Date(required=False, maximum="today"),
)
def make_for_invoice(sales_invoice: str, output: str = PDF, as_of=None) -> dict:
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


@frappe.whitelist(methods=["POST"])
@args.checked(
	customer=args.Doc("Customer"),
	company=args.Doc("Company", required=False),
	output=args.Choice(OUTPUTS, required=False, default=PDF),
	as_of=args.Date(required=False, maximum="today"),
)
def make_for_customer(customer: str, company=None, output: str = PDF, as_of=None) -> dict:
	"""The collection file of every overdue invoice of a customer with one company, attached to the
	customer (private)."""
	as_of = as_of or getdate(today())
	if not company:
		companies = overdue_companies(customer, as_of)
		if len(companies) != 1:
			frappe.throw(
				_("Choose the company (the creditor) of the collection file: {0}.").format(
					", ".join(companies) or _("none has an overdue invoice")
				),
				args.InvalidArgumentError,
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


@frappe.whitelist()
@args.checked(customer=args.Doc("Customer"))
def customer_companies(customer: str) -> list[str]:
	"""The companies the user may see with an overdue invoice of this customer (for the dialog)."""
	allowed = set(frappe.get_list("Company", pluck="name", limit_page_length=0))
	return [c for c in overdue_companies(customer, getdate(today())) if c in allowed]


def overdue_invoices(customer: str, company: str, as_of: date) -> list[str]:
	return frappe.get_all(
		"Sales Invoice",
		filters={
			"customer": customer,
			"company": company,
			"docstatus": 1,
			"is_return": 0,
			"outstanding_amount": (">", 0),
			"due_date": ("<", as_of),
		},
		pluck="name",
		order_by="due_date asc, name asc",
	)


def overdue_companies(customer: str, as_of: date) -> list[str]:
	return sorted(
		set(
			frappe.get_all(
				"Sales Invoice",
				filters={
					"customer": customer,
					"docstatus": 1,
					"is_return": 0,
					"outstanding_amount": (">", 0),
					"due_date": ("<", as_of),
				},
				pluck="company",
			)
		)
	)


def check_access(company: str, customer: str, invoices: list[str]) -> None:
	"""Each document read by the file, checked for this user (roles, user permissions: a user
	restricted to one company is refused another's)."""
	for doctype, name in (
		("Company", company),
		("Customer", customer),
		*(("Sales Invoice", n) for n in invoices),
	):
		if not frappe.has_permission(doctype, "read", doc=name):
			frappe.throw(
				_("You are not allowed to see {0} {1}.").format(_(doctype), name),
				frappe.PermissionError,
				title=_("Not Permitted"),
			)


def build_or_enqueue(reference_doctype, reference_name, company, customer, invoices, output, as_of) -> dict:
	as_of = str(as_of or getdate(today()))
	kwargs = {
		"reference_doctype": reference_doctype,
		"reference_name": reference_name,
		"company": company,
		"customer": customer,
		"invoices": invoices,
		"output": output,
		"as_of": as_of,
	}
	if len(invoices) > MAX_INLINE_INVOICES and not frappe.flags.in_test:
		frappe.enqueue(
			"relance_app.documents.collection_file.build_job",
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


# --- building ---------------------------------------------------------------------------------


def build(reference_doctype, reference_name, company, customer, invoices, output=PDF, as_of=None) -> dict:
	"""Build the parts, merge or zip them, save the File and record it on the timeline."""
	as_of = getdate(as_of or today())
	data = FileData(
		company=company,
		customer=customer,
		invoices=list(invoices),
		as_of=as_of,
		language=file_language(customer),
		reference_doctype=reference_doctype,
		reference_name=reference_name,
	)
	with in_language(data.language):
		parts, cover = render_parts(data)
		title = _("Collection file")
		base = f"{title} {reference_name} {as_of.isoformat()}"
		if output == ZIP:
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


@contextlib.contextmanager
def in_language(language: str):
	"""Labels (frappe._, print formats, Jinja) in `language`, restored afterwards whatever happens."""
	lang, jenv = frappe.local.lang, frappe.local.jenv
	frappe.local.lang, frappe.local.jenv = language, None
	try:
		yield
	finally:
		frappe.local.lang, frappe.local.jenv = lang, jenv


def file_language(customer: str) -> str:
	"""The customer's language when the relance templates exist in it, else French."""
	shipped = {entry["language"] for entry in load_manifest()}
	code = frappe.db.get_value("Customer", customer, "language") or DEFAULT_LANGUAGE
	lang = code.replace("_", "-").split("-")[0].lower()
	return lang if lang in shipped else DEFAULT_LANGUAGE


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
	first = 2
	cover_part = None
	for _attempt in range(3):  # the cover's own length moves every page number after it
		page = first
		for p in parts:
			p.first_page, page = page, page + p.pages
		cover["contents"] = [{"title": p.title, "page": p.first_page} for p in parts]
		cover_part = render_html_part("cover", _("Cover page"), "cover", cover)
		if cover_part.pages + 1 == first:
			break
		first = cover_part.pages + 1
	cover_part.first_page = 1
	return [cover_part, *parts], cover


def load(data: FileData) -> None:
	cache.clear()
	policies = load_policies()
	candidates = {
		c.facts.name: c for c in select_candidates(policies, invoice_names=data.invoices, any_state=True)
	}
	data.candidates = [candidates[n] for n in data.invoices if n in candidates]
	with_policy = [c for c in data.candidates if c.policy]
	if with_policy:
		data.policy = with_policy[0].policy.policy
		data.policy_doc = frappe.get_cached_doc("Dunning Policy", with_policy[0].policy.name)
	else:  # no policy: the statutory rules (L441-10 legal rate, 40 EUR indemnity)
		data.policy = Policy("", (), interest_basis=LEGAL_RATE)


# --- parts ------------------------------------------------------------------------------------


def pdf_pages(pdf: bytes) -> int:
	from pypdf import PdfReader

	return len(PdfReader(io.BytesIO(pdf)).pages)


def html_to_pdf(html: str) -> bytes:
	from frappe.utils.pdf import get_pdf

	return get_pdf(html)


def render_html_part(key: str, title: str, slug: str, context: dict) -> Part:
	html = frappe.render_template(f"{TEMPLATES}{key}.html", {**context, "_": _, "part_title": title})
	pdf = html_to_pdf(html)
	return Part(key, title, slug, pdf, pdf_pages(pdf))


def common_context(data: FileData) -> dict:
	return {
		"company_name": frappe.get_cached_value("Company", data.company, "company_name") or data.company,
		"customer_name": frappe.db.get_value("Customer", data.customer, "customer_name") or data.customer,
		"as_of": fdate(data.as_of, data.language),
		"invoice_numbers": ", ".join(data.invoices),
	}


def fdate(day, language: str) -> str:
	return format_date(getdate(day), language) if day else ""


def fmoney(amount, currency: str, language: str) -> str:
	return format_money(to_decimal(amount), currency or "EUR", language)


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
		out.append(
			Part("invoice", _("Invoice {0}").format(name), f"{_('Invoice')} {name}", pdf, pdf_pages(pdf))
		)
	return out


def statement_part(data: FileData) -> Part:
	"""The statement of account a relance attaches (sender.statement_attachment), as of the file."""

	holder = frappe._dict(
		facts=frappe._dict(customer=data.customer),
		row=frappe._dict(company=data.company, customer_name=common_context(data)["customer_name"]),
	)
	pdf = statement_attachment(holder, data.as_of, data.language)["fcontent"]
	return Part("statement", _("Statement of Account"), _("Statement of Account"), pdf, pdf_pages(pdf))


# --- cover ------------------------------------------------------------------------------------


def identifiers(doctype: str, name: str) -> list[dict]:
	"""Legal identifiers of a company or customer: its tax id (VAT number, SIREN...), its registration
	details, and the SIREN/SIRET-like custom fields the site has."""
	meta = frappe.get_meta(doctype)
	fields = ["tax_id", *(f for f in IDENTIFIER_FIELDS if meta.has_field(f))]
	if meta.has_field("registration_details"):
		fields.append("registration_details")
	values = frappe.db.get_value(doctype, name, fields, as_dict=True) or {}
	out = []
	for f in fields:
		if values.get(f):
			label = _("Tax ID (VAT, SIREN)") if f == "tax_id" else _(meta.get_label(f))
			out.append({"label": label, "value": str(values[f]).strip()})
	return out


def address_text(name: str | None) -> str:
	if not name:
		return ""
	from frappe.contacts.doctype.address.address import get_address_display

	return strip_html((get_address_display(name) or "").replace("<br>", "\n")).strip()


def debtor(data: FileData) -> dict:
	c = frappe.db.get_value(
		"Customer",
		data.customer,
		["customer_name", "customer_type", "customer_primary_address", "email_id", "mobile_no"],
		as_dict=True,
	)
	address = address_text(c.customer_primary_address)
	if not address:
		invoice_address = frappe.db.get_value("Sales Invoice", data.invoices[0], "customer_address")
		address = address_text(invoice_address)
	return {
		"name": c.customer_name or data.customer,
		"code": data.customer,
		"type": _(c.customer_type or ""),
		"address": address,
		"email": c.email_id or "",
		"phone": c.mobile_no or "",
		"identifiers": identifiers("Customer", data.customer),
	}


def creditor(data: FileData, ctx: dict) -> dict:
	company = ctx["company"]
	address = strip_html((company.get("address") or "").replace("<br>", "\n")).strip()
	return {
		"name": company["name"],
		"address": address,
		"email": company.get("email") or "",
		"phone": company.get("phone") or "",
		"identifiers": identifiers("Company", data.company),
		"payment": ctx.get("payment") or {},
	}


def cover_context(data: FileData) -> dict:
	"""Creditor, debtor, invoices with principal, interest lines and indemnity on the date of the
	file, the rates used and the totals claimed per currency (the relances' own context)."""
	stage = Stage("__collection_file__", 0, include_penalties=True)
	ctx = message_context(
		stage,
		data.policy,
		data.policy_doc,
		data.candidates,
		data.as_of,
		language=data.language,
		tone="courteous",
	)
	lang = data.language
	totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
	rates: list[str] = []
	invoices = []
	for row, candidate in zip(ctx["invoices"], data.candidates, strict=True):
		p = row["penalties"]
		cur = row["currency"]
		totals[cur]["principal"] += row["amount_due"]
		totals[cur]["interest"] += p["interest"] if p else ZERO
		if p and p["indemnity"]:
			totals[p["indemnity_currency"]]["indemnity"] += p["indemnity"]
		for line in (p or {}).get("lines", []):
			if line["rate_formatted"] not in rates:
				rates.append(line["rate_formatted"])
		invoices.append(
			{
				**row,
				"grand_total_formatted": fmoney(candidate.facts.grand_total, cur, lang),
				"paid_formatted": fmoney(
					(candidate.facts.grand_total or ZERO) - candidate.facts.outstanding, cur, lang
				),
			}
		)
	total_rows = []
	for cur, t in sorted(totals.items()):
		claimed = t["principal"] + t["interest"] + t["indemnity"]
		total_rows.append(
			{
				"currency": cur,
				"principal": fmoney(t["principal"], cur, lang),
				"interest": fmoney(round_money(t["interest"], cur), cur, lang),
				"indemnity": fmoney(t["indemnity"], cur, lang),
				"total": fmoney(claimed, cur, lang),
			}
		)
	first_p = next((r["penalties"] for r in ctx["invoices"] if r["penalties"]), None)
	return {
		**common_context(data),
		"creditor": creditor(data, ctx),
		"debtor": debtor(data),
		"invoices": invoices,
		"totals": total_rows,
		"rates_used": ", ".join(rates),
		"basis_text": first_p["basis_text"] if first_p else "",
		"is_legal_rate": bool(first_p and first_p["is_legal_rate"]),
		"assumed": any(r["penalties"] and r["penalties"]["assumed"] for r in ctx["invoices"]),
		"policy": data.policy.name,
		"b2b_only": data.policy.indemnity_b2b_only,
	}


# --- relances as sent -------------------------------------------------------------------------


def relance_rows(data: FileData) -> list[dict]:
	"""Every relance that reached the customer (one row per message: a grouped email once), with its
	Communication and Email Queue."""
	logs = frappe.get_all(
		"Relance Log",
		filters={
			"sales_invoice": ("in", data.invoices),
			"status": ("in", list(DELIVERED_STATUSES)),
			"stage_name": ("!=", THANK_YOU_STAGE),
		},
		fields=[
			"name",
			"sales_invoice",
			"stage_name",
			"channel",
			"status",
			"relance_date",
			"sent_on",
			"recipients",
			"cc",
			"subject",
			"communication",
			"email_queue",
			"test_mode",
			"todo",
			"reason",
			"late_interest",
			"fixed_indemnity",
			"amount_due",
			"currency",
		],
		order_by="relance_date asc, creation asc",
	)
	comms = {
		c.name: c
		for c in frappe.get_all(
			"Communication",
			filters={"name": ("in", [x.communication for x in logs if x.communication] or [""])},
			fields=["name", "content", "delivery_status", "communication_date", "sender", "subject"],
		)
	}
	queues = {
		q.name: q
		for q in frappe.get_all(
			"Email Queue",
			filters={"name": ("in", [x.email_queue for x in logs if x.email_queue] or [""])},
			fields=["name", "status", "error", "modified", "creation"],
		)
	}
	recipients = defaultdict(list)
	for r in frappe.get_all(
		"Email Queue Recipient",
		filters={"parent": ("in", list(queues) or [""]), "parenttype": "Email Queue"},
		fields=["parent", "recipient", "status", "error"],
		order_by="idx asc",
	):
		recipients[r.parent].append(r)
	todos = {
		t.name: t
		for t in frappe.get_all(
			"ToDo",
			filters={"name": ("in", [x.todo for x in logs if x.todo] or [""])},
			fields=["name", "status", "description", "date", "allocated_to", "modified"],
		)
	}
	lang = data.language
	rows: list[dict] = []
	by_message: dict[str, dict] = {}
	for log in logs:
		key = log.communication or log.name
		if key in by_message:
			by_message[key]["invoices"].append(log.sales_invoice)
			continue
		comm = comms.get(log.communication) if log.communication else None
		queue = queues.get(log.email_queue) if log.email_queue else None
		row = {
			"date": fdate(log.relance_date, lang),
			"sent_on": format_datetime(log.sent_on, lang),
			"stage": log.stage_name,
			"channel": _(log.channel or ""),
			"invoices": [log.sales_invoice],
			"recipients": log.recipients or "",
			"cc": log.cc or "",
			"subject": (comm.subject if comm else None) or log.subject or "",
			"body": comm.content if comm else "",
			"test_mode": bool(log.test_mode),
			"status": _(log.status),
			"delivery": delivery_status(log, comm, queue, recipients.get(log.email_queue, []), lang),
			"task": task_text(log, todos.get(log.todo), lang),
			"penalties": fmoney(log.late_interest, log.currency, lang) if log.late_interest else "",
			"indemnity": fmoney(log.fixed_indemnity, "EUR", lang) if log.fixed_indemnity else "",
		}
		by_message[key] = row
		rows.append(row)
	return rows


def format_datetime(value, language: str) -> str:
	if not value:
		return ""
	value = frappe.utils.get_datetime(value)
	return f"{format_date(value.date(), language)} {value.strftime('%H:%M')}"


def delivery_status(log, comm, queue, recipients, language: str) -> str:
	"""What the Email Queue says of the message (per recipient), else the Communication's status."""
	if log.channel not in ("Email", "Email and Letter"):
		return ""
	if queue:
		text = _("Email queue: {0}").format(_(queue.status))
		if queue.status == "Sent":
			text += " " + _("on {0}").format(format_datetime(queue.modified, language))
		per = [f"{r.recipient}: {_(r.status or '')}" for r in recipients if r.recipient]
		if per:
			text += " (" + ", ".join(per) + ")"
		if queue.error:
			text += " – " + strip_html(queue.error).strip().splitlines()[-1][:200]
		return text
	if log.email_queue:
		text = _("Email queue entry {0} purged by the site").format(log.email_queue)
		return text + (f" – {_(comm.delivery_status)}" if comm and comm.delivery_status else "")
	return _(comm.delivery_status) if comm and comm.delivery_status else ""


def task_text(log, todo, language: str) -> str:
	if log.channel == PHONE:
		if not todo:
			return _("Phone call assigned.")
		return _("Phone call assigned to {0} ({1}).").format(todo.allocated_to, _(todo.status))
	if log.channel == "Letter" and todo:
		return _("Letter to post assigned to {0} ({1}).").format(todo.allocated_to, _(todo.status))
	return ""


def relances_part(data: FileData) -> Part:
	return render_html_part(
		"relances",
		_("Relances as sent"),
		_("Relances"),
		{**common_context(data), "rows": relance_rows(data)},
	)


# --- letters (mise en demeure) ----------------------------------------------------------------


def letter_file(log) -> bytes | None:
	"""The letter PDF the run saved on the invoice when it produced the letter (sender.make_letters)."""
	fname = f"{log.stage_name}-{log.sales_invoice}-{getdate(log.relance_date)}.pdf".replace(" ", "_")
	name = frappe.db.get_value(
		"File",
		{"attached_to_doctype": "Sales Invoice", "attached_to_name": log.sales_invoice, "file_name": fname},
		"name",
		order_by="creation asc",
	)
	if not name:
		return None
	try:
		return frappe.get_doc("File", name).get_content()
	except Exception:
		return None


def regenerate_letter(log) -> bytes:
	"""A letter whose PDF is gone: rendered again as of its relance date."""

	print_format = MISE_EN_DEMEURE
	policy = frappe.db.get_value("Relance Log", log.name, "dunning_policy")
	if policy:
		row = frappe.db.get_value(
			"Dunning Policy Stage",
			{"parent": policy, "parenttype": "Dunning Policy", "stage_name": log.stage_name},
			"letter_print_format",
		)
		print_format = row or MISE_EN_DEMEURE
	frappe.flags.relance_as_of = getdate(log.relance_date)
	try:
		return frappe.get_print("Sales Invoice", log.sales_invoice, print_format, as_pdf=True)
	finally:
		frappe.flags.relance_as_of = None


def scan_pdf(url: str | None) -> tuple[bytes | None, str]:
	"""The scanned acknowledgement: a PDF as it is, an image on a page of its own."""
	if not url:
		return None, ""
	name = frappe.db.get_value("File", {"file_url": url}, "name")
	if not name:
		return None, ""
	file = frappe.get_doc("File", name)
	try:
		content = file.get_content()
	except Exception:
		return None, file.file_name
	if isinstance(content, str):
		content = content.encode()
	if content.startswith(b"%PDF"):
		return content, file.file_name
	ext = (file.file_name or "").rsplit(".", 1)[-1].lower()
	mime = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif"}.get(ext)
	if not mime:
		return None, file.file_name
	html = frappe.render_template(
		f"{TEMPLATES}scan.html",
		{
			"_": _,
			"file_name": file.file_name,
			"data_uri": f"data:{mime};base64,{base64.b64encode(content).decode()}",
		},
	)
	return html_to_pdf(html), file.file_name


def letter_parts(data: FileData) -> list[Part]:
	"""Per letter: its tracking page, the letter as produced, the scanned acknowledgement."""
	from pypdf import PdfWriter

	lang = data.language
	out = []
	for log in letter_logs(data.invoices):
		letter = letter_file(log)
		regenerated = letter is None
		if regenerated:
			letter = regenerate_letter(log)
		scan, scan_name = scan_pdf(log.acknowledgement_scan)
		ack = ""
		if log.acknowledgement == RECEIVED:
			ack = _("Received on {0}").format(fdate(log.acknowledgement_date, lang))
		elif log.acknowledgement == RETURNED:
			ack = _("Returned, not collected, on {0}").format(fdate(log.acknowledgement_date, lang))
		tracking = render_html_part(
			"letter",
			"",
			"",
			{
				**common_context(data),
				"stage": log.stage_name,
				"invoice": log.sales_invoice,
				"letter_date": fdate(log.relance_date, lang),
				"sending_method": _(log.sending_method) if log.sending_method else _("Not recorded"),
				"registered_number": log.registered_number or "",
				"posting_date": fdate(log.posting_date, lang) or _("Not recorded"),
				"acknowledgement": ack or (_("Awaited") if log.posting_date else ""),
				"scan": scan_name,
				"scan_included": bool(scan),
				"regenerated": regenerated,
			},
		)
		writer = PdfWriter()
		for pdf in (tracking.pdf, letter, scan):
			if pdf:
				writer.append(io.BytesIO(pdf))
		buf = io.BytesIO()
		writer.write(buf)
		pdf = buf.getvalue()
		title = f"{log.stage_name} – {log.sales_invoice}"
		out.append(Part("letter", title, title, pdf, pdf_pages(pdf)))
	return out


# --- promises, disputes, replies --------------------------------------------------------------


def outstanding_on(invoice: str, day: date) -> Decimal:
	"""The invoice's outstanding at the end of `day`, from the Payment Ledger (account currency)."""
	from frappe.query_builder.functions import Sum

	ple = frappe.qb.DocType("Payment Ledger Entry")
	value = (
		frappe.qb.from_(ple)
		.select(Sum(ple.amount_in_account_currency))
		.where(
			(ple.against_voucher_type == "Sales Invoice")
			& (ple.against_voucher_no == invoice)
			& (ple.delinked == 0)
			& (ple.posting_date <= day)
		)
		.run()
	)
	return to_decimal(value[0][0] if value and value[0][0] is not None else 0)


def hold_events(invoices: list[str]) -> list[dict]:
	"""Changes of the hold fields, from the invoices' Versions (set_hold, release_hold, the portal)."""
	events = []
	for v in frappe.get_all(
		"Version",
		filters={"ref_doctype": "Sales Invoice", "docname": ("in", invoices)},
		fields=["docname", "data", "creation", "owner"],
		order_by="creation asc",
	):
		try:
			changed = {c[0]: c[2] for c in json.loads(v.data).get("changed", []) if c[0] in HOLD_FIELDS}
		except (ValueError, TypeError, IndexError):
			continue
		if changed:
			events.append({"invoice": v.docname, "on": v.creation, "by": v.owner, "changed": changed})
	return events


def version_date(value) -> date | None:
	"""A date as a Version keeps it: ISO, or formatted with the system's date format (dd/mm/yyyy)."""
	if not value:
		return None
	text = str(value).strip()
	if re.match(r"^\d{4}-\d{2}-\d{2}", text):
		return getdate(text[:10])
	from frappe.utils.data import get_user_date_format

	day_first = get_user_date_format().lower().startswith("dd")
	return getdate(text, parse_day_first=day_first)


def promise_rows(data: FileData) -> list[dict]:
	"""Each hold as a period: a promise (kept, broken or pending, with what was paid by its date), a
	dispute or another pause, from the day it was set to the day it ended."""
	lang = data.language
	tolerance = data.policy.tolerance if data.policy else ZERO
	state: dict[str, dict] = {}
	periods: list[dict] = []
	for e in hold_events(data.invoices):
		current = state.setdefault(e["invoice"], {})
		open_period = current.get("period")
		values = {**current.get("values", {}), **e["changed"]}
		current["values"] = values
		on_hold = cint(values.get("relance_hold"))
		if open_period and (
			not on_hold or "relance_hold_reason" in e["changed"] or "relance_hold_until" in e["changed"]
		):
			open_period["ended"] = e["on"]
			current["period"] = None
		if on_hold and values.get("relance_hold_reason"):
			period = {
				"invoice": e["invoice"],
				"reason": values.get("relance_hold_reason"),
				"until": version_date(values.get("relance_hold_until")),
				"set_on": e["on"],
				"by": e["by"],
				"ended": None,
			}
			periods.append(period)
			current["period"] = period
	current = frappe.get_all(
		"Sales Invoice",
		filters={"name": ("in", data.invoices), "relance_hold": 1},
		fields=["name", "relance_hold_reason", "relance_hold_until"],
	)
	for si in current:  # a hold set without a trace in the Versions (a direct update): as it stands
		if not (state.get(si.name) or {}).get("period") and si.relance_hold_reason:
			periods.append(
				{
					"invoice": si.name,
					"reason": si.relance_hold_reason,
					"until": getdate(si.relance_hold_until) if si.relance_hold_until else None,
					"set_on": None,
					"by": "",
					"ended": None,
				}
			)
	rows = []
	for p in periods:
		set_day = getdate(p["set_on"]) if p["set_on"] else None
		row = {
			"invoice": p["invoice"],
			"kind": _("Payment promise") if p["reason"] == PROMISE else _(p["reason"]),
			"set_on": fdate(set_day, lang),
			"until": fdate(p["until"], lang),
			"ended": fdate(p["ended"], lang) if p["ended"] else "",
			"by": p["by"],
			"outcome": "",
		}
		if p["reason"] == PROMISE and p["until"]:
			before = outstanding_on(p["invoice"], set_day or p["until"])
			after = outstanding_on(p["invoice"], p["until"])
			paid = max(ZERO, before - after)
			currency = frappe.db.get_value("Sales Invoice", p["invoice"], "currency")
			if after <= tolerance:
				row["outcome"] = _("Kept: paid in full by {0}").format(fdate(p["until"], lang))
			elif p["until"] < data.as_of:
				row["outcome"] = (
					_("Broken: {0} paid by {1}, {2} still due").format(
						fmoney(paid, currency, lang), fdate(p["until"], lang), fmoney(after, currency, lang)
					)
					if paid > 0
					else _("Broken: nothing paid by {0}").format(fdate(p["until"], lang))
				)
			else:
				row["outcome"] = _("Pending")
		rows.append(row)
	return rows


def reply_rows(data: FileData) -> list[dict]:
	"""The customer's emails about these invoices (received Communications linked to them)."""
	comm = frappe.qb.DocType("Communication")
	link = frappe.qb.DocType("Communication Link")
	linked = (
		frappe.qb.from_(link)
		.select(link.parent)
		.where((link.link_doctype == "Sales Invoice") & link.link_name.isin(data.invoices))
	)
	rows = (
		frappe.qb.from_(comm)
		.select(
			comm.name,
			comm.communication_date,
			comm.sender,
			comm.subject,
			comm.content,
			comm.reference_name,
		)
		.where(
			(comm.sent_or_received == "Received")
			& (comm.communication_type == "Communication")
			& (
				((comm.reference_doctype == "Sales Invoice") & comm.reference_name.isin(data.invoices))
				| comm.name.isin(linked)
			)
		)
		.orderby(comm.communication_date)
		.run(as_dict=True)
	)
	return [
		{
			"date": format_datetime(r.communication_date, data.language),
			"sender": r.sender or "",
			"subject": r.subject or "",
			"excerpt": shorten(strip_html(r.content or ""), 600),
			"invoice": r.reference_name or "",
		}
		for r in rows
	]


def portal_answers(data: FileData) -> list[dict]:
	"""What the debtor answered on the debtor page (Relance Logs "Answered"): promises, disputes,
	"already paid", with the time, the IP address and the debtor's own words."""
	meta = frappe.get_meta("Relance Log")
	if not meta.has_field("answer"):
		return []
	lang = data.language
	rows = frappe.get_all(
		"Relance Log",
		filters={"sales_invoice": ("in", data.invoices), "status": "Answered"},
		fields=[
			"sales_invoice",
			"answer",
			"promised_date",
			"dispute_reason",
			"paid_on",
			"payment_reference",
			"answered_at",
			"remote_ip",
			"debtor_comment",
		],
		order_by="answered_at asc, creation asc",
	)
	out = []
	for r in rows:
		details = []
		if r.promised_date:
			details.append(_("promised for {0}").format(fdate(r.promised_date, lang)))
		if r.dispute_reason:
			details.append(_(r.dispute_reason))
		if r.paid_on:
			details.append(_("paid on {0}").format(fdate(r.paid_on, lang)))
		if r.payment_reference:
			details.append(html.unescape(r.payment_reference))
		out.append(
			{
				"invoice": r.sales_invoice,
				"date": format_datetime(r.answered_at, lang),
				"answer": _(r.answer or ""),
				"details": ", ".join(details),
				"comment": shorten(html.unescape(r.debtor_comment or ""), 600),
				"ip": r.remote_ip or "",
			}
		)
	return out


def shorten(text: str, limit: int) -> str:
	text = re.sub(r"\s+", " ", text).strip()
	return text if len(text) <= limit else text[: limit - 1] + "…"


def promises_part(data: FileData) -> Part:
	return render_html_part(
		"promises",
		_("Payment promises, disputes and replies"),
		_("Promises and disputes"),
		{
			**common_context(data),
			"holds": promise_rows(data),
			"answers": portal_answers(data),
			"replies": reply_rows(data),
		},
	)


# --- payments ---------------------------------------------------------------------------------


def payment_rows(data: FileData) -> tuple[list[dict], list[dict]]:
	"""What reduced each invoice's outstanding (payments, credit notes, journal entries), from the
	Payment Ledger, oldest first; and the totals per currency."""
	ple = frappe.qb.DocType("Payment Ledger Entry")
	rows = (
		frappe.qb.from_(ple)
		.select(
			ple.posting_date,
			ple.voucher_type,
			ple.voucher_no,
			ple.against_voucher_no,
			ple.amount_in_account_currency.as_("amount"),
			ple.account_currency,
		)
		.where(
			(ple.against_voucher_type == "Sales Invoice")
			& ple.against_voucher_no.isin(data.invoices)
			& (ple.voucher_no != ple.against_voucher_no)
			& (ple.delinked == 0)
		)
		.orderby(ple.posting_date)
		.orderby(ple.creation)
		.run(as_dict=True)
	)
	entries = [r.voucher_no for r in rows if r.voucher_type == "Payment Entry"]
	references = {
		p.name: p
		for p in frappe.get_all(
			"Payment Entry",
			filters={"name": ("in", entries or [""])},
			fields=["name", "reference_no", "reference_date", "mode_of_payment"],
		)
	}
	lang = data.language
	totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
	out = []
	for r in rows:
		amount = -to_decimal(r.amount)
		totals[r.account_currency] += amount
		pe = references.get(r.voucher_no)
		reference = ""
		if pe:
			reference = " – ".join(
				x for x in (pe.mode_of_payment and _(pe.mode_of_payment), pe.reference_no) if x
			)
		out.append(
			{
				"date": fdate(r.posting_date, lang),
				"voucher_type": _(r.voucher_type),
				"voucher_no": r.voucher_no,
				"invoice": r.against_voucher_no,
				"reference": reference,
				"amount": fmoney(amount, r.account_currency, lang),
			}
		)
	total_rows = [{"currency": c, "amount": fmoney(a, c, lang)} for c, a in sorted(totals.items())]
	return out, total_rows


def payments_part(data: FileData) -> Part:
	rows, totals = payment_rows(data)
	outstanding = defaultdict(lambda: ZERO)
	for c in data.candidates:
		outstanding[c.facts.currency] += c.facts.outstanding
	return render_html_part(
		"payments",
		_("Payments received"),
		_("Payments"),
		{
			**common_context(data),
			"rows": rows,
			"totals": totals,
			"outstanding": [
				{"currency": c, "amount": fmoney(a, c, data.language)} for c, a in sorted(outstanding.items())
			],
		},
	)


# --- output -----------------------------------------------------------------------------------


def merge_parts(parts: list[Part]) -> bytes:
	from pypdf import PdfWriter

	writer = PdfWriter()
	for p in parts:
		writer.append(io.BytesIO(p.pdf), outline_item=p.title)
	buf = io.BytesIO()
	writer.write(buf)
	return buf.getvalue()


def safe_name(text: str) -> str:
	return re.sub(r"[\\/:*?\"<>|]+", "-", text).strip()


def zip_parts(parts: list[Part]) -> bytes:
	buf = io.BytesIO()
	with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
		for i, p in enumerate(parts, start=1):
			z.writestr(f"{i:02d} {safe_name(p.slug or p.title)}.pdf", p.pdf)
	return buf.getvalue()


def save_file(doctype: str, name: str, file_name: str, content: bytes):
	file = frappe.get_doc(
		{
			"doctype": "File",
			"file_name": safe_name(file_name),
			"attached_to_doctype": doctype,
			"attached_to_name": name,
			"is_private": 1,
			"content": content,
		}
	)
	file.flags.ignore_permissions = True
	file.insert()
	return file


def record(data: FileData, file, cover: dict) -> None:
	"""A Comment on the timeline of the invoice (or the customer and each of its invoices)."""
	totals = ", ".join(t["total"] for t in cover["totals"])
	link = f'<a href="{file.file_url}">{frappe.utils.escape_html(file.file_name)}</a>'
	text = _("Collection file built on {0} by {1}: {2} (invoices {3}; total claimed {4}).").format(
		fdate(data.as_of, data.language),
		frappe.session.user,
		link,
		", ".join(data.invoices),
		totals,
	)
	reference = frappe.get_doc(data.reference_doctype, data.reference_name)
	reference.add_comment("Info", text)
	if data.reference_doctype == "Customer":
		for name in data.invoices:
			frappe.get_doc("Sales Invoice", name).add_comment("Info", text)
