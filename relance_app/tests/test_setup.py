"""Install creates the defaults; invalid policies are refused with the right message; permissions
hold for each role; the unique key refuses a duplicate log."""

import frappe
from frappe.tests.utils import FrappeTestCase

from relance_app.exceptions import InvalidHoldError, InvalidPolicyError, RelanceTemplateError
from relance_app.setup.custom_fields import CUSTOM_FIELDS
from relance_app.setup.defaults import DEFAULT_STAGES, default_policy_name, load_manifest
from relance_app.tests.utils import company, make_customer, make_invoice, unique


def policy_doc(**overrides):
	base = frappe.get_doc("Dunning Policy", default_policy_name(company()))
	doc = frappe.copy_doc(base)
	doc.policy_name = unique("Test policy")
	doc.is_default = 0
	doc.update(overrides)
	return doc


def second_company() -> str:
	"""A second French company (created once): its own default policy, its own users."""
	name = "Relance Autre SAS"
	if not frappe.db.exists("Company", name):
		frappe.get_doc(
			{
				"doctype": "Company",
				"company_name": name,
				"abbr": "RAS",
				"default_currency": "EUR",
				"country": "France",
				"create_chart_of_accounts_based_on": "Standard Template",
				"chart_of_accounts": "Standard",
			}
		).insert()
	return name


def log_row(customer_name: str) -> dict:
	"""A Relance Log as the run writes it, for an overdue invoice of a new customer."""
	customer = make_customer(customer_name, f"{frappe.scrub(customer_name)}@example.com")
	si = make_invoice(customer, frappe.utils.add_days(frappe.utils.today(), -10))
	return {
		"doctype": "Relance Log",
		"sales_invoice": si.name,
		"customer": customer,
		"company": company(),
		"stage_name": "Relance 1",
		"status": "Sent",
		"relance_date": frappe.utils.today(),
	}


def make_user(email, roles):
	if not frappe.db.exists("User", email):
		user = frappe.get_doc(
			{"doctype": "User", "email": email, "first_name": email.split("@")[0], "send_welcome_email": 0}
		).insert(ignore_permissions=True)
	else:
		user = frappe.get_doc("User", email)
	user.remove_roles(*[r.role for r in user.roles])
	user.add_roles(*roles)
	return email


class TestInstall(FrappeTestCase):
	def test_custom_fields_exist(self):
		for doctype, fields in CUSTOM_FIELDS.items():
			meta = frappe.get_meta(doctype)
			for f in fields:
				self.assertTrue(meta.has_field(f["fieldname"]), f"{doctype}.{f['fieldname']}")
		self.assertTrue(frappe.get_meta("Sales Invoice").get_field("relance_hold").allow_on_submit)

	def test_default_policy_per_company_follows_the_seeds(self):
		for name in frappe.get_all("Company", pluck="name"):
			policy = frappe.get_doc("Dunning Policy", default_policy_name(name))
			self.assertEqual(policy.company, name)
			self.assertTrue(policy.enabled)
			stages = [(s.stage_name, s.offset_days) for s in policy.stages]
			self.assertEqual(stages, [(s["stage_name"], s["offset_days"]) for s in DEFAULT_STAGES])
			formal = policy.stages[-1]
			self.assertTrue(formal.requires_approval and formal.include_penalties)
			self.assertEqual(formal.channel, "Email and Letter")
			self.assertTrue(policy.stages[3].include_penalties)  # relance 3, firmer
			self.assertTrue(all(s.email_template for s in policy.stages))
			self.assertTrue(any(r.language == "en" for r in policy.templates))
			self.assertTrue(any(r.tone == "Firm" for r in policy.templates))
		self.assertTrue(frappe.db.get_value("Dunning Policy", {"company": company(), "is_default": 1}))

	def test_shipped_email_templates_and_print_format(self):
		for entry in load_manifest():
			self.assertTrue(frappe.db.exists("Email Template", entry["name"]), entry["name"])
		self.assertEqual(frappe.db.get_value("Print Format", "Mise en demeure", "doc_type"), "Sales Invoice")

	def test_migrate_patch_is_idempotent(self):
		from relance_app.install import create_custom_fields

		create_custom_fields()
		create_custom_fields()
		self.assertEqual(
			frappe.db.count("Custom Field", {"dt": "Sales Invoice", "fieldname": "relance_hold"}), 1
		)


