"""Every door of the app, knocked on over HTTP by someone who may not come in.

The doors are found, not listed: every module of relance_app is imported, then every function Frappe
whitelisted from it is called through the running web server (as test_api_args does in process):

- as a user whose only role is Stock User (403 on the Sales Invoice list) and as a guest: 403 for
  every method but the debtor page's documented guest methods (and, for the Stock User only, the
  credit hold's read door, which those who deliver read on the Delivery Note: 200 for a customer
  they may read);
- the guest methods (relance_app.portal) with a bad token, by both: a 4xx answer carrying no data;
- as an Accounts User: 200 on the workspace's cards and chart, so the doors are not simply shut.

The test creates its users and documents, commits them (the web server reads its own transaction) and
deletes them after. RELANCE_REST_URL overrides the site's host_name.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, getdate, today
from frappe.utils.password import update_password

import relance_app
from relance_app.common.args import specs_of
from relance_app.tests.test_setup import make_user
from relance_app.tests.utils import default_policy, good_value, make_customer, make_invoice, unique

GUEST_METHODS = frozenset(
	f"relance_app.portal.{name}"
	for name in ("promise", "dispute", "already_paid", "invoice_pdf", "statement_pdf")
)
CARDS = ("relance_app.api.total_overdue", "relance_app.api.on_hold", "relance_app.api.relances_by_stage")
# open to Sales and Stock users by design: the held customer's headline on their forms
SALES_DOORS = frozenset({"relance_app.api.get_credit_hold"})
BAD_TOKEN = "not-a-token.at-all"
PASSWORD = "Doors-" + "x9!Qw7#Lp2"


def app_modules() -> list[str]:
	"""Every module of relance_app but the tests, imported."""
	names = []
	for info in pkgutil.walk_packages(relance_app.__path__, "relance_app."):
		parts = info.name.split(".")
		if "tests" in parts or parts[-1].startswith("test_"):
			continue
		importlib.import_module(info.name)
		names.append(info.name)
	return names


def whitelisted_methods() -> dict[str, object]:
	"""dotted path -> function, for every function of relance_app that Frappe whitelisted."""
	app_modules()
	out = {}
	for fn in frappe.whitelisted:
		module = getattr(fn, "__module__", "") or ""
		if module == "relance_app" or module.startswith("relance_app."):
			out[f"{module}.{fn.__name__}"] = fn
	return out


class TestDoors(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		import requests

		cls.requests = requests
		cls.url = (
			os.environ.get("RELANCE_REST_URL") or frappe.conf.host_name or "http://relance.test:8000"
		).rstrip("/")
		frappe.set_user("Administrator")
		cls.methods = whitelisted_methods()
		slug = frappe.scrub(unique("doors"))
		cls.stock_user = make_user(f"{slug}-stock@example.com", ["Stock User"])
		cls.accounts_user = make_user(f"{slug}-accounts@example.com", ["Accounts User"])
		for user in (cls.stock_user, cls.accounts_user):
			update_password(user, PASSWORD)
		# the customer and invoice the calls name have no relance: a door that lets in shows its figures
		# (a log would make some refuse by chance); the log is another customer's
		cls.customer = make_customer(unique("Client Doors"), None)
		cls.invoice = make_invoice(cls.customer, add_days(getdate(today()), -20), submit=False).name
		cls.company = frappe.db.get_value("Sales Invoice", cls.invoice, "company")
		cls.logged_customer = make_customer(unique("Client Doors Log"), None)
		cls.logged_invoice = make_invoice(
			cls.logged_customer, add_days(getdate(today()), -20), submit=False
		).name
		log = frappe.get_doc(
			{
				"doctype": "Relance Log",
				"sales_invoice": cls.logged_invoice,
				"customer": cls.logged_customer,
				"company": cls.company,
				"dunning_policy": default_policy(),
				"stage_name": "Mise en demeure",
				"status": "Awaiting Approval",
				"relance_date": getdate(today()),
			}
		)
		log.flags.ignore_permissions = True
		log.insert()
		cls.log = log.name
		frappe.db.commit()  # nosemgrep: the web server reads these in its own transaction
		cls.sessions = {}

	@classmethod
	def tearDownClass(cls):
		for session in cls.sessions.values():
			session.get(f"{cls.url}/api/method/logout", timeout=10)
		frappe.set_user("Administrator")
		frappe.delete_doc("Relance Log", cls.log, force=True, ignore_permissions=True)
		for invoice in (cls.invoice, cls.logged_invoice):
			frappe.delete_doc("Sales Invoice", invoice, force=True, ignore_permissions=True)
		for customer in (cls.customer, cls.logged_customer):
			frappe.delete_doc("Customer", customer, force=True, ignore_permissions=True)
		for user in (cls.stock_user, cls.accounts_user):
			frappe.delete_doc("User", user, force=True, ignore_permissions=True)
		frappe.db.commit()  # nosemgrep: the rows this class committed, removed
		super().tearDownClass()

	def session(self, user: str | None):
		"""A requests session logged in as `user` (None: a guest)."""
		if user not in self.sessions:
			session = self.requests.Session()
			if user:
				answer = session.post(
					f"{self.url}/api/method/login", data={"usr": user, "pwd": PASSWORD}, timeout=30
				)
				self.assertEqual(
					answer.status_code, 200, f"login of {user} at {self.url}: {answer.text[:300]}"
				)
			self.sessions[user] = session
		return self.sessions[user]

	def good(self, spec) -> object:
		"""A value the spec accepts, naming this class's documents (the call reaches the deepest check)."""
		documents = {
			"Sales Invoice": self.invoice,
			"Customer": self.customer,
			"Dunning Policy": default_policy(),
			"Relance Log": self.log,
			"Company": self.company,
		}
		value = good_value(spec, documents, getdate(today()))
		return "1" if value is True else value  # over HTTP: run_dunning's dry_run, never a real run

	def call(self, user, path, params):
		fn = self.methods[path]
		methods = frappe.allowed_http_methods_for_whitelisted_func.get(fn) or ["GET", "POST"]
		session, url = self.session(user), f"{self.url}/api/method/{path}"
		if "POST" in methods:
			return session.post(url, data=params, timeout=120)
		return session.get(url, params=params, timeout=120)

	def params_for(self, path) -> dict:
		if path in GUEST_METHODS:
			return {"token": BAD_TOKEN, "sales_invoice": self.invoice}
		specs = specs_of(self.methods[path])
		self.assertIsNotNone(specs, f"{path} is whitelisted without relance_app.common.args.checked")
		return {name: self.good(spec) for name, spec in specs["args"].items()}

	def test_the_doors_are_found(self):
		self.assertLessEqual(GUEST_METHODS, set(self.methods), "a documented guest method is missing")
		self.assertLessEqual(set(CARDS), set(self.methods))
		guests = {
			path for path, fn in self.methods.items() if fn in frappe.guest_methods
		}  # nothing else opens to guests
		self.assertEqual(guests, set(GUEST_METHODS))
		self.assertGreaterEqual(len(self.methods), 25)

	def test_no_door_opens_to_a_user_without_accounts_roles_or_a_guest(self):
		open_doors = []
		for user in (self.stock_user, None):
			for path in sorted(set(self.methods) - GUEST_METHODS - (SALES_DOORS if user else set())):
				answer = self.call(user, path, self.params_for(path))
				if answer.status_code != 403:
					open_doors.append(f"{user or 'Guest'} {path}: {answer.status_code} {answer.text[:200]}")
		self.assertFalse(open_doors, "\n".join(open_doors))
		for path in SALES_DOORS:  # the Stock User reads a customer's hold, as the Delivery Note shows it
			answer = self.call(self.stock_user, path, self.params_for(path))
			self.assertEqual(answer.status_code, 200, f"{path}: {answer.text[:300]}")
		# the Stock User is refused the Sales Invoice list too: the door is the one Frappe keeps
		answer = self.session(self.stock_user).get(f"{self.url}/api/resource/Sales Invoice", timeout=30)
		self.assertEqual(answer.status_code, 403, answer.text[:200])

	def test_guest_methods_give_nothing_for_a_bad_token(self):
		for user in (None, self.stock_user):
			for path in sorted(GUEST_METHODS):
				answer = self.call(user, path, self.params_for(path))
				who = f"{user or 'Guest'} {path}"
				self.assertTrue(
					400 <= answer.status_code < 500, f"{who}: {answer.status_code} {answer.text[:300]}"
				)
				self.assertIn("json", answer.headers.get("Content-Type", ""), who)
				message = answer.json().get("message")
				self.assertTrue(message is None or isinstance(message, dict), f"{who}: {message!r}")
				if message:
					self.assertEqual(set(message) - {"ok", "message"}, set(), f"{who}: {message!r}")
					self.assertFalse(message.get("ok"), who)
					self.assertNotIn(self.customer, json.dumps(message), who)

	def test_an_accounts_user_reads_the_cards(self):
		chart = frappe.db.get_value("Dashboard Chart", {"source": "Relances by Stage"}, "name")
		params = {
			"relance_app.api.total_overdue": {"filters": "{}"},
			"relance_app.api.on_hold": {"filters": json.dumps({"company": self.company})},
			"relance_app.api.relances_by_stage": {"chart_name": chart, "filters": "[]", "refresh": "1"},
		}
		for path in CARDS:
			answer = self.call(self.accounts_user, path, params[path])
			self.assertEqual(answer.status_code, 200, f"{path}: {answer.text[:300]}")
			self.assertIsInstance(answer.json()["message"], dict, path)
		# the number cards and the chart source name the doors that answer
		for card in ("Relance Total Overdue", "Relance On Hold"):
			self.assertIn(frappe.db.get_value("Number Card", card, "method"), CARDS, card)
