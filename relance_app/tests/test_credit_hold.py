"""The credit hold on a real site: a customer taken to the formal notice has its Sales Order and Delivery
Note refused with a message naming the overdue invoices; a Credit Controller submits once anyway and
the bypass is logged; a payment lifts the hold; a release by hand too; the register, the card and the
forms say the same; who may read and who may bypass.

Nothing is committed: the class's rows go with FrappeTestCase's rollback.
"""

from __future__ import annotations

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, flt, getdate, today

from relance_app import api
from relance_app.analytics.register import add_credit_holds, register_rows
from relance_app.constants import HOLD_BYPASSED, HOLD_LIFTED, HOLD_RELEASED, HOLD_STARTED
from relance_app.data.credit_hold import hold_of
from relance_app.exceptions import CreditHoldError, InvalidPolicyError
from relance_app.records.credit_hold import sync_customer
from relance_app.tests.test_setup import make_user
from relance_app.tests.utils import (
	company,
	make_customer,
	make_invoice,
	make_item,
	pay,
	policy_copy,
	settings_changed,
	unique,
)

TODAY = getdate(today())
LOG = "Relance Credit Hold Log"
FORMAL = "Mise en demeure"


def reach(invoice, stage: str, days_ago: int = 3) -> None:
	"""The relance of `invoice` reached the customer at `stage` (the run's log row, as it writes it)."""
	si = frappe.db.get_value("Sales Invoice", invoice, ["customer", "company"], as_dict=True)
	frappe.get_doc(
		{
			"doctype": "Relance Log",
			"sales_invoice": invoice,
			"customer": si.customer,
			"company": si.company,
			"dunning_policy": frappe.db.get_value("Customer", si.customer, "dunning_policy"),
			"stage_name": stage,
			"status": "Sent",
			"relance_date": add_days(TODAY, -days_ago),
		}
	).insert(ignore_permissions=True)


def sales_doc(doctype: str, customer: str, **kw):
	make_item()
	values = {
		"doctype": doctype,
		"company": company(),
		"currency": "EUR",
		"items": [{"item_code": "Relance Test Service", "qty": 1, "rate": 100}],
		**kw,
	}
	if doctype == "Quotation":
		values.update(quotation_to="Customer", party_name=customer, valid_till=add_days(TODAY, 30))
	else:
		values["customer"] = customer
	if doctype == "Sales Order":
		values["delivery_date"] = add_days(TODAY, 7)
	return frappe.get_doc(values).insert(ignore_permissions=True)


def logs(customer: str, event: str) -> list:
	return frappe.get_all(
		LOG,
		filters={"customer": customer, "event": event},
		fields=["name", "reason", "invoices", "reference_doctype", "reference_name", "user", "valid_until"],
	)


def comments(doctype: str, name: str) -> list[str]:
	return frappe.get_all(
		"Comment",
		filters={"reference_doctype": doctype, "reference_name": name, "comment_type": "Info"},
		pluck="content",
	)