class TestPolicyValidation(FrappeTestCase):
	def assert_refused(self, doc, exc, *fragments):
		with self.assertRaises(exc) as ctx:
			doc.insert()
		message = str(ctx.exception)
		for fragment in fragments:
			self.assertIn(fragment, message)

	def test_valid_copy_saves(self):
		doc = policy_doc()
		doc.insert()
		self.assertTrue(doc.name)

	def test_stages_out_of_order(self):
		doc = policy_doc()
		doc.stages[1].offset_days = 40  # Relance 1 after Relance 2
		self.assert_refused(doc, InvalidPolicyError, "Relance 2", "Relance 1")

	def test_duplicate_offset_and_name(self):
		doc = policy_doc()
		doc.stages[2].offset_days = doc.stages[1].offset_days
		self.assert_refused(doc, InvalidPolicyError, "Relance 2", "same offset")
		doc = policy_doc()
		doc.stages[2].stage_name = "Relance 1"
		self.assert_refused(doc, InvalidPolicyError, "used twice")

	def test_missing_template_and_negative_gap(self):
		doc = policy_doc(min_days_between=-2)
		doc.stages[1].email_template = None
		self.assert_refused(doc, InvalidPolicyError, "Relance 1", "no email template", "negative")

	def test_template_with_jinja_error_names_stage_and_line(self):
		bad = frappe.get_doc(
			{
				"doctype": "Email Template",
				"name": unique("Broken"),
				"subject": "Facture {{ invoice_number }}",
				"use_html": 1,
				"response_html": "<p>Bonjour</p>\n<p>{{ no_such_variable }}</p>",
			}
		).insert()
		doc = policy_doc()
		doc.stages[2].email_template = bad.name
		self.assert_refused(doc, RelanceTemplateError, "Relance 2", bad.name, "line 2", "no_such_variable")

	def test_variant_for_unknown_stage(self):
		doc = policy_doc()
		doc.append("templates", {"stage_name": "Relance 9", "email_template": doc.stages[0].email_template})
		self.assert_refused(doc, InvalidPolicyError, "Relance 9")

	def test_one_default_per_company(self):
		doc = policy_doc(is_default=1)
		doc.insert()
		self.assertEqual(
			frappe.get_all("Dunning Policy", {"company": company(), "is_default": 1}, pluck="name"),
			[doc.name],
		)


class TestPolicyResolution(FrappeTestCase):
	def test_a_new_policy_targets_no_group_despite_the_selling_default(self):
		# Selling Settings stores a global "customer_group" default that Frappe pre-fills into any
		# field of that name: a policy must not silently target the root group
		root = frappe.db.get_value("Customer Group", {"lft": 1}, "name")
		frappe.defaults.set_global_default("customer_group", root)
		self.assertFalse(frappe.new_doc("Dunning Policy").target_customer_group)
		doc = policy_doc()
		doc.insert()
		self.assertFalse(doc.target_customer_group)

	def test_customer_policy_then_group_policy_then_company_default(self):
		from relance_app.data.invoices import load_policies, select_candidates

		root = frappe.db.get_value("Customer Group", {"lft": 1}, "name")
		usual_group = frappe.db.get_value(
			"Customer Group", {"is_group": 0, "name": ("not like", "Grands comptes%")}, "name"
		)
		group = frappe.get_doc(
			{
				"doctype": "Customer Group",
				"customer_group_name": unique("Grands comptes"),
				"parent_customer_group": root,
			}
		).insert()
		group_policy = policy_doc(target_customer_group=group.name)
		group_policy.insert()
		own_policy = policy_doc()
		own_policy.insert()
		in_group = make_customer(unique("Client groupe"), customer_group=group.name)
		own = make_customer(
			unique("Client propre"), customer_group=group.name, dunning_policy=own_policy.name
		)
		other = make_customer(unique("Client autre"), customer_group=usual_group)
		invoices = {
			c: make_invoice(c, frappe.utils.add_days(frappe.utils.today(), -3)).name
			for c in (in_group, own, other)
		}
		resolved = {
			c.facts.customer: c.policy.name
			for c in select_candidates(load_policies(), invoice_names=list(invoices.values()))
		}
		self.assertEqual(
			resolved,
			{in_group: group_policy.name, own: own_policy.name, other: default_policy_name(company())},
		)
		second = policy_doc(target_customer_group=group.name)
		with self.assertRaises(InvalidPolicyError):
			second.insert()


