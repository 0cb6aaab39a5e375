"""Legal late-payment rates by semester (Code de commerce L441-10): the shipped rates, the Relance Legal
Rate rules, the reminder, the contractual floor of a policy, the patch, and the interest by semester
in the preview and the mise en demeure letter."""

from __future__ import annotations

import datetime
from decimal import Decimal
from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import getdate

from relance_app import api
from relance_app.common import cache
from relance_app.data.rate_table import legal_floor, remind_missing_rates, semesters_to_remind
from relance_app.documents.letter_print import letter_html, relance_letter_context
from relance_app.engine.models import CONTRACTUAL_RATE, LEGAL_RATE
from relance_app.exceptions import InvalidLegalRateError, InvalidPolicyError
from relance_app.setup.legal_rate_rows import LEGAL_RATES, create_legal_rates
from relance_app.tests.utils import make_customer, make_invoice, pay, policy_copy, unique

DOCTYPE = "Relance Legal Rate"


def rate_doc(start, ecb="2.00", legal="2.50", **kw):
	return frappe.get_doc(
		{
			"doctype": DOCTYPE,
			"semester_start": start,
			"ecb_rate": float(ecb),
			"ecb_source": "test",
			"legal_interest_rate": float(legal),
			"legal_interest_source": "test",
			**kw,
		}
	)


class TestLegalRates(FrappeTestCase):
	def test_shipped_rates_are_on_the_site_with_their_sources(self):
		self.assertEqual(create_legal_rates(), [])  # already there: nothing created twice
		for row in LEGAL_RATES:
			doc = frappe.get_doc(DOCTYPE, row["semester_start"].isoformat())
			self.assertEqual(Decimal(str(doc.ecb_rate)), row["ecb_rate"])
			self.assertEqual(Decimal(str(doc.legal_interest_rate)), row["legal_interest_rate"])
			self.assertAlmostEqual(doc.late_payment_rate, float(row["ecb_rate"]) + 10)
			self.assertAlmostEqual(doc.contractual_floor, 3 * float(row["legal_interest_rate"]))
			self.assertTrue(doc.ecb_source and doc.legal_interest_source)
		h2_2025 = frappe.get_doc(DOCTYPE, "2025-07-01")
		self.assertEqual((h2_2025.semester, h2_2025.late_payment_rate), ("2025-S2", 12.15))

	def test_a_semester_starts_on_1_january_or_1_july_and_every_figure_has_a_source(self):
		with self.assertRaises(InvalidLegalRateError):
			rate_doc(datetime.date(2031, 3, 1)).insert()
		with self.assertRaises(frappe.ValidationError):
			rate_doc(datetime.date(2031, 1, 1), ecb_source="").insert()
		with self.assertRaises(InvalidLegalRateError):
			rate_doc(datetime.date(2031, 1, 1), legal_interest_source="").insert()
		with self.assertRaises(InvalidLegalRateError):
			rate_doc(datetime.date(2031, 1, 1), ecb="150").insert()
		doc = rate_doc(datetime.date(2031, 1, 1), ecb="1.90", legal="2.40").insert()
		self.assertEqual((doc.name, doc.semester), ("2031-01-01", "2031-S1"))
		self.assertAlmostEqual(doc.late_payment_rate, 11.90)
		self.assertAlmostEqual(doc.contractual_floor, 7.20)
		with self.assertRaises(frappe.DuplicateEntryError):
			rate_doc(datetime.date(2031, 1, 1)).insert()
		# the legal interest rate may wait for its arrêté
		self.assertEqual(
			rate_doc(datetime.date(2031, 7, 1), legal="0", legal_interest_source="")
			.insert()
			.contractual_floor,
			0,
		)
		frappe.db.rollback()

	def test_accounts_manager_edits_accounts_user_reads(self):
		perms = {p.role: p for p in frappe.get_meta(DOCTYPE).permissions}
		self.assertTrue(perms["Accounts Manager"].write and perms["Accounts Manager"].create)
		self.assertTrue(perms["Accounts User"].read and not perms["Accounts User"].write)

	def test_reminder_once_per_semester_and_closed_by_the_rate(self):
		day = datetime.date(2032, 6, 10)  # H1 2032 has no rate, H2 starts in 21 days
		self.assertEqual(semesters_to_remind(day), [datetime.date(2032, 1, 1), datetime.date(2032, 7, 1)])
		self.assertEqual(semesters_to_remind(datetime.date(2032, 5, 31)), [datetime.date(2032, 1, 1)])
		rate_doc(datetime.date(2032, 1, 1)).insert()
		created = remind_missing_rates(day)
		self.assertTrue(created)
		todos = frappe.get_all(
			"ToDo",
			filters={"name": ("in", created)},
			fields=["allocated_to", "date", "status", "description", "reference_type"],
		)
		self.assertEqual({t.date for t in todos}, {datetime.date(2032, 7, 1)})  # H1 has its rate
		self.assertTrue(all(t.reference_type == DOCTYPE and t.status == "Open" for t in todos))
		self.assertTrue(all(frappe.format(datetime.date(2032, 7, 1), "Date") in t.description for t in todos))
		managers = {t.allocated_to for t in todos}
		self.assertEqual(len(managers), len(todos))  # one per user
		# the next days: nothing more, even after the ToDo is closed by hand
		frappe.db.set_value("ToDo", created[0], "status", "Closed")
		self.assertEqual(remind_missing_rates(day + datetime.timedelta(days=1)), [])
		self.assertEqual(remind_missing_rates(datetime.date(2032, 7, 2)), [])
		# the rate entered: its reminders are done
		rate_doc(datetime.date(2032, 7, 1)).insert()
		self.assertEqual(
			frappe.get_all("ToDo", filters={"name": ("in", created), "status": "Open"}, pluck="name"), []
		)
		frappe.db.rollback()

	def test_contractual_rate_below_three_times_the_legal_rate_is_refused(self):
		customer = make_customer(unique("Client Floor"), None)
		floor, row, _assumed = legal_floor()
		with self.assertRaises(InvalidPolicyError) as refused:
			policy_copy(
				customer, interest_rate_basis=CONTRACTUAL_RATE, late_interest_rate=float(floor) - 0.01
			)
		message = str(refused.exception)
		self.assertIn(f"{floor.normalize():f}", message)  # the floor is named
		self.assertIn(frappe.format(row.start, "Date"), message)  # and the semester it comes from
		ok = policy_copy(customer, interest_rate_basis=CONTRACTUAL_RATE, late_interest_rate=float(floor))
		self.assertEqual(ok.interest_rate_basis, CONTRACTUAL_RATE)
		legal = policy_copy(customer, interest_rate_basis=LEGAL_RATE, late_interest_rate=0)
		self.assertEqual(legal.interest_rate_basis, LEGAL_RATE)  # the legal basis has no floor to meet
		frappe.db.rollback()

	def test_the_default_policy_uses_the_legal_rate(self):
		from relance_app.setup.defaults import default_policy_name

		for company in frappe.get_all("Company", pluck="name"):
			name = default_policy_name(company)
			if frappe.db.exists("Dunning Policy", name):
				self.assertEqual(
					frappe.db.get_value("Dunning Policy", name, "interest_rate_basis"), LEGAL_RATE
				)


