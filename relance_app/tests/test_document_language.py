"""One language per document, whatever the site's, the user's or the worker's (issue 22).

The same Relance 3 (with penalties, after two earlier relances), its letter, the collection file and
the debtor page's confirmation email, on a site in English and on a site in French (System Settings
and the user's language), for customers in `fr`, `en`, none, `de` (no templates) under the shipped
policy (French stages, English variants), and an `en` customer under a policy with French templates
only: each document is wholly in its language (no month name, word, number or percentage format of
the other), and the same on both sites."""

from __future__ import annotations

import email
import email.policy
import re

import frappe
from frappe.utils import add_days, getdate, today

from relance_app import portal
from relance_app.collection_file.building import for_invoice
from relance_app.documents.letter_print import letter_pdf
from relance_app.tests.test_debtor_page import PortalCase, as_guest
from relance_app.tests.test_run import run
from relance_app.tests.utils import (
	logs_of,
	make_invoice,
	pdf_text,
	policy_copy,
	set_aside_own_emails,
	settings_changed,
)

TODAY = getdate(today())
MONTHS = {
	"fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
	"en": "January February March April May June July August September October November December",
}
# what gives away the other language: words, and numbers, amounts and percentages as it writes them
FOREIGN = {
	"fr": [  # in a French document, nothing English
		*(rf"\b{m}\b" for m in MONTHS["en"].split()),
		r"\ba year\b",
		r"\bdays\b",
		r"\bInvoice\b",
		r"\bDear\b",
		r"\d,\d{3}\.\d\d",  # 10,000.00
		r"\d\.\d\d ?%",  # 14.50%
		r"[€$£]\d",  # €10
	],
	"en": [  # in an English document, nothing French
		*(rf"(?<![\w'’])(?i:{m})(?![\w])" for m in MONTHS["fr"].split()),
		r"l'an\b",
		r"\bjours\b",
		r"\bFacture\b",
		r"\bMadame\b",
		r"\d,\d\d[\s\u00a0\u202f]?[€%]",  # 10 000,00 € / 14,50 %
		r"\d[\u202f\u00a0]\d{3}",  # 10 000
	],
}
SHEET = "Mise en demeure"


def foreign(text: str, language: str) -> list[str]:
	return [m.group() for pattern in FOREIGN[language] for m in re.finditer(pattern, text)]


def parts_of(queue: str) -> tuple[str, str]:
	"""(HTML, text) of the email as the Email Queue holds it."""
	raw = frappe.db.get_value("Email Queue", queue, "message")
	msg = email.message_from_string(raw, policy=email.policy.default)
	html = msg.get_body(("html",)).get_content()
	text = msg.get_body(("plain",)).get_content()
	return html, text


def visible(html: str) -> str:
	"""The words of an HTML body (no tags, no styles)."""
	html = re.sub(r"<(style|head)[^>]*>.*?</\1>", " ", html, flags=re.S | re.I)
	return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&nbsp;", " ")


