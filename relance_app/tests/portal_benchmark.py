"""The debtor page's server time for a customer with many open invoices (issue 16: 200 invoices,
target under 300 ms on 2 cores, a handful of queries). A figure, not a test.

    bench --site SITE execute relance_app.tests.portal_benchmark.run --kwargs '{"invoices": 200}'
    (or benchmarks/portal_page.py --site SITE)

Builds the customer, its invoices (submitted, overdue, some at a relance stage, some answered from the
page), then renders /relance/<token> in this process the way the web server does (Frappe's page
renderer, as a guest), several times; prints the median and best wall time, the SQL statements of one
render and the page size. Everything is rolled back afterwards.
"""

from __future__ import annotations

import statistics
import time

import frappe
from frappe.utils import add_days, getdate, now_datetime, today


def count_queries():
	db = frappe.local.db
	original = db.sql
	found = []

	def spy(query, *args, **kwargs):
		found.append(str(query)[:120])
		return original(query, *args, **kwargs)

	db.sql = spy
	return found, lambda: delattr(db, "sql")


def render(path: str):
	from frappe.utils import set_request
	from frappe.website.serve import get_response

	set_request(method="GET", path=path)
	try:
		response = get_response()
		return response.status_code, response.get_data()
	finally:
		del frappe.local.request
		frappe.local.form_dict = frappe._dict()


def run(invoices: int = 200, repeat: int = 7, show_queries: bool = False) -> dict:
	from relance_app.common.debtor_links import link_for
	from relance_app.constants import ANSWERED
	from relance_app.debtor_page.access import SOURCE
	from relance_app.tests.utils import make_customer, make_invoice, unique

	frappe.set_user("Administrator")
	started = time.perf_counter()
	customer = make_customer(unique("Client Benchmark Page"), "bench-page@client.example")
	as_of = getdate(today())
	names = []
	for i in range(invoices):
		si = make_invoice(customer, add_days(as_of, -(5 + i % 90)), amount=100 + i)
		names.append(si.name)
		if i % 3 == 0:
			frappe.db.set_value(
				"Sales Invoice", si.name, "relance_last_stage", "Relance 1", update_modified=False
			)
	company = frappe.db.get_value("Sales Invoice", names[0], "company")
	for name in names[:10]:  # a few answers already given from the page
		frappe.get_doc(
			{
				"doctype": "Relance Log",
				"sales_invoice": name,
				"customer": customer,
				"company": company,
				"stage_name": SOURCE,
				"status": ANSWERED,
				"source": SOURCE,
				"answer": "Payment Promise",
				"promised_date": add_days(as_of, 10),
				"answered_at": now_datetime(),
				"relance_key": f"{name}::bench",
				"relance_date": as_of,
			}
		).insert(ignore_permissions=True)
	built = time.perf_counter() - started
	path = link_for(customer, company).split("://", 1)[1].split("/", 1)[1]
	frappe.set_user("Guest")
	try:
		times = []
		for _ in range(repeat):
			frappe.local.relance_batch_cache = {}
			t0 = time.perf_counter()
			status, body = render(f"/{path}")
			times.append((time.perf_counter() - t0) * 1000)
			assert status == 200, status
		queries, stop = count_queries()
		try:
			frappe.local.relance_batch_cache = {}
			render(f"/{path}")
		finally:
			stop()
		text = body.decode()
		shown = sum(1 for name in names if f'data-invoice="{name}"' in text)
	finally:
		frappe.set_user("Administrator")
		frappe.local.lang = "en"
		frappe.db.rollback()
	result = {
		"invoices": invoices,
		"invoices_shown": shown,
		"median_ms": round(statistics.median(times), 1),
		"best_ms": round(min(times), 1),
		"first_ms": round(times[0], 1),
		"queries": len(queries),
		"page_kb": round(len(body) / 1024, 1),
		"data_built_s": round(built, 1),
	}
	if show_queries:
		from collections import Counter

		for query, count in Counter(q[:100] for q in queries).most_common(20):
			print(f"{count:4d}  {query}")
	print(
		f"Debtor page, {shown} open invoices: median {result['median_ms']} ms, best {result['best_ms']} ms "
		f"(first {result['first_ms']} ms) over {repeat} renders; {result['queries']} SQL statements per "
		f"render; {result['page_kb']} KB of HTML (data built in {result['data_built_s']} s, rolled back)"
	)
	return result
