"""Money already in the bank, and the SEPA QR code, with real Bank Account and Bank Transaction documents:
a matching deposit holds the relance, an unrelated one does not, reconciling it with the Payment Entry
closes the invoice and the relance never goes; the QR code read back from the email's inline image and
from the PDFs carries every field of the transfer."""

from __future__ import annotations

import io
import json
import os
import subprocess
import tempfile
from decimal import Decimal

import frappe
import zxingcpp
from frappe.utils import add_days, flt, getdate, today
from PIL import Image

from relance_app.analytics.register import register_rows
from relance_app.collection_file.building import for_invoice
from relance_app.constants import PAYMENT_FOUND, STATUS_PAID, STATUS_PAYMENT_FOUND
from relance_app.documents.letter_print import letter_pdf
from relance_app.engine import register as G
from relance_app.engine.payment_ref import format_reference, rf_reference
from relance_app.engine.sepa_qr import parse_payload
from relance_app.tests.test_debtor_page import IP, PortalCase, as_guest
from relance_app.tests.test_run import run
from relance_app.tests.utils import (
	company,
	flush_queue,
	logs_of,
	make_invoice,
	pay,
	reset_own_rate_limits,
	unique,
)

TODAY = getdate(today())
IBAN = "DE89370400440532013000"
BIC = "COBADEFFXXX"
GL_BANK = "Bank Account - {abbr}"


def read_qr(png: bytes) -> dict:
	"""The EPC fields of the one QR code in an image."""
	found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
	assert len(found) == 1, f"{len(found)} QR codes in the image"
	return parse_payload(found[0].text)


def pdf_qr(pdf: bytes, page: int = 1) -> dict:
	"""The QR code of a PDF's page, rendered as the reader's eye sees it (pdftoppm, 150 dpi)."""
	with tempfile.TemporaryDirectory() as folder:
		path = os.path.join(folder, "doc.pdf")
		with open(path, "wb") as f:
			f.write(pdf)
		subprocess.run(
			["pdftoppm", "-png", "-r", "150", "-f", str(page), "-l", str(page), path, f"{folder}/p"],
			check=True,
		)
		(image,) = [n for n in os.listdir(folder) if n.endswith(".png")]
		with open(os.path.join(folder, image), "rb") as f:
			return read_qr(f.read())


def inline_images(mail) -> list:
	"""The email's inline images (Content-ID), as the SMTP server received them."""
	return [p for p in mail.message.walk() if p.get_content_type() == "image/png" and p["Content-ID"]]


