"""Every whitelisted method of relance_app.api, fed generated bad arguments: each call either succeeds
or is refused with a ValidationError (DoesNotExistError included) or a PermissionError carrying a
message and a title, and no document changes. Then a few calls over REST through the web server.

The methods are found by walking relance_app.api for what Frappe whitelisted; their arguments come
from the specs `relance_app.common.args.checked` attaches, so a new method without specs fails here.
"""

from __future__ import annotations

import datetime
import inspect
import json
import os
import re
from collections import Counter, defaultdict
from contextlib import contextmanager

import frappe
from frappe.query_builder.functions import Count, Max
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, getdate, today
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relance_app import api
from relance_app.common.args import MAX_DATE, MIN_DATE, specs_of
from relance_app.tests.test_setup import make_user
from relance_app.tests.utils import default_policy, good_value, make_customer, make_invoice, unique

MODULES = (api,)
EXAMPLES = int(os.environ.get("RELANCE_ARGS_EXAMPLES", 100))
TODAY = getdate(today())
REFUSED = (frappe.ValidationError, frappe.PermissionError)
WATCHED = (
	"Relance Log",
	"ToDo",
	"Communication",
	"Comment",
	"Email Queue",
	"Error Log",
	"Dunning",
	"Dunning Policy",
	"Sales Invoice",
	"Version",
	"Relance Legal Rate",
)
INVOICE_FIELDS = (
	"modified",
	"relance_hold",
	"relance_hold_reason",
	"relance_hold_until",
	"relance_status",
	"relance_last_stage",
	"relance_next_date",
)
HOSTILE = (
	"<script>alert(1)</script>",
	'"><img src=x onerror=alert(1)>',
	"' OR '1'='1",
	"1; DROP TABLE `tabSales Invoice`; --",
	"%",
	"_",
	"\\",
	"%' AND SLEEP(5) AND '%'='",
	"{{ frappe.db.sql('select 1') }}",
	"\x00",
	"é" * 300,
)
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def whitelisted_methods() -> dict:
	"""name -> (callable, specs or None) for every whitelisted function of MODULES."""
	out = {}
	for module in MODULES:
		for name, fn in inspect.getmembers(module, callable):
			if fn in frappe.whitelisted:
				out[f"{module.__name__}.{name}"] = (fn, specs_of(fn))
	return out


def valid_date(text: str) -> bool:
	try:
		day = datetime.date.fromisoformat(text.strip())
	except ValueError:
		return False
	return bool(ISO.match(text.strip())) and MIN_DATE <= day <= MAX_DATE


JUNK = st.one_of(
	st.lists(st.integers(), max_size=3),
	st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
	st.floats(allow_nan=True, allow_infinity=True),
	st.builds(object),
)


def bad(spec) -> st.SearchStrategy:
	"""Values `spec` must refuse (or, for a capped number, cap)."""
	kind = spec.kind
	missing = st.sampled_from([None, "", "   "]) if spec.required else st.nothing()
	if kind == "date":
		return st.one_of(
			missing,
			st.sampled_from(
				["2026-02-30", "2026-13-01", "01/02/2026", "9999999-01-01", "2026-1-1", *HOSTILE]
			),
			st.text(max_size=30).filter(lambda s: s.strip() and not valid_date(s)),
			st.dates(max_value=MIN_DATE - datetime.timedelta(days=1)),
			st.dates(min_value=MAX_DATE + datetime.timedelta(days=1)),
			st.integers(),
			st.booleans(),
			JUNK,
		)
	if kind == "int":
		return st.one_of(
			missing,
			st.sampled_from(["abc", "1.5", "1e9", "0x10", "--1", "9" * 40, *HOSTILE]),
			st.integers(max_value=spec.minimum - 1),
			st.integers(min_value=spec.maximum + 1),
			st.floats().filter(lambda f: not f.is_integer()),
			st.booleans(),
			st.lists(st.integers(), max_size=3),
			st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
		)
	if kind == "bool":
		return st.one_of(
			st.sampled_from(["maybe", "2", "-1", "tru", "1.0", *HOSTILE]),
			st.integers().filter(lambda i: i not in (0, 1)),
			JUNK,
		)
	if kind == "choice":
		# a blank is `missing` (an optional choice left blank takes its default), as for dates and texts
		other = st.text(max_size=40).filter(lambda s: s.strip() and s not in spec.options)
		return st.one_of(missing, other, JUNK)
	if kind == "text":
		return st.one_of(
			missing,
			st.text(min_size=spec.max_length + 1, max_size=spec.max_length + 40).filter(
				lambda s: len(s.strip()) > spec.max_length
			),
			st.integers(),
			st.booleans(),
			JUNK,
		)
	if kind == "doc":
		return st.one_of(
			missing,
			st.text(min_size=1, max_size=60).map(lambda s: "zz no such " + s),
			st.sampled_from([*HOSTILE, "A" * 500]),
			st.integers(),
			JUNK,
		)
	if kind == "doclist":
		return st.one_of(
			missing,
			st.sampled_from(
				[
					"[not json",
					"{}",
					"null",
					"[]",
					"[1, 2]",
					'[["a"]]',
					'"just a string"',
					'["zz no such"]',
					json.dumps(["x"] * 501),
					*HOSTILE,
				]
			),
			st.lists(st.text(max_size=20).map(lambda s: "zz no such " + s), min_size=1, max_size=5),
			st.lists(st.integers(), min_size=1, max_size=3),
			st.just([]),
			st.integers(),
			st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
		)
	raise AssertionError(f"no strategy for argument kind {kind!r}: add one to this test")


