"""The whitelisted methods behind the forms, with their permission checks."""

import frappe
from frappe.utils import add_days, getdate, today

from relance_app import api
from relance_app.tests.test_run import RelanceRunCase, run
from relance_app.tests.test_setup import make_user
from relance_app.tests.utils import flush_queue, make_invoice, policy_copy, unique

TODAY = getdate(today())


class TestFormViews(RelanceRunCase):
	def test_invoice_status_line_timeline_and_preview(self):
		customer, address = self.customer()
		si = make_invoice(customer, add_days(TODAY, -10))
		preview = api.preview_next_relance(si.name)
		self.assertEqual(preview["stage"], "Relance 1")
		self.assertIn(si.name, preview["subject"])
		self.assertEqual(preview["recipients"], [address])
		self.assertEqual(frappe.db.count("Relance Log", {"sales_invoice": si.name}), 0)  # nothing sent

		run([si])
		data = api.get_invoice_relance(si.name)
		self.assertIn("Relance 1", data["status"])
		self.assertIn("Relance 2", data["status"])  # next: Relance 2 on ...
		self.assertEqual([x.stage_name for x in data["timeline"]], ["Relance 1", "Pré-relance"])

		api.record_payment_promise(si.name, add_days(TODAY, 7))
		self.assertIn(
			frappe.utils.formatdate(add_days(TODAY, 7), "dd/MM"), api.get_invoice_relance(si.name)["status"]
		)
		api.release_hold(si.name)
		api.set_hold(si.name, "Dispute")
		self.assertIn("dispute", api.get_invoice_relance(si.name)["status"].lower())

	def test_send_next_now_uses_the_exactly_once_path(self):
		customer, address = self.customer()
		si = make_invoice(customer, add_days(TODAY, 3))  # pre-relance planned on J-5: already due
		api.send_next_relance_now(si.name)
		with self.assertRaises(frappe.ValidationError):
			api.send_next_relance_now(si.name)  # same day again: too soon, nothing due
		self.assertEqual(
			frappe.get_all("Relance Log", {"sales_invoice": si.name}, pluck="stage_name"), ["Pré-relance"]
		)
		flush_queue()
		self.assertEqual(len(self.smtp.to(address)), 1)

	def test_customer_panel_summary_and_grouped_timeline(self):
		customer, _ = self.customer()
		invoices = [make_invoice(customer, add_days(TODAY, -d), amount=100 * d) for d in (10, 20)]
		run(invoices)
		api.record_payment_promise(invoices[1].name, add_days(TODAY, 3))
		panel = api.get_customer_relances(customer)
		s = panel["summary"]
		self.assertEqual(s["overdue_count"], 2)
		self.assertAlmostEqual(s["total_overdue"], 3000)
		self.assertEqual(s["per_stage"], {"Relance 1": 2})
		self.assertEqual(len(s["promises"]), 1)
		self.assertEqual({g["sales_invoice"] for g in panel["invoices"]}, {i.name for i in invoices})

	def test_simulate_policy(self):
		customer, _ = self.customer()
		policy = policy_copy(customer)  # its only customer: the simulation is this invoice's
		si = make_invoice(customer, add_days(TODAY, 4))
		result = api.simulate_policy(policy.name, 60)
		mine = [e for e in result["events"] if e["sales_invoice"] == si.name]
		self.assertTrue(mine)
		self.assertEqual(mine[0]["stage"], "Pré-relance")

	def test_a_user_without_access_to_an_invoice_gets_nothing(self):
		customer, _ = self.customer()
		other, _ = self.customer()
		si = make_invoice(customer, add_days(TODAY, -10))
		run([si])
		user = make_user(f"{frappe.scrub(unique('restricted'))}@example.com", ["Accounts User"])
		frappe.get_doc(
			{
				"doctype": "User Permission",
				"user": user,
				"allow": "Customer",
				"for_value": other,
				"apply_to_all_doctypes": 1,
			}
		).insert(ignore_permissions=True)
		frappe.set_user(user)
		try:
			with self.assertRaises(frappe.PermissionError):
				api.get_invoice_relance(si.name)
			with self.assertRaises(frappe.PermissionError):
				api.get_timeline(sales_invoice=si.name)
			with self.assertRaises(frappe.PermissionError):
				api.get_customer_relances(customer)
			with self.assertRaises(frappe.PermissionError):
				api.set_hold(si.name, "Dispute")
			self.assertEqual(api.get_timeline(customer=other), [])
		finally:
			frappe.set_user("Administrator")