class TestLegalRatePatch(FrappeTestCase):
	def test_patch_keeps_chosen_rates_contractual_and_moves_the_shipped_one_to_the_legal_basis(self):
		from relance_app.patches import legal_rates as patch

		customer = make_customer(unique("Client Patch"), None)
		chosen = policy_copy(customer, interest_rate_basis=LEGAL_RATE, late_interest_rate=15)
		shipped = policy_copy(customer, interest_rate_basis=CONTRACTUAL_RATE, late_interest_rate=12.15)
		patch.execute()
		patch.execute()  # twice: same result
		self.assertEqual(
			frappe.db.get_value("Dunning Policy", chosen.name, "interest_rate_basis"), CONTRACTUAL_RATE
		)
		self.assertEqual(
			frappe.db.get_value("Dunning Policy", shipped.name, "interest_rate_basis"), LEGAL_RATE
		)
		frappe.db.rollback()


class TestTemplatePatch(FrappeTestCase):
	def test_shipped_templates_of_a_site_learn_the_rate_of_each_period(self):
		from relance_app.patches import penalty_templates as patch
		from relance_app.setup.defaults import TEMPLATE_DIR, load_manifest

		changed = 0
		for entry in load_manifest():
			if not frappe.db.exists("Email Template", entry["name"]):
				continue
			shipped = (TEMPLATE_DIR / entry["file"]).read_text()
			old = shipped
			for before in patch.OLD_RATES:
				if (" l'an " in before) == (entry["language"] == "fr"):
					old = old.replace(patch.NEW_RATES, before)
			if entry["key"] == "mise_en_demeure":
				old = old.replace(patch.detail_and_total(entry), patch.OLD_TOTAL[entry["language"]])
			if old == shipped:
				continue
			changed += 1
			frappe.db.set_value("Email Template", entry["name"], "response_html", old)
			patch.execute()
			self.assertEqual(frappe.db.get_value("Email Template", entry["name"], "response_html"), shipped)
			# a template the accountant rewrote is left alone
			frappe.db.set_value("Email Template", entry["name"], "response_html", "<p>{{ amount_due }}</p>")
			patch.execute()
			self.assertEqual(
				frappe.db.get_value("Email Template", entry["name"], "response_html"),
				"<p>{{ amount_due }}</p>",
			)
		self.assertGreaterEqual(changed, 12)
		frappe.db.rollback()


