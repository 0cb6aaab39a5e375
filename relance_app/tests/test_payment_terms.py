"""French payment terms on a real book (relance_app.tests.d441_book, financial year 2019, VAT 20 %):
every figure of the D441-6 tables I and II against a hand computation, the legal cap's warning and
refusal, the invoices beyond the cap, the mandatory mentions and the policy's warning. The book is
never committed: the class's rollback takes it away.

Hand computation (HT = excluding VAT; TTC = HT x 1.2; closing 31/12/2019):

Issued (Sales Invoices)                       HT      TTC   owed at closing (HT)   late at closing
  S1 01/03 due 31/03, paid 15/05           1 000    1 200   0 (settled, 45 d late)
  S2 01/09 due 01/10, 600 paid 01/11       2 000    2 400   1 500                  91 -> 91+
  S3 15/11 due 15/12, paid 10/01/2020        500      600     500 (the ledger at 31/12, not today's 0)  16 -> 1-30
  S4 01/10 due 10/11, credit note -1 000   3 000    3 600   2 000 (3 600 - 1 200 = 2 400 TTC)  51 -> 31-60
  S5 01/08 due 31/08, disputed               800      960   (B) 800
  S6 USD 1 000 x 0.9, 540 EUR paid 01/12     900    1 080     450 (540 TTC)        47 -> 31-60
  S7 01/06 due 01/07, paid 25/06           1 500    1 800   0 (settled, on time)
  S8 10/12 due 09/01/2020                    400      480     400                  -9 -> 0 day
  S9 01/02 due 01/05, paid 20/04             100      120   0 (settled, on time; 29 days past the cap)
  Credit note on S4                       -1 000   -1 200
  Turnover 2019: 9 200 HT, 11 040 TTC; 9 invoices (the credit note aside)
  Table I HT: 0 day 1 / 400 / 4.35 %; 1-30 1 / 500 / 5.43 %; 31-60 2 / 2 450 / 26.63 %;
              61-90 0; 91+ 1 / 1 500 / 16.30 %; total 4 / 4 450 / 48.37 %; (B) 1 / 800
  Table I TTC: 480, 600, 2 940, 0, 1 800; total 5 340 (same %); (B) 960
  Table II HT: 0 day S7 + S9 2 / 1 600 / 17.39 % / 22.22 % of 9; 31-60 S1 1 / 1 000 / 10.87 % / 11.11 %;
               total 1 / 1 000 / 10.87 % / 11.11 %
  Legal terms (cap 60 days): S8 cap 08/02/2020 and S3 cap 14/01/2020 -> 0 day (2 / 900); S6 cap
  14/12 -> 17 d (1 / 450); S4 cap 30/11 -> 31 d (1 / 2 000); S2 cap 31/10 -> 61 d (1 / 1 500);
  total 3 / 3 950. Table II: S1 cap 30/04 -> 15 d; S9 cap 02/04 -> 18 d: 1-30 2 / 1 100; S7 0 day.

Received (Purchase Invoices; the issue date is the supplier's bill date)
  P1 bill 01/04 due 01/05, paid 10/06      1 000    1 200   0 (settled, 40 d late)
  P2 bill 01/10 due 31/10, 1 000 paid 15/11 2 500   3 000   1 666.67 (2 000 TTC)  61 -> 61-90
  P3 bill 01/11 due 01/12, on hold           700      840   (B) 700
  P4 bill 05/12 due 20/12                    300      360     300                  11 -> 1-30
  P5 bill 01/06 due 15/09, paid 01/07         50       60   0 (settled, on time; 46 days past the cap)
  Purchases 2019: 4 550 HT, 5 460 TTC; 5 invoices
  Table I HT: 1-30 1 / 300 / 6.59 %; 61-90 1 / 1 666.67 / 36.63 %; total 2 / 1 966.67 / 43.22 %; (B) 1 / 700
  Table II HT: 0 day P5 1 / 50 / 1.10 % / 20 %; 31-60 P1 1 / 1 000 / 21.98 % / 20 %; total the same as 31-60
"""

from __future__ import annotations

from collections import defaultdict

import frappe
from frappe.tests.utils import FrappeTestCase