class TestBank(PortalCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.made: list[tuple[str, str]] = []  # what this class made, removed at the end (last first)
		abbr = frappe.get_cached_value("Company", company(), "abbr")
		bank = frappe.db.get_value("Bank", {"swift_number": BIC})
		if not bank:
			bank = frappe.get_doc({"doctype": "Bank", "bank_name": unique("Banque"), "swift_number": BIC})
			bank = bank.insert().name
			cls.made.append(("Bank", bank))
		# the company's default account: the others' default flag is given back at the end
		cls.defaults = frappe.get_all(
			"Bank Account", filters={"is_company_account": 1, "is_default": 1}, pluck="name"
		)
		gl = GL_BANK.format(abbr=abbr)
		used = frappe.db.get_value("Bank Account", {"account": gl})
		account = frappe.get_doc(
			{
				"doctype": "Bank Account",
				"account_name": unique("Compte"),
				"bank": bank,
				"is_company_account": 1,
				"is_default": 1,
				"company": company(),
				"iban": IBAN,
				"account": None if used else gl,
			}
		).insert()
		cls.made.append(("Bank Account", account.name))
		cls.bank_account, cls.gl = account.name, account.account
		cls.company_name = frappe.db.get_value("Company", company(), "company_name")
		frappe.db.commit()  # nosemgrep: the run commits per unit and reads the bank afresh

	@classmethod
	def tearDownClass(cls):
		frappe.db.rollback()
		for bt in frappe.get_all("Bank Transaction", {"bank_account": cls.bank_account}, pluck="name"):
			doc = frappe.get_doc("Bank Transaction", bt)
			if doc.docstatus == 1:
				doc.cancel()
			frappe.delete_doc("Bank Transaction", bt, ignore_permissions=True, force=True)
		# the Payment Entries paid this class's invoices: they stay, without the account removed
		pe = frappe.qb.DocType("Payment Entry")
		frappe.qb.update(pe).set(pe.bank_account, None).where(pe.bank_account == cls.bank_account).run()
		for doctype, name in reversed(cls.made):
			frappe.delete_doc(doctype, name, ignore_permissions=True, force=True)
		for name in cls.defaults:
			frappe.db.set_value("Bank Account", name, "is_default", 1)
		frappe.db.commit()  # nosemgrep
		super().tearDownClass()

	def deposit(self, amount, text="", party=None):
		bt = frappe.get_doc(
			{
				"doctype": "Bank Transaction",
				"date": TODAY,
				"bank_account": self.bank_account,
				"company": company(),
				"currency": "EUR",
				"deposit": flt(amount),
				"description": text,
				"party_type": "Customer" if party else None,
				"party": party,
			}
		)
		bt.insert(ignore_permissions=True)
		bt.submit()
		frappe.db.commit()  # nosemgrep: the run's units read the bank in their own transaction
		return bt

	def open_todos(self, invoice):
		return frappe.get_all(
			"ToDo",
			filters={"reference_type": "Sales Invoice", "reference_name": invoice, "status": "Open"},
			pluck="description",
		)

	# --- the bank check ----------------------------------------------------------------------------

	def test_matching_deposit_holds_the_relance_reconciling_it_closes_the_invoice(self):
		customer, address = self.customer()
		si = make_invoice(customer, add_days(TODAY, -10), amount=840)
		bt = self.deposit(840, f"VIR SEPA {customer} FACT {si.name}")

		result = run([si])
		self.assertEqual(result["counts"].get(PAYMENT_FOUND), 1, result)
		[held] = [x for x in logs_of(si.name) if x.stage_name == "Relance 1"]
		self.assertEqual(held.status, "Skipped")
		self.assertIn(bt.name, held.reason)
		self.assertEqual(frappe.db.get_value("Relance Log", held.name, "reason_code"), PAYMENT_FOUND)
		self.assertEqual(
			frappe.db.get_value("Sales Invoice", si.name, "relance_status"), STATUS_PAYMENT_FOUND
		)
		[todo] = [t for t in self.open_todos(si.name) if f"[relance:{PAYMENT_FOUND}]" in t]
		self.assertIn(bt.name, todo)
		[row] = register_rows({"company": company(), "customer": customer})
		self.assertEqual((row.procedure, row.procedure_detail), (G.PAYMENT_FOUND, bt.name))
		self.assertEqual(flush_queue(), 0)

		# the accountant reconciles the deposit with the payment: the invoice is paid, nothing goes
		from erpnext.accounts.doctype.bank_reconciliation_tool.bank_reconciliation_tool import (
			reconcile_vouchers,
		)

		pe = pay(si.name)  # into the company's default bank account, as ERPNext proposes it
		self.assertEqual((pe.bank_account, pe.paid_to), (self.bank_account, self.gl))
		reconcile_vouchers(
			bt.name,
			json.dumps([{"payment_doctype": "Payment Entry", "payment_name": pe.name, "amount": 840}]),
		)
		frappe.db.commit()  # nosemgrep
		self.assertEqual(flt(frappe.db.get_value("Bank Transaction", bt.name, "unallocated_amount")), 0)
		run([si], as_of=add_days(TODAY, 1))
		self.assertEqual(frappe.db.get_value("Sales Invoice", si.name, "relance_status"), STATUS_PAID)
		self.assertEqual([x.status for x in logs_of(si.name) if x.stage_name == "Relance 1"], ["Skipped"])
		self.assertEqual(flush_queue(), 0)
		self.assertEqual(self.smtp.to(address), [])

	def test_unrelated_deposits_do_not_hold(self):
		customer, address = self.customer()
		other, _ = self.customer()
		si = make_invoice(customer, add_days(TODAY, -10), amount=515)
		other_si = make_invoice(other, add_days(TODAY, 20), amount=700)
		self.deposit(515, "Paiement", party=other)  # the same amount, paid by another customer
		self.deposit(90, f"Facture {other_si.name}")  # another invoice named
		self.deposit(515, "Virement sans référence")  # nobody known, an amount alone
		run([si])
		[log] = [x for x in logs_of(si.name) if x.stage_name == "Relance 1"]
		self.assertEqual(log.status, "Queued")
		self.assertEqual(flush_queue(), 1)
		self.assertEqual(len(self.smtp.to(address)), 1)

	def test_money_for_something_else_lets_the_held_stage_go(self):
		customer, _address = self.customer()
		first = make_invoice(customer, add_days(TODAY, -10), amount=300)
		second = make_invoice(customer, add_days(TODAY, -10), amount=200)
		bt = self.deposit(500, "Règlement", party=customer)  # both invoices, one transfer
		run([first, second])
		held = {
			x.sales_invoice
			for x in frappe.get_all(
				"Relance Log",
				filters={"sales_invoice": ("in", [first.name, second.name]), "reason_code": PAYMENT_FOUND},
				fields=["sales_invoice"],
			)
		}
		self.assertEqual(held, {first.name, second.name})
		self.assertEqual(flush_queue(), 0)
		# the accountant finds the money was not for these invoices: the transfer is cancelled
		frappe.get_doc("Bank Transaction", bt.name).cancel()
		frappe.db.commit()  # nosemgrep
		run([first, second], as_of=add_days(TODAY, 1))
		for si in (first, second):
			[log] = [x for x in logs_of(si.name) if x.stage_name == "Relance 1"]  # the same row, taken over
			self.assertEqual(log.status, "Queued")
			self.assertEqual(frappe.db.get_value("Relance Log", log.name, "reason_code"), "")
		self.assertGreaterEqual(flush_queue(), 1)

	def test_already_paid_on_the_debtor_page_tells_the_accountant_the_deposit(self):
		from relance_app import portal

		customer, _ = self.customer()
		si = make_invoice(customer, add_days(TODAY, -10), amount=260)
		bt = self.deposit(260, rf_reference(si.name))  # the reference printed in the relance
		reset_own_rate_limits(["relance_app.portal.already_paid"], ips=(IP,))
		with as_guest():
			portal.already_paid(token=self.token(customer), sales_invoice=si.name, paid_on=str(TODAY))
		[todo] = self.open_todos(si.name)  # the answer's, no run has held anything
		self.assertIn(f"/app/bank-transaction/{bt.name}", todo)

	# --- the SEPA QR code --------------------------------------------------------------------------

	def expected(self, si, amount):
		return {
			"service_tag": "BCD",
			"version": "002",
			"charset": "1",
			"identification": "SCT",
			"bic": BIC,
			"name": self.company_name[:70],
			"iban": IBAN,
			"currency": "EUR",
			"amount": Decimal(amount),
			"purpose": "",
			"reference": rf_reference(si.name),
			"text": "",
		}

	def test_qr_code_in_the_email_and_the_pdfs_reads_back(self):
		customer, address = self.customer()
		si = make_invoice(customer, add_days(TODAY, -50), amount=1234.5)
		run([si])
		flush_queue()
		[mail] = self.smtp.to(address)
		[image] = inline_images(mail)
		png = image.get_payload(decode=True)
		self.assertEqual(read_qr(png), self.expected(si, "1234.50"))
		html = mail.message.get_body(("html",)).get_content()
		self.assertIn(f'src="cid:{image["Content-ID"].strip("<>")}"', html)
		self.assertNotIn("data:image", html)
		text = mail.message.get_body(("plain",)).get_content()
		reference = format_reference(rf_reference(si.name))
		# the text fallback: every field of the code in words
		for fallback in ("IBAN : DE89 3704 0044 0532 0130 00", f"BIC : {BIC}", "234,50", reference):
			self.assertIn(fallback, text)
		self.assertNotIn("base64", text)

		pdf = letter_pdf(si.name, "Mise en demeure", TODAY)
		self.assertEqual(pdf_qr(pdf), self.expected(si, "1234.50"))

		result = for_invoice(si.name)
		cover = frappe.get_doc("File", result["file"]).get_content()
		self.assertEqual(pdf_qr(cover, page=1), self.expected(si, "1234.50"))

	def test_no_code_for_another_currency(self):
		from relance_app.documents.sepa_qr import invoice_transfer

		details = invoice_transfer({"iban": IBAN, "bic": BIC}, "X", "SI-1", 100, "USD", "fr")
		self.assertIsNone(details["payload"])
		self.assertEqual(details["src"], "")
		self.assertTrue(details["reference"].startswith("RF"))