class TestHoldFields(FrappeTestCase):
	def test_hold_needs_reason_and_promise_needs_date(self):
		customer = make_customer(unique("Hold Customer"), "hold@example.com")
		si = make_invoice(customer, frappe.utils.add_days(frappe.utils.today(), 10))
		si.relance_hold = 1
		with self.assertRaises(InvalidHoldError):
			si.save()
		si.reload()
		si.relance_hold, si.relance_hold_reason = 1, "Payment Promise"
		with self.assertRaises(InvalidHoldError):
			si.save()
		si.reload()
		si.relance_hold, si.relance_hold_reason, si.relance_hold_until = 1, "Dispute", "2000-01-01"
		with self.assertRaises(InvalidHoldError):
			si.save()


class TestPermissions(FrappeTestCase):
	def setUp(self):
		self.user = make_user("relance-user@example.com", ["Accounts User"])
		self.manager = make_user("relance-manager@example.com", ["Accounts Manager"])

	def tearDown(self):
		frappe.set_user("Administrator")

	def test_accounts_user_reads_but_cannot_edit_policies(self):
		frappe.set_user(self.user)
		self.assertTrue(frappe.has_permission("Dunning Policy", "read"))
		self.assertFalse(frappe.has_permission("Dunning Policy", "create"))
		self.assertFalse(frappe.has_permission("Dunning Policy", "write"))
		self.assertFalse(frappe.has_permission("Relance Settings", "write"))

	def test_accounts_manager_edits_policies_and_settings(self):
		frappe.set_user(self.manager)
		self.assertTrue(frappe.has_permission("Dunning Policy", "create"))
		self.assertTrue(frappe.has_permission("Dunning Policy", "write"))
		self.assertTrue(frappe.has_permission("Relance Settings", "write"))

	def test_nobody_edits_relance_logs_only_system_manager_deletes(self):
		for user in (self.user, self.manager):
			frappe.set_user(user)
			self.assertTrue(frappe.has_permission("Relance Log", "read"))
			self.assertFalse(frappe.has_permission("Relance Log", "write"))
			self.assertFalse(frappe.has_permission("Relance Log", "create"))
			self.assertFalse(frappe.has_permission("Relance Log", "delete"))
		frappe.set_user("Administrator")
		self.assertTrue(frappe.has_permission("Relance Log", "delete"))
		self.assertFalse(frappe.get_meta("Relance Log").get_field("status").read_only == 0)

	def test_user_permissions_on_company_restrict_policies_and_logs(self):
		other = second_company()
		mine, theirs = default_policy_name(company()), default_policy_name(other)
		self.assertTrue(frappe.db.exists("Dunning Policy", theirs), "a new company gets its default policy")
		log = frappe.get_doc(log_row(unique("Client societe"))).insert(ignore_permissions=True)
		user = make_user(f"{frappe.scrub(unique('manager'))}@example.com", ["Accounts Manager"])
		frappe.get_doc(
			{
				"doctype": "User Permission",
				"user": user,
				"allow": "Company",
				"for_value": other,
				"apply_to_all_doctypes": 1,
			}
		).insert(ignore_permissions=True)
		frappe.set_user(user)
		self.assertEqual(
			frappe.get_list("Dunning Policy", filters={"name": ("in", [mine, theirs])}, pluck="name"),
			[theirs],
		)
		self.assertTrue(frappe.has_permission("Dunning Policy", "write", doc=theirs))
		self.assertFalse(frappe.has_permission("Dunning Policy", "read", doc=mine))
		self.assertEqual(frappe.get_list("Relance Log", filters={"name": log.name}), [])
		self.assertFalse(frappe.has_permission("Relance Log", "read", doc=log.name))


class TestUniqueKey(FrappeTestCase):
	def test_database_refuses_a_second_log_for_the_same_invoice_and_stage(self):
		row = log_row(unique("Unique Customer"))
		frappe.get_doc(row).insert(ignore_permissions=True)
		with self.assertRaises(frappe.UniqueValidationError):
			frappe.get_doc(row).insert(ignore_permissions=True)
		index = frappe.db.sql(
			"show index from `tabRelance Log` where Column_name = 'relance_key' and Non_unique = 0"
		)
		self.assertTrue(index)
