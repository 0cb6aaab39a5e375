"""Helpers of the integration suite: a real SMTP server on loopback, customers, invoices, payments."""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field

import frappe
from frappe.utils import add_days, flt, getdate

COMPANY = None
ITEM = "Relance Test Service"
SMTP_ACCOUNT = "Relance Test SMTP"


def company() -> str:
	global COMPANY
	if not COMPANY:
		COMPANY = (
			frappe.db.get_single_value("Global Defaults", "default_company")
			or frappe.get_all("Company", pluck="name", limit=1)[0]
		)
	return COMPANY


# --- what a test class changes, and only that ----------------------------------------------------

# the invoices the tests of this process made: the Email Queue rows a test sends or sets aside are
# theirs, never another run's
CREATED_INVOICES: set[str] = set()
# the Singles the integration suite changes
SINGLES = ("Relance Settings", "Print Settings")
BOOKKEEPING = ("name", "doctype", "owner", "creation", "modified", "modified_by", "docstatus", "idx")


class SiteState:
	"""What a test class is about to change on the site, read first and written back at the end:
	the Singles' values and which Email Account sends by default."""

	def __init__(self, singles=SINGLES):
		self.singles = {doctype: self.values(doctype) for doctype in singles}
		self.accounts = {
			a.name: a.default_outgoing
			for a in frappe.get_all("Email Account", fields=["name", "default_outgoing"])
		}

	@staticmethod
	def values(doctype: str) -> dict:
		return {k: v for k, v in frappe.db.get_singles_dict(doctype).items() if k not in BOOKKEEPING}

	def restore(self) -> None:
		"""Every value as it was read (and an Email Account made since removed), committed."""
		frappe.db.rollback()
		for doctype, values in self.singles.items():
			now = self.values(doctype)
			changed = {k: v for k, v in values.items() if now.get(k) != v}
			for key in set(now) - set(values):  # a value first written by the test
				changed[key] = None
			if changed:
				frappe.db.set_single_value(doctype, changed)
			frappe.clear_document_cache(doctype, doctype)
		for account in frappe.get_all("Email Account", fields=["name", "default_outgoing"]):
			if account.name not in self.accounts:
				frappe.delete_doc("Email Account", account.name, ignore_permissions=True, force=True)
			elif account.default_outgoing != self.accounts[account.name]:
				frappe.db.set_value(
					"Email Account", account.name, "default_outgoing", self.accounts[account.name]
				)
		frappe.db.commit()  # nosemgrep: the class committed its changes; it commits their undoing


@contextmanager
def settings_changed(doctype: str, values: dict, commit: bool = False):
	"""`values` in the Single for the block, then each field back to what it was; committed around
	the block when other connections (a worker, the web server) must read them."""
	before = {key: frappe.db.get_single_value(doctype, key) for key in values}
	frappe.db.set_single_value(doctype, values)
	frappe.clear_document_cache(doctype, doctype)
	if commit:
		frappe.db.commit()  # nosemgrep
	try:
		yield
	finally:
		frappe.db.set_single_value(doctype, before)
		frappe.clear_document_cache(doctype, doctype)
		if commit:
			frappe.db.commit()  # nosemgrep


def own_unsent_emails() -> list[str]:
	"""The Email Queue rows still to send about this process's invoices, oldest first."""
	if not CREATED_INVOICES:
		return []
	return frappe.get_all(
		"Email Queue",
		filters={"status": "Not Sent", "reference_name": ("in", sorted(CREATED_INVOICES))},
		pluck="name",
		order_by="creation asc",
	)


def reset_own_rate_limits(methods, ips=("127.0.0.1",)) -> None:
	"""The rate limiter's counters of these methods for the addresses the tests call from: what the
	tests' own earlier requests counted (in this run or a run an hour before) is not this test's."""
	for method in methods:
		for ip in ips:
			frappe.cache.delete_value(f"rl:{method}:{ip}")


def set_aside_own_emails() -> None:
	"""What earlier tests of this process left unsent is not the next test's mail: Expired. Nobody
	else's row is touched."""
	for name in own_unsent_emails():
		frappe.db.set_value("Email Queue", name, "status", "Expired", update_modified=False)


# --- SMTP ---------------------------------------------------------------------------------------


@dataclass
class Captured:
	mail_from: str
	rcpt_tos: list[str]
	raw: bytes
	message: email.message.EmailMessage = field(init=False)

	def __post_init__(self):
		self.message = email.message_from_bytes(self.raw, policy=email.policy.default)

	@property
	def subject(self) -> str:
		return str(self.message["Subject"])

	def body_text(self) -> str:
		part = self.message.get_body(preferencelist=("html", "plain"))
		return part.get_content() if part else ""

	def pdfs(self) -> list[tuple[str, bytes]]:
		out = []
		for part in self.message.iter_attachments():
			if part.get_content_type() == "application/pdf" or (part.get_filename() or "").endswith(".pdf"):
				out.append((part.get_filename(), part.get_payload(decode=True)))
		return out


