"""The collection file and the letters' delivery, on a real site: an invoice taken through its stages
(relances 1 to 3 by email, a broken payment promise with a partial payment, the formal notice by
email and registered letter, approved, posted and acknowledged, then the court stage that waited for
the posting date, a dispute and a reply), then its file read back with pypdf: each part in order,
with the right dates and amounts; the ZIP holds the same documents; permissions refused."""

from __future__ import annotations

import io
import os
import re
import zipfile
from contextlib import contextmanager
from datetime import date

import frappe
from frappe.utils import add_days, get_datetime, getdate, now_datetime, today

from relance_app import api
from relance_app.api import record_letter_delivery
from relance_app.collection_file.building import file_language
from relance_app.constants import RECEIVED
from relance_app.constants import REGISTERED_LETTER as REGISTERED
from relance_app.constants import SIMPLE_LETTER as SIMPLE
from relance_app.data.invoices import load_policies, select_candidates
from relance_app.documents.message_data import invoice_penalties
from relance_app.engine.message import format_date, format_money
from relance_app.run import units as sender
from relance_app.run.daily import sync_email_statuses
from relance_app.tests.test_run import RelanceRunCase, run
from relance_app.tests.test_setup import make_user, second_company
from relance_app.tests.utils import (
	company,
	flush_queue,
	logs_of,
	make_customer,
	make_invoice,
	pay,
	policy_copy,
	spell_ligatures,
	unique,
)

TODAY = getdate(today())
DUE = add_days(TODAY, -100)
NUMBER = "1A 234 567 8901 2"
COURT = "Injonction de payer"


def day(offset: int) -> date:
	return getdate(add_days(TODAY, offset))


def fr(d) -> str:
	return format_date(getdate(d), "fr")


def eur(amount) -> str:
	return normal(format_money(amount, "EUR", "fr"))


def normal(text: str) -> str:
	"""Spaces as pypdf extracts them: no-break and narrow no-break spaces become plain ones."""
	return re.sub(r"[\s\u00a0\u202f]+", " ", spell_ligatures(text))


@contextmanager
def backdated(when: date, names: list[str]):
	"""What the block does happens on `when` (noon): "today" is `when` for the API's date checks,
	and the Versions, Comments and Communications it writes about `names` are dated `when`.
	(freezegun is not part of a bench's environment.)"""
	from unittest.mock import patch

	start = now_datetime()
	moment = get_datetime(f"{when} 12:00:00")
	in_test, frappe.flags.in_test = frappe.flags.in_test, False  # tests skip Versions; the site keeps them
	with (
		patch("relance_app.api.today", lambda: str(when)),
		patch("relance_app.holds.today", lambda: str(when)),
		patch("relance_app.common.args.today", lambda: str(when)),
		patch("relance_app.channels.letter.today", lambda: str(when)),
		patch("relance_app.holds.today", lambda: str(when)),
		patch("relance_app.overrides.sales_invoice.today", lambda: str(when)),
	):
		try:
			yield
		finally:
			frappe.flags.in_test = in_test
	for doctype, field in (
		("Version", "docname"),
		("Comment", "reference_name"),
		("Communication", "reference_name"),
	):
		table = frappe.qb.DocType(doctype)
		query = (
			frappe.qb.update(table)
			.set(table.creation, moment)
			.set(table.modified, moment)
			.where(table[field].isin(names) & (table.creation >= start))
		)
		if doctype == "Communication":
			query = query.set(table.communication_date, moment)
		query.run()


def pages_text(pdf: bytes) -> list[str]:
	from pypdf import PdfReader

	return [normal(p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf)).pages]


def file_content(result: dict) -> bytes:
	return frappe.get_doc("File", result["file"]).get_content()


def png() -> bytes:
	from PIL import Image, ImageDraw

	image = Image.new("RGB", (400, 200), "white")
	ImageDraw.Draw(image).text((20, 80), "AR signe", fill="black")
	buf = io.BytesIO()
	image.save(buf, format="PNG")
	return buf.getvalue()