class TestDocumentLanguage(PortalCase):
	CUSTOMERS = (  # (label, customer language, French templates only, the documents' language)
		("fr", "fr", False, "fr"),
		("en", "en", False, "en"),
		("none", None, False, "fr"),
		("de", "de", False, "fr"),
		("en, French-only policy", "en", True, "fr"),
	)

	def test_every_document_in_one_language_on_an_english_and_a_french_site(self):
		seen = {}
		for site_language in ("en", "fr"):
			for label, language, french_only, expected in self.CUSTOMERS:
				with self.subTest(site=site_language, customer=label):
					docs = self.documents(site_language, language, french_only, expected)
					for what, text in docs.items():
						if what.startswith("_"):
							continue
						self.assertFalse(
							foreign(text, expected),
							f"{what} of {label} on a {site_language} site: {text[:3000]}",
						)
					seen[(site_language, label)] = docs
		for label, *_rest in self.CUSTOMERS:  # the site's language changes nothing
			en, fr = seen[("en", label)], seen[("fr", label)]
			self.assertEqual(en["_shape"], fr["_shape"], label)
		self.closing_note(seen)

	def tearDown(self):
		set_aside_own_emails()  # nothing of this test is left for another test's delivery
		frappe.db.commit()  # nosemgrep
		super().tearDown()

	def documents(self, site_language, language, french_only, expected) -> dict:
		with settings_changed("System Settings", {"language": site_language}):
			frappe.local.lang = site_language  # the user's (and the worker's) language
			customer, _address = self.customer(language=language or "")
			if french_only:
				policy = policy_copy(customer)
				policy.templates = []
				policy.save()
			si = make_invoice(customer, add_days(TODAY, -30), amount=10000, posting_date=add_days(TODAY, -60))
			run([si], as_of=add_days(TODAY, -25))
			run([si], as_of=add_days(TODAY, -15))
			run([si])
			log = next(x for x in logs_of(si.name) if x.stage_name == "Relance 3")
			self.assertEqual(frappe.db.get_value("Relance Log", log.name, "language"), expected)
			self.assertEqual(frappe.local.lang, site_language, "the run gives the user's language back")
			html, text = parts_of(log.email_queue)
			letter = pdf_text(letter_pdf(si.name, SHEET, TODAY)).replace("\t", " ")
			built = for_invoice(si.name)
			collection = file_text(frappe.get_doc("File", built["file"]).get_content(), built["parts"])
			self.assertEqual(built["language"], expected)
			self.assertEqual(frappe.local.lang, site_language, "the collection file gives it back too")
			with as_guest():
				portal.promise(
					token=self.token(customer), sales_invoice=si.name, promised_date=str(add_days(TODAY, 5))
				)
			answer = frappe.get_all(
				"Relance Log",
				filters={"sales_invoice": si.name, "status": "Answered"},
				fields=["communication"],
			)[0]
			queue = frappe.db.get_value("Email Queue", {"communication": answer.communication}, "name")
			c_html, c_text = parts_of(queue)
			frappe.local.lang = site_language  # as_guest's set_user took the Administrator's
			# what the accountant reads stays theirs: the answer's summary on the log
			reason = frappe.db.get_value(
				"Relance Log", {"sales_invoice": si.name, "status": "Answered"}, "reason"
			)
			self.assertIn(frappe._("Payment promised for {0}", lang=site_language).split("{0}")[0], reason)
			for url in re.findall(r"https?://\S+", text + c_text):  # links stand alone
				self.assertRegex(url, r"[\w/=-]$", f"a link glued to punctuation: {url}")
			names = (si.name, customer)
			docs = {
				"email HTML": visible(html),
				"email text": text,
				"letter": letter,
				"collection file": collection,
				"confirmation HTML": visible(c_html),
				"confirmation text": c_text,
				"_shape": shape(text, names),
				"_email": text,
				"_letter": letter,
				"_collection": collection,
			}
			dump(site_language, customer, docs)
			return docs

	def closing_note(self, seen):
		print("\n=== closing note: the English site ===")
		for label, *_rest in self.CUSTOMERS:
			docs = seen[("en", label)]
			lines = [line for line in docs["_email"].splitlines() if line.strip()]
			flat = " ".join(docs["_email"].split())
			found = re.search(r"(À ce jour|To date).*?(?<!\d)\.(?!\d)", flat)
			interest = found.group() if found else "(none)"
			cover = next((line for line in docs["_collection"].splitlines() if line.strip()), "")
			date_line = next(
				(
					line
					for line in docs["_letter"].splitlines()
					if re.match(r"\s*(Le )?\d{1,2}(er)? \w+ \d{4}\s*$", line)
				),
				"(no date line)",
			)
			print(f"--- customer {label}")
			print("email:", *lines[:3], sep="\n  ")
			print("interest:", interest)
			print("collection cover:", cover)
			print("letter date:", date_line)


def file_text(pdf: bytes, parts: list[dict]) -> str:
	"""The collection file's text but ERPNext's own print of the invoice (the parts after the cover
	named "invoice"): its labels follow the print language, its amounts ERPNext's number format."""
	import io

	from pypdf import PdfReader

	pages = [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]
	invoice = parts[1]  # the cover, then the invoice (one here)
	skip = range(invoice["first_page"] - 1, invoice["first_page"] - 1 + invoice["pages"])
	return "\n".join(text for i, text in enumerate(pages) if i not in skip).replace("\t", " ")


def shape(text: str, names) -> str:
	"""The email text without what differs from one customer to another (names, links, amounts of
	days), to compare the same relance on both sites."""
	for name in names:
		text = text.replace(name, "NAME")
	text = re.sub(r"https?://\S+", "URL", text)
	text = re.sub(r"RF\d\d(?: ?[A-Z0-9]{1,4})+", "RF", text)  # the invoice's transfer reference
	return re.sub(r"NAME[^\s]*", "NAME", text)


def dump(site_language, customer, docs):
	"""The texts, for reading them when a check fails."""
	import os

	folder = f"/tmp/relance-document-language/{site_language}"
	os.makedirs(folder, exist_ok=True)
	for what, text in docs.items():
		if not what.startswith("_"):
			with open(f"{folder}/{frappe.scrub(customer)}-{frappe.scrub(what)}.txt", "w") as f:
				f.write(text)