class SMTPCapture:
	"""aiosmtpd on 127.0.0.1: every message the app sends is captured and parsed."""

	def __init__(self):
		from aiosmtpd.controller import Controller

		self.messages: list[Captured] = []
		self.lock = threading.Lock()
		outer = self

		class Handler:
			async def handle_DATA(self, server, session, envelope):
				with outer.lock:
					outer.messages.append(
						Captured(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
					)
				return "250 OK"

		self.port = free_port()
		self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

	def start(self):
		self.controller.start()
		return self

	def stop(self):
		self.controller.stop()

	def clear(self):
		with self.lock:
			self.messages.clear()

	def to(self, address: str) -> list[Captured]:
		return [m for m in self.messages if address in m.rcpt_tos]


def free_port() -> int:
	with socket.socket() as s:
		s.bind(("127.0.0.1", 0))
		return s.getsockname()[1]


def loopback_email_account(name: str, email_id: str, port: int, default_outgoing: int = 0):
	"""An outgoing Email Account (created or updated) that sends to the SMTP server on loopback."""
	values = {
		"email_id": email_id,
		"email_account_name": name,
		"enable_outgoing": 1,
		"default_outgoing": default_outgoing,
		"smtp_server": "127.0.0.1",
		"smtp_port": port,
		"use_tls": 0,
		"use_ssl_for_outgoing": 0,
		"no_smtp_authentication": 1,
		"enable_incoming": 0,
		"add_signature": 0,
		"track_email_status": 0,
		"send_unsubscribe_message": 0,
	}
	if frappe.db.exists("Email Account", name):
		doc = frappe.get_doc("Email Account", name)
		doc.update(values)
		doc.save(ignore_permissions=True)
	else:
		doc = frappe.get_doc({"doctype": "Email Account", **values})
		doc.insert(ignore_permissions=True)
	return doc


def setup_email_account(port: int) -> str:
	"""The default outgoing Email Account, pointed at the loopback SMTP server."""
	doc = loopback_email_account(SMTP_ACCOUNT, "relances@relance-test.example", port, default_outgoing=1)
	for other in frappe.get_all(
		"Email Account", filters={"name": ("!=", SMTP_ACCOUNT), "default_outgoing": 1}, pluck="name"
	):
		frappe.db.set_value("Email Account", other, "default_outgoing", 0)
	frappe.db.set_single_value("Print Settings", "send_print_as_pdf", 1)
	# Debian's wkhtmltopdf is unpatched: it cannot repeat headers, and the print heading (with the
	# invoice number) would be lost in the PDF; keep it in the page body.
	frappe.db.set_single_value("Print Settings", "repeat_header_footer", 0)
	return doc.name


def flush_queue() -> int:
	"""Send what the Email Queue holds about this process's invoices, through the real SMTP path."""
	frappe.flags.testing_email = True
	frappe.flags.mute_emails = False
	sent = 0
	for name in own_unsent_emails():
		frappe.get_doc("Email Queue", name).send(force_send=True)
		sent += 1
	return sent


def pdf_text(data: bytes) -> str:
	"""Text of a PDF, for asserting the invoice number is in it."""
	import io

	from pypdf import PdfReader

	reader = PdfReader(io.BytesIO(data))
	return spell_ligatures("\n".join(page.extract_text() or "" for page in reader.pages))


def spell_ligatures(text: str) -> str:
	"""The fonts' ligatures (ff, fi, fl ...: U+FB00-FB06) come out of pypdf as one character, so a
	random name with "ff" in it would not be found: spell them out."""
	return re.sub("[\ufb00-\ufb06]", lambda m: unicodedata.normalize("NFKC", m.group()), text)


# --- documents ----------------------------------------------------------------------------------


def make_item() -> str:
	if not frappe.db.exists("Item", ITEM):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": ITEM,
				"item_name": ITEM,
				"item_group": frappe.db.get_value("Item Group", {"is_group": 0}, "name") or "All Item Groups",
				"stock_uom": "Nos",
				"is_stock_item": 0,
				"include_item_in_manufacturing": 0,
			}
		).insert(ignore_permissions=True)
	return ITEM


def make_customer(
	name: str, email_id: str | None = None, customer_type="Company", language="fr", **kw
) -> str:
	if frappe.db.exists("Customer", name):
		return name
	cust = frappe.get_doc(
		{
			"doctype": "Customer",
			"customer_name": name,
			"customer_type": customer_type,
			"language": language,
			"customer_group": kw.pop("customer_group", None)
			or frappe.db.get_value("Customer Group", {"is_group": 0}, "name"),
			"territory": frappe.db.get_value("Territory", {"is_group": 0}, "name") or "All Territories",
			**kw,
		}
	).insert(ignore_permissions=True)
	if email_id:
		contact = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": name,
				"is_primary_contact": 1,
				"email_ids": [{"email_id": email_id, "is_primary": 1}],
				"links": [{"link_doctype": "Customer", "link_name": cust.name}],
			}
		).insert(ignore_permissions=True)
		cust.db_set("customer_primary_contact", contact.name)
	return cust.name