class TestCollectionFile(RelanceRunCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		name = unique("Client Dossier")
		cls.address = f"{frappe.scrub(name)}@client.example"
		cls.customer = make_customer(name, cls.address, tax_id="FR40123456789")
		cls.policy = policy_copy(cls.customer, wait_for_posting=1)
		cls.policy.append("stages", {"stage_name": COURT, "offset_days": 60, "channel": "Phone task"})
		cls.policy.save()
		cls.si = make_invoice(cls.customer, DUE, amount=1000, posting_date=add_days(DUE, -30))
		si = cls.si.name

		run([si], as_of=day(-95))  # Relance 1 (J+5)
		run([si], as_of=day(-85))  # Relance 2 (J+15)
		with backdated(day(-80), [si]):
			api.record_payment_promise(si, day(-72))
		cls.payment = pay(si, amount=300, posting_date=day(-74))  # partial: the promise is broken
		run([si], as_of=day(-70))  # Relance 3 (J+30), the promise having passed
		run([si], as_of=day(-55))  # the formal notice waits for approval
		[notice] = [x for x in logs_of(si) if x.stage_name == "Mise en demeure"]
		cls.notice = notice.name
		cls.approved = sender.approve_log(cls.notice, day(-55))
		frappe.db.commit()  # nosemgrep: as approve_relances does
		flush_queue()
		sync_email_statuses()
		frappe.db.commit()  # nosemgrep

		# the court stage is due at J+60 but the notice has no posting date yet
		cls.status_before_posting = frappe.db.get_value("Sales Invoice", si, "relance_status")
		cls.before_posting = run([si], as_of=day(-40))
		cls.logs_before_posting = [x.stage_name for x in logs_of(si)]
		with backdated(day(-40), [si, cls.notice]):
			scan = frappe.get_doc(
				{"doctype": "File", "file_name": "accuse-reception.png", "content": png(), "is_private": 1}
			).insert()
			cls.recorded = record_letter_delivery(
				cls.notice,
				REGISTERED,
				registered_number=NUMBER,
				posting_date=str(day(-54)),
				acknowledgement=RECEIVED,
				acknowledgement_date=str(day(-51)),
				scan=scan.file_url,
			)
		frappe.db.commit()  # nosemgrep
		cls.after_posting = run([si], as_of=day(-40))

		with backdated(day(-30), [si]):
			api.set_hold(si, "Dispute")
		with backdated(day(-25), [si]):
			frappe.get_doc(
				{
					"doctype": "Communication",
					"communication_type": "Communication",
					"communication_medium": "Email",
					"sent_or_received": "Received",
					"sender": cls.address,
					"subject": f"Re: contestation {si}",
					"content": "Nous contestons la livraison du mois d'août.",
					"reference_doctype": "Sales Invoice",
					"reference_name": si,
				}
			).insert(ignore_permissions=True)
		with backdated(day(-20), [si]):
			api.release_hold(si)
		frappe.db.commit()  # nosemgrep

		cls.result = api.make_for_invoice(si)
		cls.pdf = file_content(cls.result)
		cls.pages = pages_text(cls.pdf)
		frappe.db.commit()  # nosemgrep
		out = os.environ.get("RELANCE_COLLECTION_FILE_OUT")
		if out:  # for the README's page images: pdftoppm -r 60 -l 2 FILE PREFIX
			with open(out, "wb") as f:
				f.write(cls.pdf)

	def setUp(self):
		# the scenario is built once; nothing to clear between checks (RelanceRunCase expires the queue)
		frappe.set_user("Administrator")

	def part(self, index: int) -> str:
		"""The text of the file's `index`-th part (0: cover), from its pages in the merged PDF."""
		p = self.result["parts"][index]
		return "\n".join(self.pages[p["first_page"] - 1 : p["first_page"] - 1 + p["pages"]])

	# --- letters and the run ---------------------------------------------------------------------

	def test_the_next_stage_waits_for_the_posting_date_of_the_notice(self):
		self.assertEqual(self.approved, "sent")
		self.assertEqual(self.status_before_posting, "Awaiting Posting")
		self.assertEqual(self.before_posting["stages_due"], 0)
		self.assertEqual(self.before_posting["counts"].get("awaiting_posting"), 1)
		self.assertNotIn(COURT, self.logs_before_posting)
		self.assertEqual(self.after_posting["stages_due"], 1)
		court = [x for x in logs_of(self.si.name) if x.stage_name == COURT]
		self.assertEqual([(x.status, getdate(x.relance_date)) for x in court], [("Sent", day(-40))])

	def test_letter_delivery_is_recorded_on_the_log_with_version_comment_and_private_scan(self):
		log = frappe.get_doc("Relance Log", self.notice)
		self.assertEqual(
			(log.sending_method, log.registered_number, log.posting_date, log.acknowledgement),
			(REGISTERED, NUMBER, day(-54), RECEIVED),
		)
		self.assertEqual(getdate(log.acknowledgement_date), day(-51))
		scan = frappe.get_doc("File", {"file_url": log.acknowledgement_scan})
		self.assertEqual(
			(scan.attached_to_doctype, scan.attached_to_name, scan.is_private), ("Relance Log", log.name, 1)
		)
		versions = frappe.get_all(
			"Version", {"ref_doctype": "Relance Log", "docname": log.name}, pluck="data"
		)
		self.assertTrue(any("registered_number" in v for v in versions))
		comments = frappe.get_all(
			"Comment",
			{"reference_doctype": "Sales Invoice", "reference_name": self.si.name, "comment_type": "Info"},
			pluck="content",
		)
		self.assertTrue(any(NUMBER in c for c in comments), comments)

	def test_letter_delivery_refuses_inconsistent_entries(self):
		frappe.db.savepoint("letters")
		try:
			cases = [
				{"sending_method": REGISTERED, "registered_number": NUMBER, "posting_date": str(day(-60))},
				{"sending_method": SIMPLE, "posting_date": str(day(-54)), "acknowledgement": RECEIVED},
				{"sending_method": REGISTERED, "posting_date": str(day(-54))},  # no number
				{"sending_method": SIMPLE, "registered_number": NUMBER},
				{"sending_method": REGISTERED, "registered_number": "<b>1</b>"},
				{
					"sending_method": REGISTERED,
					"registered_number": NUMBER,
					"posting_date": str(day(-54)),
					"acknowledgement": RECEIVED,
					"acknowledgement_date": str(day(-56)),
				},
				{"sending_method": REGISTERED, "registered_number": NUMBER, "posting_date": str(day(5))},
			]
			for kwargs in cases:
				with self.assertRaises(frappe.ValidationError, msg=kwargs):
					record_letter_delivery(self.notice, **kwargs)
			relance_1 = next(x for x in logs_of(self.si.name) if x.stage_name == "Relance 1")
			with self.assertRaises(frappe.ValidationError):  # an email is not a letter
				record_letter_delivery(relance_1.name, SIMPLE)
			user = make_user(f"{frappe.scrub(unique('sales'))}@example.com", ["Sales User"])
			with self.set_user(user), self.assertRaises(frappe.PermissionError):
				record_letter_delivery(self.notice, SIMPLE)
			self.assertEqual(frappe.db.get_value("Relance Log", self.notice, "registered_number"), NUMBER)
		finally:
			frappe.db.rollback(save_point="letters")

	# --- the file ----------------------------------------------------------------------------------

	def test_the_file_is_saved_private_on_the_invoice_and_logged(self):
		file = frappe.get_doc("File", self.result["file"])
		self.assertEqual(
			(file.attached_to_doctype, file.attached_to_name, file.is_private),
			("Sales Invoice", self.si.name, 1),
		)
		self.assertTrue(self.pdf.startswith(b"%PDF"))
		self.assertTrue(file.file_name.startswith("Dossier de recouvrement"), file.file_name)
		comments = frappe.get_all(
			"Comment",
			{"reference_doctype": "Sales Invoice", "reference_name": self.si.name, "comment_type": "Info"},
			pluck="content",
		)
		self.assertTrue(any(file.file_url in c for c in comments), comments)

	def test_the_parts_come_in_the_order_of_the_issue(self):
		titles = [p["title"] for p in self.result["parts"]]
		self.assertEqual(
			titles,
			[
				"Page de garde",
				f"Facture {self.si.name}",
				"Relevé de compte",
				"Relances telles qu'envoyées",
				f"Mise en demeure – {self.si.name}",
				"Promesses de paiement, litiges et réponses",
				"Paiements reçus",
			],
		)
		firsts = [p["first_page"] for p in self.result["parts"]]
		self.assertEqual(firsts, sorted(firsts))
		self.assertEqual(sum(p["pages"] for p in self.result["parts"]), len(self.pages))
		# the cover's contents give each part's first page
		for p in self.result["parts"][1:]:
			self.assertIn(normal(f"{p['title']} page {p['first_page']}"), self.part(0).replace("\n", " "))

	def test_cover_claims_principal_interest_and_indemnity_at_the_file_date(self):
		cover = self.part(0)
		candidate = select_candidates(load_policies(), invoice_names=[self.si.name], any_state=True)[0]
		_due, amount, penalties = invoice_penalties(candidate.facts, candidate.policy.policy, TODAY)
		self.assertEqual(amount, 700)
		self.assertEqual(penalties.indemnity, 40)
		self.assertGreater(penalties.interest, 0)
		# the payment of 300 on J-74 splits the interest: 1000 until that day, 700 after
		self.assertEqual([line.base for line in penalties.lines][:1], [1000])
		self.assertEqual(penalties.lines[-1].base, 700)
		self.assertEqual(sum(line.amount for line in penalties.lines), penalties.interest)
		expected = [
			"Dossier de recouvrement",
			"Créancier",
			company(),
			"Débiteur",
			self.customer,
			"FR40123456789",
			self.si.name,
			fr(DUE),
			eur(1000),
			eur(300),
			eur(700),
			eur(penalties.interest),
			eur(40),
		]
		for line in penalties.lines:
			expected += [fr(line.start), fr(line.end), eur(line.base), eur(line.amount)]
		expected += [
			"Total réclamé",
			eur(700 + penalties.interest + 40),
			"Taux appliqués",
			"L441-10",
			"D441-5",
		]
		self.assert_in_order(cover, expected)

	def test_the_invoice_and_the_statement_follow(self):
		self.assertIn(self.si.name, self.part(1))
		statement = self.part(2)
		# the statement formats money as the site does (symbol first): the figures only
		self.assert_in_order(statement, ["Relevé de compte", self.si.name, fr(DUE), "1 000,00", "700,00"])

	def test_every_relance_as_sent_with_recipients_subject_body_and_delivery(self):
		text = self.part(3)
		logs = {x.stage_name: x for x in logs_of(self.si.name)}
		expected = []
		for stage, offset in (
			("Relance 1", -95),
			("Relance 2", -85),
			("Relance 3", -70),
			("Mise en demeure", -55),
		):
			log = logs[stage]
			self.assertEqual(getdate(log.relance_date), day(offset))
			expected += [fr(day(offset)), stage, self.address, normal(log.subject)[:40]]
			expected.append("File d'e-mails")
		expected += [fr(day(-40)), COURT]
		self.assert_in_order(text, expected)
		# the body as rendered: the first relance states the amount then due and the invoice
		body_start = text.index(normal(logs["Relance 1"].subject)[:40])
		self.assertIn(eur(1000), text[body_start:])
		self.assertNotIn("Pré-relance", text)  # skipped: never reached the customer

	def test_the_notice_with_its_registered_mail_number_and_acknowledgement(self):
		text = self.part(4)
		self.assert_in_order(
			text,
			[
				"Mise en demeure",
				fr(day(-55)),
				"Lettre recommandée avec accusé de réception",
				"Numéro de recommandé",
				NUMBER,
				fr(day(-54)),
				f"Reçu le {fr(day(-51))}",
				"accuse-reception",
				# the letter itself, as produced for posting
				"mise en demeure",
				self.si.name,
				# then the scanned acknowledgement
				"Scan de l'accusé de réception",
			],
		)

	def test_promises_disputes_and_replies_with_their_dates(self):
		text = self.part(5)
		self.assert_in_order(
			text,
			[
				"Promesse de paiement",
				fr(day(-80)),
				fr(day(-72)),
				f"Non tenue : {eur(300)} payé au {fr(day(-72))}, {eur(700)} encore dû",
				"Litige",
				fr(day(-30)),
				fr(day(-20)),
				"Réponses du client",
				fr(day(-25)),
				self.address,
				"Re: contestation",
				"Nous contestons la livraison",
			],
		)

	def test_payments_received_from_the_ledger(self):
		text = self.part(6)
		self.assert_in_order(
			text,
			[
				"Paiements reçus",
				fr(day(-74)),
				self.payment.name,
				self.si.name,
				f"REF-{self.si.name}",
				eur(300),
				"Total reçu",
				eur(300),
				f"Reste dû au {fr(TODAY)}",
				eur(700),
			],
		)

	def test_the_zip_holds_the_same_documents(self):
		result = api.make_for_invoice(self.si.name, output="ZIP")
		self.assertTrue(result["file_name"].endswith(".zip"))
		with zipfile.ZipFile(io.BytesIO(file_content(result))) as z:
			names = sorted(z.namelist())
			self.assertEqual(len(names), len(self.result["parts"]))
			self.assertTrue(names[0].startswith("01 ") and names[-1].startswith("07 "), names)
			for name, part in zip(names, self.result["parts"], strict=True):
				pages = pages_text(z.read(name))
				self.assertEqual(len(pages), part["pages"], name)
				start = part["first_page"] - 1
				self.assertEqual(pages, self.pages[start : start + part["pages"]], name)

	# --- language and permissions -----------------------------------------------------------------

	def test_language_follows_the_customer_when_templates_exist_else_french(self):
		english = make_customer(unique("Client EN"), None, language="en")
		german = make_customer(unique("Kunde DE"), None, language="de")
		self.assertEqual(file_language(english, company()), "en")
		self.assertEqual(file_language(german, company()), "fr")
		self.assertEqual(file_language(self.customer, company()), "fr")
		si = make_invoice(english, add_days(TODAY, -20), amount=250)
		result = api.make_for_customer(english)
		self.assertEqual(result["language"], "en")
		text = "\n".join(pages_text(file_content(result)))
		for label in (
			"Collection file",
			"Creditor",
			"Debtor",
			"Total Claimed",
			"Statement of Account",
			"Payments received",
		):
			self.assertIn(label, text)
		self.assertNotIn("Dossier de recouvrement", text)
		self.assertIn(si.name, text)
		file = frappe.get_doc("File", result["file"])
		self.assertEqual((file.attached_to_doctype, file.attached_to_name), ("Customer", english))

	def test_a_user_without_access_is_refused(self):
		user = make_user(f"{frappe.scrub(unique('noaccess'))}@example.com", ["Blogger"])
		with self.set_user(user):
			with self.assertRaises(frappe.PermissionError):
				api.make_for_invoice(self.si.name)
			with self.assertRaises(frappe.PermissionError):
				api.make_for_customer(self.customer)

	def test_a_user_restricted_to_another_company_is_refused(self):
		other = second_company()
		user = make_user(f"{frappe.scrub(unique('autre'))}@example.com", ["Accounts User"])
		if not frappe.db.exists("User Permission", {"user": user, "allow": "Company", "for_value": other}):
			frappe.get_doc(
				{
					"doctype": "User Permission",
					"user": user,
					"allow": "Company",
					"for_value": other,
					"apply_to_all_doctypes": 1,
				}
			).insert(ignore_permissions=True)
		before = frappe.db.count("File", {"attached_to_name": ("in", [self.si.name, self.customer])})
		with self.set_user(user):
			self.assertFalse(frappe.has_permission("Sales Invoice", "read", doc=self.si.name))
			with self.assertRaises(frappe.PermissionError):
				api.make_for_invoice(self.si.name)
			with self.assertRaises(frappe.PermissionError):
				api.make_for_customer(self.customer, company=company())
			self.assertEqual(api.customer_companies(self.customer), [])
		after = frappe.db.count("File", {"attached_to_name": ("in", [self.si.name, self.customer])})
		self.assertEqual(before, after)

	def test_an_accounts_user_of_the_company_may_build_it(self):
		user = make_user(f"{frappe.scrub(unique('compta'))}@example.com", ["Accounts User"])
		with self.set_user(user):
			self.assertEqual(api.customer_companies(self.customer), [company()])
			result = api.make_for_customer(self.customer, output="ZIP")
		self.assertEqual(frappe.db.get_value("File", result["file"], "attached_to_doctype"), "Customer")
		self.assertEqual(frappe.db.get_value("File", result["file"], "owner"), user)

	# --- helpers ---------------------------------------------------------------------------------

	def assert_in_order(self, text: str, expected: list[str]):
		"""Each expected piece is found after the previous one."""
		flat = text.replace("\n", " ")
		position = 0
		for piece in expected:
			piece = normal(str(piece))
			found = flat.find(piece, position)
			if found < 0:
				earlier = flat.find(piece)
				where = f"found earlier at {earlier}" if earlier >= 0 else "absent"
				self.fail(f"{piece!r} not found after position {position} ({where}) in:\n{flat[:6000]}")
			position = found + len(piece)
