"""Data for the browser test's realtime check (e2e/browser_test.mjs --realtime-fixture): a customer with
more overdue invoices than a collection file builds inline (relance_app.collection_file.building,
MAX_INLINE_INVOICES), so that its file is built by a worker of the long queue and its "ready" message
reaches the desk through socket.io. The invoices are excluded from the relances (the site's scheduler
leaves them alone).

	cd BENCH/sites && ../env/bin/python CHECKOUT/e2e/realtime_fixture.py --site SITE   -> {"customer", "invoices"}
"""

from __future__ import annotations

import argparse
import json
import warnings

import frappe
from frappe.utils import add_days, getdate, today

INVOICES = 11  # one more than MAX_INLINE_INVOICES


def main() -> None:
	parser = argparse.ArgumentParser()
	parser.add_argument("--site", required=True)
	args = parser.parse_args()
	warnings.simplefilter("ignore")  # as frappe's CLI (bench execute) does outside a dev server
	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	try:
		from relance_app.tests.utils import make_customer, make_invoice, unique

		frappe.set_user("Administrator")
		customer = make_customer(unique("Client Temps Réel"), "temps-reel@client.example")
		day = getdate(today())
		names = [
			make_invoice(customer, add_days(day, -30 - i), amount=100 + i, relance_exclude=1).name
			for i in range(INVOICES)
		]
		frappe.db.commit()
		print(json.dumps({"customer": customer, "invoices": len(names)}))
	finally:
		frappe.destroy()


if __name__ == "__main__":
	main()