def make_invoice(
	customer: str, due_date, amount=1000.0, posting_date=None, submit=True, contact_email=None, **kw
):
	make_item()
	due_date = getdate(due_date)
	posting_date = getdate(posting_date or add_days(due_date, -30))
	si = frappe.get_doc(
		{
			"doctype": "Sales Invoice",
			"company": company(),
			"customer": customer,
			"set_posting_time": 1,
			"posting_date": posting_date,
			"due_date": due_date,
			"currency": "EUR",
			"items": [{"item_code": ITEM, "qty": 1, "rate": flt(amount)}],
			**kw,
		}
	)
	si.insert(ignore_permissions=True)
	CREATED_INVOICES.add(si.name)
	if contact_email is not None:
		si.db_set("contact_email", contact_email)
	if submit:
		si.submit()
	return si


def pay(invoice: str, amount=None, posting_date=None, doctype: str = "Sales Invoice", received=None):
	"""A Payment Entry of the invoice, submitted: `amount` in the party account's currency (all that is
	owed when None), `received` in the company's when they differ."""
	from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

	pe = get_payment_entry(doctype, invoice)
	if posting_date:
		pe.posting_date = getdate(posting_date)
	if amount is not None:
		pe.paid_amount = pe.received_amount = flt(amount)
		pe.references[0].allocated_amount = flt(amount)
	if received is not None:
		pe.received_amount = flt(received)
		pe.source_exchange_rate = flt(received) / flt(amount)
		pe.base_paid_amount = pe.base_received_amount = flt(received)
	pe.reference_no = f"REF-{invoice}"
	pe.reference_date = pe.posting_date
	pe.insert(ignore_permissions=True)
	pe.submit()
	return pe


def ensure_fiscal_year(year: int) -> None:
	if not frappe.db.exists("Fiscal Year", {"year_start_date": f"{year}-01-01"}):
		frappe.get_doc(
			{
				"doctype": "Fiscal Year",
				"year": str(year),
				"year_start_date": f"{year}-01-01",
				"year_end_date": f"{year}-12-31",
			}
		).insert(ignore_permissions=True)


def logs_of(invoice: str) -> list[dict]:
	return frappe.get_all(
		"Relance Log",
		filters={"sales_invoice": invoice},
		fields=[
			"name",
			"stage_name",
			"status",
			"relance_date",
			"communication",
			"email_queue",
			"reason",
			"recipients",
			"subject",
			"attempts",
			"group_id",
		],
		order_by="relance_date asc, creation asc",
	)


def default_policy() -> str:
	return frappe.db.get_value("Dunning Policy", {"company": company(), "is_default": 1}, "name")


def unique(prefix: str) -> str:
	return f"{prefix} {frappe.generate_hash(length=6)}"


def invoice_number_in(text: str, invoice: str) -> bool:
	return bool(re.search(re.escape(invoice), text))


def policy_copy(customer, changes=None, **values):
	"""A policy of the customer's own: a copy of the default with policy `values` and stage
	`changes` {stage index: values}."""
	policy = frappe.copy_doc(frappe.get_doc("Dunning Policy", default_policy()))
	policy.policy_name = unique("Variant")
	policy.is_default = 0
	policy.update(values)
	for idx, values in (changes or {}).items():
		policy.stages[idx].update(values)
	policy.insert()
	frappe.db.set_value("Customer", customer, "dunning_policy", policy.name)
	return policy


# --- background jobs -------------------------------------------------------------------------------


class PrivateQueue:
	"""A Redis of its own for background jobs (FRAPPE_REDIS_QUEUE, read by Frappe's config at init):
	the processes started with `env` enqueue and work only there, and nobody else's job reaches them
	(the bench's own queues are never emptied)."""

	def __init__(self):
		port = free_port()
		server = shutil.which("redis-server") or "redis-server"
		self.process = subprocess.Popen(
			[server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
			stdout=subprocess.DEVNULL,
			stderr=subprocess.DEVNULL,
		)
		self.url = f"redis://127.0.0.1:{port}"
		self.env = {**os.environ, "FRAPPE_REDIS_QUEUE": self.url}
		deadline = time.monotonic() + 20
		while time.monotonic() < deadline:
			try:
				with socket.create_connection(("127.0.0.1", port), timeout=1):
					break
			except OSError:
				time.sleep(0.1)

	def stop(self):
		self.process.terminate()
		self.process.wait(10)

	def __enter__(self):
		return self

	def __exit__(self, *exc):
		self.stop()


# --- whitelisted methods' arguments ------------------------------------------------------------------


def good_value(spec, documents: dict, day, what: str = "argument"):
	"""A value an argument spec (relance_app.common.args) accepts and that never makes the call change
	something: `documents` names a document per DocType, `day` is the date given."""
	import json

	kind = spec.kind
	if kind == "date":
		return str(day)
	if kind == "int":
		return spec.default if spec.default is not None else max(spec.minimum, 1)
	if kind == "bool":
		return True  # run_dunning's dry_run: a good value never means a real run
	if kind == "choice":
		return spec.options[0]
	if kind == "text":
		return "Dispute"
	if kind == "doc":
		return documents[spec.doctype]
	if kind == "doclist":
		return json.dumps([documents[spec.doctype]])
	raise AssertionError(f"{what}: no good value for kind {kind!r}: add one to tests/utils.good_value")