class TestCreditHold(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		slug = frappe.scrub(unique("hold"))
		cls.controller = make_user(
			f"{slug}-controller@example.com", ["Accounts Manager", "Sales User", "Stock User"]
		)
		cls.seller = make_user(f"{slug}-seller@example.com", ["Sales User", "Stock User"])
		cls.buyer = make_user(f"{slug}-buyer@example.com", ["Purchase User"])

	def setUp(self):
		frappe.set_user("Administrator")
		self.addCleanup(frappe.set_user, "Administrator")

	def held_customer(self, amount=1200.0, **policy):
		"""A customer of its own policy (credit hold from the formal notice), with an invoice 50 days
		late whose relance reached the formal notice."""
		customer = make_customer(unique("Client Hold"))
		policy_copy(customer, credit_hold_enabled=1, credit_hold_from_stage=FORMAL, **policy)
		invoice = make_invoice(customer, add_days(TODAY, -50), amount=amount).name
		for k, stage in enumerate(("Relance 1", "Relance 2", "Relance 3", FORMAL)):
			reach(invoice, stage, days_ago=40 - 10 * k)
		return customer, invoice

	def test_a_customer_group_policy_holds_and_only_the_policies_that_may_apply_are_read(self):
		"""The decision reads the customers' own policies, the group-targeted ones and the defaults:
		not every customer's own policy of the site."""
		from relance_app.data.invoices import resolvable_policies

		group = frappe.get_doc(
			{
				"doctype": "Customer Group",
				"customer_group_name": unique("Groupe Hold"),
				"parent_customer_group": frappe.db.get_value("Customer Group", {"is_group": 1, "lft": 1}),
			}
		).insert(ignore_permissions=True)
		customer = make_customer(unique("Client Groupe"))
		policy = policy_copy(
			customer, credit_hold_enabled=1, credit_hold_from_stage=FORMAL, target_customer_group=group.name
		)
		frappe.db.set_value("Customer", customer, {"dunning_policy": None, "customer_group": group.name})
		other = policy_copy(make_customer(unique("Client Autre")))
		names = resolvable_policies({None})
		self.assertIn(policy.name, names)
		self.assertNotIn(other.name, names)
		self.assertIn(other.name, resolvable_policies({other.name}))

		invoice = make_invoice(customer, add_days(TODAY, -50)).name
		reach(invoice, FORMAL)
		found = hold_of(customer, company())
		self.assertTrue(found.hold.held)
		self.assertEqual(found.policy, policy.name)

	# --- refusals -----------------------------------------------------------------------------------------

	def test_a_sales_order_is_refused_with_the_invoices_amounts_stages_and_who_may_release(self):
		customer, invoice = self.held_customer(amount=1234.5)
		order = sales_doc("Sales Order", customer)
		with self.assertRaises(CreditHoldError) as refused:
			order.submit()
		text = str(refused.exception)
		self.assertIn(invoice, text)
		self.assertIn("1", text)
		self.assertIn("234,50", text)
		self.assertIn(FORMAL, text)
		self.assertIn("Accounts Manager", text)
		self.assertEqual(frappe.db.get_value("Sales Order", order.name, "docstatus"), 0)

	def test_the_refusal_names_a_few_of_those_who_may_release_and_counts_the_others(self):
		from unittest.mock import patch

		from relance_app.records import credit_hold

		people = [f"Comptable {i}" for i in range(credit_hold.SHOWN_USERS + 3)]
		with patch.object(credit_hold, "controllers", return_value=people):
			text = credit_hold.who_may_release()
		self.assertIn(", ".join(people[: credit_hold.SHOWN_USERS]), text)
		self.assertNotIn(people[credit_hold.SHOWN_USERS], text)
		self.assertIn("3", text)

	def test_a_delivery_note_is_refused(self):
		customer, invoice = self.held_customer()
		note = sales_doc("Delivery Note", customer)
		with self.assertRaises(CreditHoldError) as refused:
			note.submit()
		self.assertIn(invoice, str(refused.exception))

	def test_a_quotation_only_warns_and_a_credit_note_is_never_refused(self):
		customer, invoice = self.held_customer()
		frappe.clear_messages()
		quote = sales_doc("Quotation", customer)
		quote.submit()
		self.assertEqual(quote.docstatus, 1)
		self.assertTrue(any(invoice in str(m) for m in frappe.message_log), frappe.message_log)
		from erpnext.controllers.sales_and_purchase_return import make_return_doc

		credit = make_return_doc("Sales Invoice", invoice)
		credit.items[0].rate = 500
		credit.insert(ignore_permissions=True)
		credit.submit()
		self.assertEqual(credit.docstatus, 1)

	def test_an_earlier_stage_or_nothing_overdue_holds_nothing(self):
		customer = make_customer(unique("Client Hold"))
		policy_copy(customer, credit_hold_enabled=1, credit_hold_from_stage=FORMAL)
		invoice = make_invoice(customer, add_days(TODAY, -20)).name
		reach(invoice, "Relance 2")
		sales_doc("Sales Order", customer).submit()
		on_time = make_customer(unique("Client Ponctuel"))
		policy_copy(on_time, credit_hold_enabled=1, credit_hold_from_stage=FORMAL)
		make_invoice(on_time, add_days(TODAY, 10))
		self.assertFalse(hold_of(on_time, company()).hold.held)
		sales_doc("Delivery Note", on_time).submit()

	def test_a_promise_keeps_the_invoice_out_while_it_runs(self):
		customer, invoice = self.held_customer()
		api.record_payment_promise(invoice, add_days(TODAY, 5))
		self.assertFalse(hold_of(customer, company()).hold.held)
		self.assertTrue(hold_of(customer, company(), add_days(TODAY, 6)).hold.held)

	# --- bypass, lift, release -------------------------------------------------------------------------------

	def test_a_credit_controller_bypasses_once_and_it_is_logged(self):
		customer, invoice = self.held_customer()
		order = sales_doc("Sales Order", customer)
		frappe.set_user(self.controller)
		done = api.submit_with_bypass("Sales Order", order.name, "Urgent order agreed with the director")
		self.assertEqual(done["docstatus"], 1)
		frappe.set_user("Administrator")
		[log] = logs(customer, HOLD_BYPASSED)
		self.assertEqual(
			(log.reference_doctype, log.reference_name, log.user),
			("Sales Order", order.name, self.controller),
		)
		self.assertIn(invoice, log.invoices)
		for doctype, name in (("Customer", customer), ("Sales Order", order.name)):
			self.assertTrue(any("Urgent order" in c for c in comments(doctype, name)), doctype)
		# once: the next order is refused again
		with self.assertRaises(CreditHoldError):
			sales_doc("Sales Order", customer).submit()

	def test_the_credit_controller_role_of_accounts_settings_decides(self):
		customer, _invoice = self.held_customer()
		order = sales_doc("Sales Order", customer)
		frappe.set_user(self.seller)
		with self.assertRaises(frappe.PermissionError):
			api.submit_with_bypass("Sales Order", order.name, "Please")
		frappe.set_user("Administrator")
		with settings_changed("Accounts Settings", {"credit_controller": "Sales User"}):
			frappe.set_user(self.seller)
			self.assertEqual(api.submit_with_bypass("Sales Order", order.name, "Role given")["docstatus"], 1)
			frappe.set_user(self.buyer)
			with self.assertRaises(frappe.PermissionError):
				api.submit_with_bypass("Sales Order", sales_doc("Sales Order", customer).name, "Not mine")

	def test_payment_lifts_the_hold_and_the_log_says_so(self):
		customer, invoice = self.held_customer()
		sync_customer(customer)
		self.assertEqual(len(logs(customer, HOLD_STARTED)), 1)
		self.assertEqual(frappe.db.get_value("Customer", customer, "relance_credit_hold"), 1)
		pay(invoice)
		self.assertEqual(len(logs(customer, HOLD_LIFTED)), 1)
		self.assertEqual(frappe.db.get_value("Customer", customer, "relance_credit_hold"), 0)
		self.assertTrue(any("no longer held" in c for c in comments("Customer", customer)))
		sales_doc("Sales Order", customer).submit()

	def test_a_release_by_hand_lasts_until_its_date_and_is_logged(self):
		customer, invoice = self.held_customer()
		sync_customer(customer)
		frappe.set_user(self.controller)
		api.release_credit_hold(customer, company(), "Agreed payment plan", add_days(TODAY, 3))
		frappe.set_user("Administrator")
		[release] = logs(customer, HOLD_RELEASED)
		self.assertEqual((release.invoices, getdate(release.valid_until)), (invoice, add_days(TODAY, 3)))
		self.assertEqual(len(logs(customer, HOLD_LIFTED)), 1)
		sales_doc("Sales Order", customer).submit()
		self.assertTrue(hold_of(customer, company(), add_days(TODAY, 4)).hold.held)
		frappe.set_user(self.seller)
		with self.assertRaises(frappe.PermissionError):
			api.release_credit_hold(customer, company(), "Me too", add_days(TODAY, 3))

	# --- what people see -------------------------------------------------------------------------------------

	def test_the_form_the_register_and_the_card_agree(self):
		customer, invoice = self.held_customer()
		frappe.set_user(self.seller)
		seen = api.get_credit_hold(customer, company(), "Delivery Note")["holds"][0]
		self.assertTrue(seen["held"])
		self.assertEqual(seen["action"], "Refuse on submit")
		self.assertIn(FORMAL, seen["headline"])
		frappe.set_user("Administrator")
		rows = add_credit_holds(
			register_rows({"customer": customer}), {"customer": customer, "credit_hold": 1}
		)
		self.assertEqual([r.sales_invoice for r in rows], [invoice])
		self.assertEqual(rows[0].credit_hold, seen["headline"])
		self.assertGreaterEqual(api.held_customers()["value"], 1)
		not_held = make_customer(unique("Client"))
		make_invoice(not_held, add_days(TODAY, -40))
		self.assertEqual(add_credit_holds(register_rows({"customer": not_held}), {"credit_hold": 1}), [])

	def test_who_may_read_a_hold(self):
		customer, _invoice = self.held_customer()
		frappe.set_user(self.buyer)
		with self.assertRaises(frappe.PermissionError):
			api.get_credit_hold(customer, company())
		frappe.set_user("Administrator")
		other = make_customer(unique("Client Autre"))
		permission = frappe.get_doc(
			{"doctype": "User Permission", "user": self.seller, "allow": "Customer", "for_value": other}
		).insert(ignore_permissions=True)
		frappe.set_user(self.seller)
		with self.assertRaises(frappe.PermissionError):
			api.get_credit_hold(customer, company())
		self.assertEqual(api.get_credit_hold(other, company())["holds"], [])
		frappe.set_user("Administrator")
		permission.delete(ignore_permissions=True)

	def test_a_policy_with_a_bad_credit_hold_is_refused_when_saved(self):
		customer = make_customer(unique("Client Hold"))
		for values in (
			{"credit_hold_enabled": 1},
			{"credit_hold_enabled": 1, "credit_hold_from_stage": "Pré-relance"},
			{"credit_hold_enabled": 1, "credit_hold_from_stage": "Nope"},
		):
			with self.assertRaises(InvalidPolicyError):
				policy_copy(customer, **values)

	def test_the_amount_trigger_counts_overdue_only(self):
		customer = make_customer(unique("Client Hold"))
		policy_copy(customer, credit_hold_enabled=1, credit_hold_amount=1500)
		make_invoice(customer, add_days(TODAY, -10), amount=1000)
		make_invoice(customer, add_days(TODAY, 10), amount=1000)
		self.assertFalse(hold_of(customer, company()).hold.held)
		make_invoice(customer, add_days(TODAY, -1), amount=600)
		found = hold_of(customer, company())
		self.assertTrue(found.hold.held)
		self.assertEqual(flt(found.hold.overdue), 1600)