from relance_app.constants import (
	CAP_45_EOM_B,
	CONTRACTUAL_RATE,
	INCLUDING_VAT,
	LEGAL_RATE,
	LEGAL_TERMS,
	TABLE_PAID_LATE,
)
from relance_app.exceptions import PaymentTermsBeyondCapError
from relance_app.overrides.payment_terms import validate_template
from relance_app.relance.report.invoices_beyond_legal_terms import invoices_beyond_legal_terms
from relance_app.relance.report.payment_terms_d441_6 import payment_terms_d441_6
from relance_app.setup.legal_mentions import (
	removable_terms,
	remove_unused_mentions,
	terms_name,
	write_mentions,
)
from relance_app.tests import d441_book
from relance_app.tests.utils import company, default_policy

YEAR = 2019
FILTERS = {"company": None, "closing_date": f"{YEAR}-12-31"}
COLUMNS = ("0", "1-30", "31-60", "61-90", "91+", "total")


def table(**filters) -> dict:
	"""{(doctype, line): [cell per column]} of the report, the (B) lines as one number."""
	_columns, rows, _message = payment_terms_d441_6.execute({**FILTERS, "company": company(), **filters})
	out = {}
	for row in rows:
		if row["line"].startswith("excluded"):
			out[(row["doctype"], row["line"])] = row["c_total"]
		elif row["line"] in ("count", "amount", "percent", "count_percent"):
			out[(row["doctype"], row["line"])] = [row.get(f"c_{c}") for c in COLUMNS]
	return out


SI, PI = "Sales Invoice", "Purchase Invoice"