def snapshot(invoices) -> dict:
	"""Counts and last modification of the watched doctypes, and the relance fields of our invoices.
	Read in the test's transaction (repeatable read): other sessions' commits do not show."""
	out = {}
	for doctype in WATCHED:
		table = frappe.qb.DocType(doctype)
		out[doctype] = frappe.qb.from_(table).select(Count("*"), Max(table.modified)).run()[0]
	out["invoices"] = frappe.get_all(
		"Sales Invoice", filters={"name": ("in", invoices)}, fields=["name", *INVOICE_FIELDS], order_by="name"
	)
	return out


WRITE = re.compile(r"^\s*(insert|update|delete|replace|commit|alter|create|drop|truncate|rename)\b", re.I)


@contextmanager
def record_writes(found: list):
	"""Every statement of this session that writes or commits, while the block runs."""
	db = frappe.local.db
	sql = db.sql

	def spy(query, *args, **kwargs):
		text = str(query)
		if WRITE.match(text):
			found.append(text[:200])
		return sql(query, *args, **kwargs)

	db.sql = spy
	try:
		yield found
	finally:
		del db.sql


class TestApiArguments(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		cls.customer = make_customer(unique("Client Args"), None)
		cls.invoice = make_invoice(cls.customer, add_days(TODAY, -20)).name
		cls.draft = make_invoice(cls.customer, add_days(TODAY, -20), submit=False).name
		cls.policy = default_policy()
		log = frappe.get_doc(
			{
				"doctype": "Relance Log",
				"sales_invoice": cls.invoice,
				"customer": cls.customer,
				"company": frappe.db.get_value("Sales Invoice", cls.invoice, "company"),
				"dunning_policy": cls.policy,
				"stage_name": "Mise en demeure",
				"status": "Awaiting Approval",
				"relance_date": TODAY,
			}
		)
		log.flags.ignore_permissions = True
		log.insert()
		cls.log = log.name
		cls.stats = defaultdict(Counter)

	@classmethod
	def tearDownClass(cls):
		total = sum(sum(c.values()) for c in cls.stats.values())
		print(f"\nGenerated calls: {total}")
		for method, counts in sorted(cls.stats.items()):
			print(f"  {method}: {dict(counts)}")
		super().tearDownClass()

	def good(self, name, spec, method):
		"""A value `spec` accepts (never one that would make the call change something)."""
		documents = {
			"Sales Invoice": self.invoice,
			"Customer": self.customer,
			"Dunning Policy": self.policy,
			"Relance Log": self.log,
			"Company": frappe.db.get_value("Sales Invoice", self.invoice, "company"),
		}
		return good_value(spec, documents, add_days(TODAY, 10), f"{method}.{name}")

	def call_with_bad_arguments(self, method, fn, specs, data):
		params = list(specs["args"])
		bad_ones = data.draw(st.lists(st.sampled_from(params), min_size=1, unique=True), label="bad")
		kwargs = {}
		for name in params:
			spec = specs["args"][name]
			if name in bad_ones:
				kwargs[name] = data.draw(bad(spec), label=name)
			elif spec.required or data.draw(st.booleans(), label=f"give {name}"):
				kwargs[name] = self.good(name, spec, method)
		frappe.db.savepoint("relance_args_call")
		before = snapshot([self.invoice, self.draft])
		frappe.local.message_log = []
		writes = []
		try:
			with record_writes(writes):
				fn(**kwargs)
			outcome = "succeeded"
		except REFUSED as e:
			outcome = type(e).__name__
			message = str(e).strip()
			self.assertTrue(message, f"{method}({kwargs!r}) refused without a message")
			logged = [json.loads(m) if isinstance(m, str) else m for m in frappe.local.message_log]
			self.assertTrue(
				any(m.get("title") for m in logged), f"{method}({kwargs!r}): no title in {logged!r}"
			)
		except Exception as e:
			raise AssertionError(f"{method}({kwargs!r}) raised {type(e).__name__}: {e}") from e
		finally:
			after = snapshot([self.invoice, self.draft])
			frappe.db.rollback(save_point="relance_args_call")
		self.assertFalse(writes, f"{method}({kwargs!r}) wrote to the database ({outcome})")
		changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
		self.assertFalse(changed, f"{method}({kwargs!r}) changed something ({outcome}): {changed}")
		self.stats[method][outcome] += 1

	def fuzz(self, method, fn, specs):
		@settings(
			max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
		)
		@given(data=st.data())
		def check(data):
			self.call_with_bad_arguments(method, fn, specs, data)

		return check

	def test_every_whitelisted_method_is_declared(self):
		frappe.db.savepoint("relance_args_spy")
		with record_writes([]) as found:  # the spy sees a write
			frappe.get_doc({"doctype": "ToDo", "description": "spy"}).insert(ignore_permissions=True)
		frappe.db.rollback(save_point="relance_args_spy")
		self.assertTrue(any("insert" in q.lower() for q in found), found)
		methods = whitelisted_methods()
		self.assertGreaterEqual(len(methods), 12)
		undeclared = sorted(name for name, (_fn, specs) in methods.items() if specs is None)
		self.assertFalse(undeclared, f"whitelisted without relance_app.common.args.checked: {undeclared}")
		for name, (_fn, specs) in methods.items():
			for arg, spec in specs["args"].items():
				bad(spec)  # a strategy exists for every kind of argument
				self.good(arg, spec, name)

	def test_generated_bad_arguments_are_refused_cleanly(self):
		for method, (fn, specs) in sorted(whitelisted_methods().items()):
			self.assertIsNotNone(specs, f"{method} has no argument specs")
			self.fuzz(method, fn, specs)()
		refusals = Counter()
		for counts in self.stats.values():
			refusals.update(counts)
		self.assertGreater(refusals["InvalidArgumentError"], 0)
		self.assertGreater(refusals["DoesNotExistError"], 0)

	def test_the_issue_cases(self):
		"""The four calls of the issue: a clear refusal, or the two-year cap with a message."""
		frappe.db.savepoint("relance_issue_cases")
		frappe.local.message_log = []
		result = api.simulate_policy(self.policy, days=10_000_000)
		self.assertIn("as_of", result)
		self.assertTrue(any("730" in str(m) for m in frappe.local.message_log))
		with self.assertRaises(frappe.ValidationError):
			api.simulate_policy(self.policy, days="abc")
		with self.assertRaises(frappe.ValidationError) as refused:
			api.approve_relances("[not json")
		self.assertNotIsInstance(refused.exception, frappe.DoesNotExistError)
		with self.assertRaises(frappe.DoesNotExistError):
			api.get_timeline(customer="No Such Customer")
		frappe.db.rollback(save_point="relance_issue_cases")

	def test_a_user_without_roles_is_refused_everywhere(self):
		user = make_user(f"{frappe.scrub(unique('noroles'))}@example.com", ["Blogger"])
		frappe.set_user(user)
		try:
			for method, (fn, specs) in sorted(whitelisted_methods().items()):
				kwargs = {n: self.good(n, s, method) for n, s in specs["args"].items()}
				before = snapshot([self.invoice, self.draft])
				with self.assertRaises(frappe.PermissionError, msg=method):
					fn(**kwargs)
				self.assertEqual(before, snapshot([self.invoice, self.draft]), method)
		finally:
			frappe.set_user("Administrator")


class TestApiOverRest(FrappeTestCase):
	"""Through the running web server: the HTTP status of a refusal (417, 403, 404, never 500) and the
	message in the JSON answer. RELANCE_REST_URL overrides the site's host_name."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		import requests

		cls.url = (
			os.environ.get("RELANCE_REST_URL") or frappe.conf.host_name or "http://relance.test:8000"
		).rstrip("/")
		cls.session = requests.Session()
		password = os.environ.get("RELANCE_ADMIN_PASSWORD") or frappe.conf.admin_password or "admin"
		try:
			answer = cls.session.post(
				f"{cls.url}/api/method/login", data={"usr": "Administrator", "pwd": password}, timeout=10
			)
		except requests.RequestException as e:
			raise AssertionError(f"the web server at {cls.url} does not answer: {e}") from e
		if answer.status_code != 200:
			raise AssertionError(f"login at {cls.url} failed: {answer.status_code} {answer.text[:200]}")
		cls.statuses = Counter()

	@classmethod
	def tearDownClass(cls):
		print(f"\nREST statuses seen: {dict(sorted(cls.statuses.items()))}")
		super().tearDownClass()

	def call(self, method, http="GET", **params):
		path = f"{self.url}/api/method/relance_app.api.{method}"
		if http == "GET":
			answer = self.session.get(path, params=params, timeout=60)
		else:
			answer = self.session.post(path, data=params, timeout=60)
		self.statuses[answer.status_code] += 1
		self.assertNotEqual(answer.status_code, 500, f"{method} {params}: {answer.text[:500]}")
		return answer

	def message_of(self, answer) -> str:
		data = answer.json()
		messages = [
			json.loads(m).get("message", "") for m in json.loads(data.get("_server_messages") or "[]")
		]
		return " ".join([*messages, data.get("exception") or ""])

	def assertRefused(self, answer, status, *words):
		self.assertEqual(answer.status_code, status, answer.text[:500])
		text = self.message_of(answer)
		self.assertTrue(text.strip(), answer.text[:500])
		for word in words:
			self.assertIn(word, text)

	def test_refusals_carry_their_status_and_message(self):
		self.assertRefused(self.call("approve_relances", "POST", names="[not json"), 417, "JSON")
		self.assertRefused(self.call("simulate_policy", dunning_policy="x", days="abc"), 404)
		policy = frappe.db.get_value("Dunning Policy", {}, "name")
		self.assertRefused(self.call("simulate_policy", dunning_policy=policy, days="abc"), 417, "days")
		self.assertRefused(self.call("get_timeline", customer="No Such Customer"), 404, "No Such Customer")
		self.assertRefused(self.call("get_invoice_relance", sales_invoice="<script>x</script>"), 404)
		self.assertRefused(self.call("set_hold", "POST", sales_invoice="NO-SUCH", reason="Dispute"), 404)
		self.assertRefused(self.call("run_dunning", "GET", dry_run="0"), 403)  # a real run must be POSTed
		self.assertRefused(self.call("run_dunning", "GET", dry_run="maybe"), 417, "dry_run")
		self.assertRefused(self.call("run_dunning", "GET", as_of="2026-02-30", dry_run="1"), 417, "as_of")
		capped = self.call("simulate_policy", dunning_policy=policy, days="10000000")
		self.assertEqual(capped.status_code, 200, capped.text[:500])
		self.assertIn("730", self.message_of(capped))

	def test_junk_never_makes_a_server_error(self):
		junk = ["", "[not json", "abc", "-1", "9" * 40, "2026-02-30", "<b>x</b>", "' OR 1=1 --", "null", "[]"]
		for method, (_fn, specs) in sorted(whitelisted_methods().items()):
			name = method.rsplit(".", 1)[1]
			for value in junk:
				params = {arg: value for arg in specs["args"]}
				if name == "run_dunning":
					params["dry_run"] = params.get("dry_run") if value not in ("", "null", "[]") else "maybe"
				answer = self.call(name, "POST", **params)
				if answer.status_code != 200:
					self.assertIn(answer.status_code, (403, 404, 417), f"{name} {params}")
					self.assertTrue(self.message_of(answer).strip(), f"{name} {params}: {answer.text[:300]}")
