"""What the credit hold's doc_events cost on Sales Orders (issue 25): submit N Sales Orders with the
app's hooks switched off, then on, for a customer who owes nothing overdue (the common case: one
indexed query per event, then out) and for one with overdue invoices under a credit-hold policy but not
held (the whole decision: invoices, stages reached, policies, releases). Prints the milliseconds per
order and the queries the hooks issued. A figure, not a test; everything is rolled back.

    cd ~/frappe-bench/sites
    ../env/bin/python ../apps/relance_app/benchmarks/credit_hold_orders.py --site SITE [--orders 1000]
"""

from __future__ import annotations

import statistics
import time

from cli import parser, site

CONFIGS = (
	"hooks off, nothing overdue",
	"hooks on, nothing overdue",
	"hooks off, overdue",
	"hooks on, overdue, not held",
)
OFF = (CONFIGS[0], CONFIGS[2])


def order(customer: str, company: str):
	import frappe
	from frappe.utils import add_days, today

	so = frappe.get_doc(
		{
			"doctype": "Sales Order",
			"company": company,
			"customer": customer,
			"currency": "EUR",
			"delivery_date": add_days(today(), 7),
			"items": [{"item_code": "Relance Test Service", "qty": 1, "rate": 100}],
		}
	)
	so.insert(ignore_permissions=True)
	so.submit()


class Hooks:
	"""The app's credit-hold handlers, switched off by replacing them with no-ops (Frappe looks the
	doc_events up by name at each event), and counting the queries they issue when on."""

	def __init__(self):
		from relance_app.overrides import credit_hold

		self.module = credit_hold
		self.original = {name: getattr(credit_hold, name) for name in ("validate", "before_submit")}
		self.queries = 0
		self.seconds = 0.0

	def off(self):
		for name in self.original:
			setattr(self.module, name, lambda doc, method=None: None)

	def on(self):
		import frappe

		def counted(fn):
			def wrapper(doc, method=None):
				db = frappe.local.db
				original = db.sql

				def spy(*args, **kwargs):
					self.queries += 1
					return original(*args, **kwargs)

				db.sql = spy
				start = time.perf_counter()
				try:
					return fn(doc, method)
				finally:
					self.seconds += time.perf_counter() - start
					del db.sql

			return wrapper

		for name, fn in self.original.items():
			setattr(self.module, name, counted(fn))

	def restore(self):
		for name, fn in self.original.items():
			setattr(self.module, name, fn)


def setup():
	import frappe
	from frappe.utils import add_days, getdate, today

	from relance_app.tests.utils import company, make_customer, make_invoice, make_item, policy_copy, unique

	make_item()
	punctual = make_customer(unique("Bench Ponctuel"))
	late = make_customer(unique("Bench Retard"))
	policy_copy(late, credit_hold_enabled=1, credit_hold_from_stage="Mise en demeure")
	for days in (20, 35, 50):
		make_invoice(late, add_days(getdate(today()), -days), amount=500)
	assert not frappe.db.exists("Sales Invoice", {"customer": punctual, "docstatus": 1})
	return company(), {CONFIGS[0]: punctual, CONFIGS[1]: punctual, CONFIGS[2]: late, CONFIGS[3]: late}


def run(orders: int = 1000, rounds: int = 5):
	import frappe

	frappe.set_user("Administrator")
	company, customers = setup()
	hooks = Hooks()
	times = {c: [] for c in CONFIGS}
	queries = {c: 0 for c in CONFIGS}
	in_hooks = {c: 0.0 for c in CONFIGS}
	per_round = max(1, orders // rounds)
	try:
		order(customers[CONFIGS[1]], company)  # warm the caches
		for _round in range(rounds):
			for config in CONFIGS:  # interleaved: the database grows alike for each
				hooks.off() if config in OFF else hooks.on()
				hooks.queries, hooks.seconds = 0, 0.0
				for _k in range(per_round):
					start = time.perf_counter()
					order(customers[config], company)
					times[config].append((time.perf_counter() - start) * 1000)
				queries[config] += hooks.queries
				in_hooks[config] += hooks.seconds
	finally:
		hooks.restore()
		frappe.db.rollback()
	print(
		f"{per_round * rounds} Sales Orders per configuration (insert + submit), {rounds} interleaved rounds"
	)
	for k, config in enumerate(CONFIGS):
		values = times[config]
		med = statistics.median(values)
		base = statistics.median(times[CONFIGS[k - k % 2]])  # the same customer, hooks off
		print(
			f"  {config:28s} median {med:7.2f} ms  mean {statistics.mean(values):7.2f} ms  "
			f"total {sum(values) / 1000:6.1f} s  vs off {med - base:+6.2f} ms  "
			f"in the hooks {in_hooks[config] * 1000 / len(values):5.2f} ms, "
			f"{queries[config] / len(values):.1f} queries per order"
		)


def main():
	cli = parser(__doc__)
	cli.add_argument("--orders", type=int, default=1000)
	cli.add_argument("--rounds", type=int, default=5)
	args = cli.parse_args()
	with site(args.site):
		run(orders=args.orders, rounds=args.rounds)


if __name__ == "__main__":
	main()