class TestInterestBySemester(FrappeTestCase):
	"""1 000 EUR due 10/06/2026, 400 paid on 25/06/2026, relance on Tuesday 11/08/2026; 2026 H1 at the
	shipped 2.15 % + 10 and, for this test only, 2026 H2 at 2.00 % + 10:

	11/06-25/06: 15 days on 1 000 at 12.15 % = 1000 x 12.15 x 15 / 36500 = 4.993... -> 4.99
	26/06-30/06:  5 days on   600 at 12.15 % =  600 x 12.15 x  5 / 36500 = 0.998... -> 1.00
	01/07-11/08: 42 days on   600 at 12.00 % =  600 x 12.00 x 42 / 36500 = 8.284... -> 8.28
	interest 14.27, fixed indemnity 40 (a company)."""

	AS_OF = "2026-08-11"

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		if frappe.db.exists(DOCTYPE, "2026-07-01"):
			doc = frappe.get_doc(DOCTYPE, "2026-07-01")
			doc.ecb_rate = 2.0
			doc.save()
		else:
			rate_doc(datetime.date(2026, 7, 1), ecb="2.00", legal="2.50").insert()
		cls.customer = make_customer(
			unique("Client Semestre"), f"{frappe.scrub(unique('sem'))}@client.example"
		)
		policy_copy(cls.customer, {1: {"include_penalties": 1}})  # Relance 1 shows the penalties
		cls.invoice = make_invoice(cls.customer, "2026-06-10", amount=1000, posting_date="2026-05-11").name
		pay(cls.invoice, amount=400, posting_date="2026-06-25")
		cache.clear()

	def expected_lines(self, lines):
		self.assertEqual(
			[
				(str(getdate(x["from"])), str(getdate(x["to"])), x["days"], x["base"], x["rate"], x["amount"])
				for x in lines
			],
			[
				("2026-06-11", "2026-06-25", 15, 1000.0, 12.15, 4.99),
				("2026-06-26", "2026-06-30", 5, 600.0, 12.15, 1.0),
				("2026-07-01", "2026-08-11", 42, 600.0, 12.0, 8.28),
			],
		)

	def test_preview_shows_the_interest_of_each_semester_and_payment(self):
		# the preview's day (freezegun is not in every bench: the views' own today())
		with patch("relance_app.run.preview.today", return_value=self.AS_OF):
			preview = api.preview_next_relance(self.invoice)
		self.assertEqual(preview["stage"], "Relance 1")
		p = preview["penalties"]
		self.assertEqual((p["interest"], p["indemnity"], p["basis"]), (14.27, 40.0, LEGAL_RATE))
		self.expected_lines(p["lines"])
		self.assertNotIn("warning", p)
		body = preview["body"]
		for text in ("14,27", "12,15", "12,00\u00a0%", "42 jours", "01/07/2026", "600,00"):
			self.assertIn(text, body)

	def test_letter_lists_every_period(self):
		ctx = relance_letter_context(self.invoice, as_of=self.AS_OF)
		html = letter_html(self.invoice, "Mise en demeure", self.AS_OF)
		lines = ctx["penalties"]["lines"]
		self.assertEqual(
			[(x["days"], x["rate_formatted"], x["amount_formatted"]) for x in lines],
			[
				(15, "12,15\u00a0%", "4,99\u00a0€"),
				(5, "12,15\u00a0%", "1,00\u00a0€"),
				(42, "12,00\u00a0%", "8,28\u00a0€"),
			],
		)
		self.assertEqual(ctx["penalties"]["interest_formatted"], "14,27\u00a0€")
		for x in lines:
			self.assertIn(x["amount_formatted"], html)
			self.assertIn(f"du {x['start']} au {x['end']}", html)
		self.assertIn("vaut mise en demeure", html)

	def test_the_relance_log_keeps_the_interest_by_semester(self):
		from relance_app.data.invoices import load_policies, select_candidates
		from relance_app.records.relance_log import insert_log

		cache.clear()
		candidate = select_candidates(load_policies(), invoice_names=[self.invoice])[0]
		stage = candidate.policy.stages_by_name["Relance 1"]
		frappe.db.savepoint("relance_log_interest")
		name = insert_log(candidate, stage, getdate(self.AS_OF), "Queued")
		log = frappe.db.get_value(
			"Relance Log", name, ["late_interest", "fixed_indemnity", "amount_due"], as_dict=True
		)
		frappe.db.rollback(save_point="relance_log_interest")
		self.assertEqual((log.late_interest, log.fixed_indemnity, log.amount_due), (14.27, 40.0, 600.0))