class TestD441Table(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.book = d441_book.build(YEAR)

	def test_table_i_excluding_vat(self):
		t = table()
		self.assertEqual(t[(SI, "count")], [1, 1, 2, 0, 1, 4])
		self.assertEqual(t[(SI, "amount")], [400, 500, 2450, 0, 1500, 4450])
		self.assertEqual(t[(SI, "percent")], [4.35, 5.43, 26.63, 0, 16.30, 48.37])
		self.assertEqual((t[(SI, "excluded_count")], t[(SI, "excluded_amount")]), (1, 800))
		self.assertEqual(t[(PI, "count")], [0, 1, 0, 1, 0, 2])
		self.assertEqual(t[(PI, "amount")], [0, 300, 0, 1666.67, 0, 1966.67])
		self.assertEqual(t[(PI, "percent")], [0, 6.59, 0, 36.63, 0, 43.22])
		self.assertEqual((t[(PI, "excluded_count")], t[(PI, "excluded_amount")]), (1, 700))

	def test_table_i_including_vat(self):
		t = table(vat=INCLUDING_VAT)
		self.assertEqual(t[(SI, "amount")], [480, 600, 2940, 0, 1800, 5340])
		self.assertEqual(t[(SI, "percent")], [4.35, 5.43, 26.63, 0, 16.30, 48.37])  # of 11 040
		self.assertEqual(t[(SI, "excluded_amount")], 960)
		self.assertEqual(t[(PI, "amount")], [0, 360, 0, 2000, 0, 2360])
		self.assertEqual(t[(PI, "percent")], [0, 6.59, 0, 36.63, 0, 43.22])  # of 5 460
		self.assertEqual(t[(PI, "excluded_amount")], 840)

	def test_table_ii_paid_late_during_the_year(self):
		t = table(table=TABLE_PAID_LATE)
		self.assertEqual(t[(SI, "count")], [2, 0, 1, 0, 0, 1])
		self.assertEqual(t[(SI, "amount")], [1600, 0, 1000, 0, 0, 1000])
		self.assertEqual(t[(SI, "percent")], [17.39, 0, 10.87, 0, 0, 10.87])
		self.assertEqual(t[(SI, "count_percent")], [22.22, 0, 11.11, 0, 0, 11.11])
		self.assertEqual(t[(PI, "count")], [1, 0, 1, 0, 0, 1])
		self.assertEqual(t[(PI, "amount")], [50, 0, 1000, 0, 0, 1000])
		self.assertEqual(t[(PI, "percent")], [1.10, 0, 21.98, 0, 0, 21.98])
		self.assertEqual(t[(PI, "count_percent")], [20, 0, 20, 0, 0, 20])
		self.assertEqual((t[(SI, "excluded_count")], t[(PI, "excluded_count")]), (0, 0))

	def test_legal_terms_count_from_the_cap(self):
		t = table(reference_terms=LEGAL_TERMS)
		self.assertEqual(t[(SI, "count")], [2, 1, 1, 1, 0, 3])
		self.assertEqual(t[(SI, "amount")], [900, 450, 2000, 1500, 0, 3950])
		t = table(reference_terms=LEGAL_TERMS, table=TABLE_PAID_LATE)
		self.assertEqual(t[(SI, "count")], [1, 2, 0, 0, 0, 2])
		self.assertEqual(t[(SI, "amount")], [1500, 1100, 0, 0, 0, 1100])

	def test_outstanding_at_closing_comes_from_the_ledger(self):
		self.assertEqual(frappe.db.get_value(SI, self.book["S3"], "outstanding_amount"), 0)
		self.assertEqual(table()[(SI, "amount")][1], 500)  # S3, paid after the closing date
		# the credit note keeps its own outstanding, yet reduces S4
		self.assertEqual(frappe.db.get_value(SI, self.book["S4"], "outstanding_amount"), 3600)

	def test_the_report_prints_and_exports(self):
		columns, rows, message = payment_terms_d441_6.execute({**FILTERS, "company": company()})
		self.assertEqual([c["fieldname"] for c in columns], ["label", *(f"c_{c}" for c in COLUMNS)])
		self.assertIn("A441-2", message)
		self.assertEqual(rows[0]["source"], payment_terms_d441_6.SOURCE)
		self.assertTrue(all(isinstance(r["label"], str) for r in rows))
		# Frappe's Excel export of the report: one line per row, the figures as numbers
		from frappe.desk.query_report import build_xlsx_data, run
		from frappe.utils.xlsxutils import make_xlsx

		data = frappe._dict(run("Payment Terms D441-6", filters={**FILTERS, "company": company()}))
		sheet, widths = build_xlsx_data(data, [], 1)
		self.assertEqual(len(sheet), len(rows) + 1)
		issued_amounts = next(
			line for line in sheet[9:] if line[0].strip().startswith("(A)") and 4450 in line
		)
		self.assertEqual(issued_amounts[1:], [400, 500, 2450, 0, 1500, 4450])
		self.assertTrue(make_xlsx(sheet, "D441", column_widths=widths).getvalue())

	def test_invoices_beyond_the_cap(self):
		_columns, rows = invoices_beyond_legal_terms.execute(
			{"company": company(), "from_date": f"{YEAR}-01-01", "to_date": f"{YEAR}-12-31"}
		)
		found = {r["invoice"]: r["days_beyond"] for r in rows}
		self.assertEqual(found, {self.book["S9"]: 29, self.book["P5"]: 46})

	def test_a_user_without_the_company_is_refused(self):
		frappe.set_user("Guest")
		try:
			with self.assertRaises(frappe.PermissionError):
				table()
		finally:
			frappe.set_user("Administrator")


class TestLegalCap(FrappeTestCase):
	def setUp(self):
		frappe.clear_messages()
		d441_book.ensure_fiscal_year(YEAR)
		self.customer = d441_book.make_customer(d441_book.unique("D441 Cap"))

	def tearDown(self):
		frappe.db.rollback()
		frappe.clear_document_cache("Relance Settings", "Relance Settings")
		frappe.local.relance_batch_cache = {}

	def warnings(self):
		return [m for m in frappe.get_message_log() if "Code de commerce L441-10" in (m.get("message") or "")]

	def test_an_invoice_past_the_cap_is_warned_then_refused(self):
		d441_book.sales(self.customer, f"{YEAR}-01-15", f"{YEAR}-03-20", submit=False)  # cap 16/03
		self.assertEqual(len(self.warnings()), 1)
		self.assertIn("4 ", self.warnings()[0]["message"])
		frappe.clear_messages()
		d441_book.sales(self.customer, f"{YEAR}-01-15", f"{YEAR}-03-16", submit=False)
		self.assertEqual(self.warnings(), [])
		settings = frappe.get_single("Relance Settings")
		settings.append(
			"payment_terms", {"company": company(), "cap_method": CAP_45_EOM_B, "refuse_beyond_cap": 1}
		)
		settings.save()
		frappe.local.relance_batch_cache = {}
		# 45 days end of month (b): 31/01 + 45 = 17/03
		d441_book.sales(self.customer, f"{YEAR}-01-15", f"{YEAR}-03-17", submit=False)
		with self.assertRaises(PaymentTermsBeyondCapError):
			d441_book.sales(self.customer, f"{YEAR}-01-15", f"{YEAR}-03-18", submit=False)
		supplier = d441_book.make_supplier(d441_book.unique("D441 Cap"))
		with self.assertRaises(PaymentTermsBeyondCapError):
			d441_book.purchase(supplier, f"{YEAR}-01-15", f"{YEAR}-01-20", f"{YEAR}-03-18", 10, submit=False)

	def test_a_template_past_the_cap_is_warned(self):
		template = frappe.get_doc(
			{
				"doctype": "Payment Terms Template",
				"template_name": d441_book.unique("45 FDM"),
				"terms": [
					{
						"idx": 1,
						"invoice_portion": 100,
						"due_date_based_on": "Day(s) after the end of the invoice month",
						"credit_days": 45,
					}
				],
			}
		)
		validate_template(template)
		messages = [m.get("message") for m in frappe.get_message_log()]
		self.assertTrue(any("15" in str(m) and company() in str(m) for m in messages), messages)


class TestLegalMentions(FrappeTestCase):
	def tearDown(self):
		frappe.db.rollback()
		frappe.clear_document_cache("Company", company())
		frappe.clear_messages()

	def test_the_company_prints_its_policys_mentions_and_the_policy_warns_when_they_disagree(self):
		name = write_mentions(company())
		self.assertEqual(name, frappe.db.get_value("Company", company(), "default_selling_terms") or name)
		terms = frappe.db.get_value("Terms and Conditions", terms_name(company()), "terms")
		self.assertIn("40 €", terms)
		self.assertIn("Escompte pour paiement anticipé : néant.", terms)
		policy = frappe.get_doc("Dunning Policy", default_policy())
		policy.interest_rate_basis = LEGAL_RATE
		write_mentions(company(), policy.name, overwrite=True)  # the mentions as the policy says
		frappe.clear_messages()
		policy.warn_legal_mentions()
		self.assertEqual(frappe.get_message_log(), [])
		policy.interest_rate_basis, policy.late_interest_rate = CONTRACTUAL_RATE, 15
		policy.warn_legal_mentions()
		messages = [m.get("message") for m in frappe.get_message_log()]
		self.assertTrue(any("15" in str(m) for m in messages), messages)

	def test_the_policy_button_rewrites_the_mentions_for_a_french_company_only(self):
		from relance_app import api

		policy = frappe.get_doc("Dunning Policy", default_policy())
		frappe.db.set_value("Terms and Conditions", terms_name(company()), "terms", "<p>old text</p>")
		out = api.write_legal_mentions(policy.name)
		self.assertEqual(out, {"terms": terms_name(company()), "company": company()})
		terms = frappe.db.get_value("Terms and Conditions", terms_name(company()), "terms")
		self.assertNotIn("old text", terms)
		self.assertIn("D441-5", terms)
		frappe.db.set_value("Company", company(), "country", "Belgium")
		frappe.clear_document_cache("Company", company())
		with self.assertRaises(frappe.ValidationError):
			api.write_legal_mentions(policy.name)

	def test_the_uninstall_takes_the_mentions_nobody_edited_or_prints(self):
		"""The app's English mentions of the company (made here, rolled back): removable as the install
		left them, with the company default naming them; the user's once edited or printed."""
		name = terms_name(company(), "en")
		frappe.delete_doc(
			"Terms and Conditions", name, force=True, ignore_missing=True, delete_permanently=True
		)
		frappe.get_doc(
			{"doctype": "Terms and Conditions", "title": name, "terms": "<p>x</p>", "selling": 1}
		).insert()
		frappe.db.set_value("Company", company(), "default_selling_terms", name)
		self.assertIn(name, removable_terms()[0])

		invoice = frappe.get_all("Sales Invoice", filters={"docstatus": 1}, pluck="name", limit=1)[0]
		printed_before = frappe.db.get_value("Sales Invoice", invoice, "tc_name")
		frappe.db.set_value("Sales Invoice", invoice, "tc_name", name, update_modified=False)
		self.assertIn(name, removable_terms()[1], "an invoice prints them: kept")
		frappe.db.set_value("Sales Invoice", invoice, "tc_name", printed_before, update_modified=False)

		doc = frappe.get_doc("Terms and Conditions", name)
		creation, doc.terms = doc.creation, "<p>x</p><p>IBAN FR76 ...</p>"
		doc.save()
		self.assertIn(name, removable_terms()[1], "edited by a user: kept")
		frappe.db.set_value("Terms and Conditions", name, "modified", creation, update_modified=False)

		removed = defaultdict(int)
		kept = remove_unused_mentions(removed)
		self.assertNotIn(name, kept)
		self.assertFalse(frappe.db.exists("Terms and Conditions", name))
		self.assertFalse(frappe.db.get_value("Company", company(), "default_selling_terms"))
		self.assertGreaterEqual(removed["Terms and Conditions"], 1)
