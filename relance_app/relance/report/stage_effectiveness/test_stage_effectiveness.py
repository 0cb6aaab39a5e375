"""Stage Effectiveness on a known book: invoices in EUR and USD, two companies, relances at known dates,
payments (full, partial, back-dated), a credit note and a journal entry at known dates. Every figure of
the report is computed here by hand; a user restricted to one company sees only that company; the number
of queries does not grow with the book."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, flt, getdate, today

from relance_app.relance.report.stage_effectiveness import stage_effectiveness
from relance_app.setup.defaults import default_policy_name
from relance_app.tests.test_setup import make_user, second_company
from relance_app.tests.utils import company, ensure_fiscal_year, make_customer, make_invoice, pay, unique

TODAY = getdate(today())
# the period's first day, and the due date of the chased invoices; far enough back for every 30-day
# window to be over
D = add_days(TODAY, -200)
TO = add_days(D, 60)
FILTERS = {"from_date": D, "to_date": TO}


def day(n: int):
	return add_days(D, n)


def ensure_fiscal_years():
	for year in sorted({getdate(day(-90)).year, TODAY.year}):
		ensure_fiscal_year(year)


def new_policy(of_company: str, tolerance=0):
	policy = frappe.copy_doc(frappe.get_doc("Dunning Policy", default_policy_name(of_company)))
	policy.policy_name = unique("Efficacité")
	policy.is_default = 0
	policy.tolerance = tolerance
	policy.insert(ignore_permissions=True)
	return policy.name


def customer_of(policy: str) -> str:
	name = make_customer(unique("Client efficacité"))
	frappe.db.set_value("Customer", name, "dunning_policy", policy)
	return name


def invoice(customer, due, amount, **kw):
	return make_invoice(customer, due, amount=amount, posting_date=add_days(due, -30), **kw).name


def relance(invoice_name, stage, n, policy, status="Sent"):
	si = frappe.db.get_value("Sales Invoice", invoice_name, ["customer", "company", "due_date"], as_dict=True)
	frappe.get_doc(
		{
			"doctype": "Relance Log",
			"sales_invoice": invoice_name,
			"customer": si.customer,
			"company": si.company,
			"dunning_policy": policy,
			"stage_name": stage,
			"channel": "Email",
			"status": status,
			"relance_date": day(n),
			"due_date": si.due_date,
		}
	).insert(ignore_permissions=True)


def credit_note(invoice_name, n):
	from erpnext.accounts.doctype.sales_invoice.sales_invoice import make_sales_return

	cn = make_sales_return(invoice_name)
	cn.set_posting_time = 1
	cn.posting_date = day(n)
	cn.update_outstanding_for_self = 0  # the credit note reduces the invoice's own outstanding
	cn.insert(ignore_permissions=True)
	cn.submit()
	return cn


def journal_payment(invoice_name, amount, n):
	si = frappe.get_doc("Sales Invoice", invoice_name)
	cash = frappe.get_cached_value("Company", si.company, "default_cash_account")
	je = frappe.get_doc(
		{
			"doctype": "Journal Entry",
			"voucher_type": "Journal Entry",
			"company": si.company,
			"posting_date": day(n),
			"accounts": [
				{"account": cash, "debit_in_account_currency": amount},
				{
					"account": si.debit_to,
					"party_type": "Customer",
					"party": si.customer,
					"credit_in_account_currency": amount,
					"reference_type": "Sales Invoice",
					"reference_name": si.name,
				},
			],
		}
	)
	je.insert(ignore_permissions=True)
	je.submit()
	return je


def rows_by_stage(filters):
	_columns, rows, _message, chart = stage_effectiveness.execute(filters)
	return {(r["dunning_policy"], r["stage"]): r for r in rows}, rows, chart


def figures(row):
	return (
		row["relances_sent"],
		row["already_paid"],
		row["paid_7"],
		row["paid_14"],
		row["paid_30"],
		row["paid_7_pct"],
		row["paid_14_pct"],
		row["paid_30_pct"],
		row["median_days"],
		flt(row["amount_collected"], 2),
		row["awaiting"],
	)


class TestStageEffectiveness(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		ensure_fiscal_years()
		frappe.set_user("Administrator")
		cls.policy = new_policy(company(), tolerance=5)
		customer = customer_of(cls.policy)
		p = cls.policy
		cls.inv = inv = {
			"full": invoice(customer, D, 1000),
			"partial": invoice(customer, D, 2000),
			"credit": invoice(customer, D, 500),
			"usd": invoice(customer, D, 1000, currency="USD", conversion_rate=0.9),
			"backdated": invoice(customer, D, 1000),
			"unpaid": invoice(customer, D, 1500),
			"journal": invoice(customer, D, 800),
			# baseline: never chased in the period
			"old": invoice(customer, day(-30), 700),
			"new": invoice(customer, day(20), 600),
			"paid_before": invoice(customer, day(-30), 400),
			"open": invoice(customer, day(10), 300),
		}
		for key in ("full", "partial", "credit", "usd", "backdated", "unpaid", "journal"):
			relance(inv[key], "Relance 1", 5, p)
		for key in ("partial", "credit", "unpaid"):
			relance(inv[key], "Relance 2", 15, p)
		relance(inv["credit"], "Relance 3", 30, p)
		# not counted: awaiting approval is not a relance sent; a failed one reached nobody
		relance(inv["unpaid"], "Relance 3", 30, p, status="Awaiting Approval")
		relance(inv["journal"], "Relance 2", 15, p, status="Failed")

		pay(inv["full"], posting_date=day(9))  # 4 days after Relance 1
		pay(inv["partial"], amount=1200, posting_date=day(10))  # in Relance 1's window, not paid
		pay(inv["partial"], posting_date=day(18))  # the last 800, 3 days after Relance 2
		credit_note(inv["credit"], 31)  # 1 day after Relance 3, nothing collected
		pay(inv["usd"], posting_date=day(17))  # 900 EUR, 12 days after Relance 1
		pay(inv["backdated"], posting_date=day(3))  # recorded late with its real date: already paid
		journal_payment(inv["journal"], 797, 8)  # 3 left, within the tolerance of 5: paid 3 days after
		pay(inv["old"], posting_date=day(10))  # baseline from the period's first day: 10 days
		pay(inv["new"], posting_date=day(26))  # due day 20, baseline from day 21: 5 days
		pay(inv["paid_before"], posting_date=day(-5))  # paid before the period: not in the baseline

		# the second company: its own policy, one invoice paid the day after Relance 1
		cls.other = second_company()
		cls.other_policy = new_policy(cls.other)
		other_customer = customer_of(cls.other_policy)
		cls.other_invoice = invoice(other_customer, D, 1000, company=cls.other)
		relance(cls.other_invoice, "Relance 1", 5, cls.other_policy)
		pay(cls.other_invoice, posting_date=day(6))

	def setUp(self):
		frappe.set_user("Administrator")

	def test_every_figure_by_hand(self):
		by_stage, rows, chart = rows_by_stage({**FILTERS, "dunning_policy": self.policy})
		p = self.policy
		self.assertEqual(
			[r["stage"] for r in rows],
			[
				"Pré-relance",
				"Relance 1",
				"Relance 2",
				"Relance 3",
				"Mise en demeure",
				"Not chased in the period",
			],
		)
		self.assertTrue(all(r["company"] == company() and r["currency"] == "EUR" for r in rows))
		# (sent, already paid, within 7/14/30, % within 7/14/30, median days, collected, awaiting)
		# Relance 1: 7 sent, the back-dated one already paid, 6 open; paid after it before any other
		# relance: journal (3 days), full (4), usd (12); partial's 1200 collected but not paid in its window
		self.assertEqual(
			figures(by_stage[(p, "Relance 1")]),
			(7, 1, 2, 3, 3, 33.3, 50.0, 50.0, 4.0, 1000 + 1200 + 900 + 797, 0),
		)
		# Relance 2: partial (3 days, the last 800), credit and unpaid not paid in the window
		self.assertEqual(figures(by_stage[(p, "Relance 2")]), (3, 0, 1, 1, 1, 33.3, 33.3, 33.3, 3.0, 800, 0))
		# Relance 3: the credit note pays the invoice the next day; a credit note is not cash
		self.assertEqual(figures(by_stage[(p, "Relance 3")]), (1, 0, 1, 1, 1, 100.0, 100.0, 100.0, 1.0, 0, 0))
		for stage in ("Pré-relance", "Mise en demeure"):
			self.assertEqual(
				figures(by_stage[(p, stage)]), (0, 0, 0, 0, 0, None, None, None, None, 0, 0), stage
			)
		self.assertEqual(by_stage[(p, "Relance 1")]["offset_days"], 5)
		# baseline: old (10 days), new (5 days), open (never); paid_before is not overdue in the period
		self.assertEqual(
			figures(by_stage[(p, "Not chased in the period")]),
			(3, 0, 1, 2, 2, 33.3, 66.7, 66.7, 7.5, 700 + 600, 0),
		)
		# the chart leaves out the stages with nothing to measure (no unpaid invoice chased at them)
		measured = [r["stage"] for r in rows if r["paid_14_pct"] is not None]
		self.assertEqual(chart["data"]["labels"], measured)
		self.assertEqual(chart["data"]["datasets"][0]["values"], [50.0, 33.3, 100.0, 66.7])
		self.assertEqual(chart["type"], "bar")

	def test_payment_after_the_period_counts_for_a_relance_in_it(self):
		by_stage, _, _ = rows_by_stage({"from_date": D, "to_date": day(16), "dunning_policy": self.policy})
		r2 = by_stage[(self.policy, "Relance 2")]
		self.assertEqual((r2["relances_sent"], r2["paid_7"], r2["median_days"]), (3, 1, 3.0))
		self.assertEqual(by_stage[(self.policy, "Relance 3")]["relances_sent"], 0)

	def test_second_company_and_user_permission(self):
		by_stage, _, _ = rows_by_stage(
			{**FILTERS, "company": self.other, "dunning_policy": self.other_policy}
		)
		self.assertEqual(
			figures(by_stage[(self.other_policy, "Relance 1")]),
			(1, 0, 1, 1, 1, 100.0, 100.0, 100.0, 1.0, 1000, 0),
		)
		# the first company's report knows nothing of the second's policy
		by_stage, _, _ = rows_by_stage({**FILTERS, "company": company()})
		self.assertNotIn((self.other_policy, "Relance 1"), by_stage)
		self.assertIn((self.policy, "Relance 1"), by_stage)

		user = make_user(f"{frappe.scrub(unique('controleur'))}@example.com", ["Accounts User"])
		frappe.get_doc(
			{
				"doctype": "User Permission",
				"user": user,
				"allow": "Company",
				"for_value": self.other,
				"apply_to_all_doctypes": 1,
			}
		).insert(ignore_permissions=True)
		self.addCleanup(frappe.set_user, "Administrator")
		frappe.set_user(user)
		_, rows, _ = rows_by_stage(FILTERS)
		self.assertTrue(rows)
		self.assertEqual({r["company"] for r in rows}, {self.other})
		self.assertIn(self.other_policy, {r["dunning_policy"] for r in rows})
		with self.assertRaises(frappe.PermissionError):
			stage_effectiveness.execute({**FILTERS, "company": company()})
		# through the desk, as the browser runs it: the report's roles let an Accounts User in
		from frappe.desk.query_report import run

		result = run("Stage Effectiveness", filters={**FILTERS, "dunning_policy": self.other_policy})
		self.assertEqual({r["company"] for r in result["result"]}, {self.other})

	def test_defaults_and_invalid_period(self):
		filters = stage_effectiveness.parse_filters({})
		self.assertEqual(filters.to_date, TODAY)
		self.assertEqual(filters.from_date, add_days(frappe.utils.add_months(TODAY, -12), 1))
		by_stage, _, _ = rows_by_stage({"dunning_policy": self.policy})
		self.assertEqual(by_stage[(self.policy, "Relance 1")]["relances_sent"], 7)
		with self.assertRaises(frappe.ValidationError):
			stage_effectiveness.execute({"from_date": TO, "to_date": D})

	def test_query_count_does_not_grow_with_the_book(self):
		policy = new_policy(company())
		customer = customer_of(policy)

		def add_invoices(n):
			for k in range(n):
				extra = invoice(customer, D, 100 + k)
				relance(extra, "Relance 1", 5, policy)
				relance(extra, "Relance 2", 15, policy)
				pay(extra, posting_date=day(7 + k))
				invoice(customer, day(10 + k), 50)  # a baseline invoice

		filters = {**FILTERS, "dunning_policy": policy}
		add_invoices(1)
		stage_effectiveness.execute(filters)  # metadata cached, as on a running site
		before = count_queries(lambda: stage_effectiveness.execute(filters))
		add_invoices(5)
		after = count_queries(lambda: stage_effectiveness.execute(filters))
		self.assertEqual(before, after)
		self.assertLessEqual(after, 12)
		by_stage, _, _ = rows_by_stage(filters)
		self.assertEqual(by_stage[(policy, "Relance 1")]["relances_sent"], 6)
		self.assertEqual(by_stage[(policy, "Not chased in the period")]["relances_sent"], 6)
		print(f"\nStage Effectiveness: {after} queries")


def count_queries(call) -> int:
	calls = {"n": 0}
	original = frappe.db.sql

	def sql(*args, **kwargs):
		calls["n"] += 1
		return original(*args, **kwargs)

	frappe.db.sql = sql
	try:
		call()
	finally:
		frappe.db.sql = original
	return calls["n"]
