"""The debtor page's server time for a customer with 200 open invoices (relance_app.tests.
portal_benchmark; the data is rolled back). Run with the bench's Python:

    cd ~/frappe-bench/sites
    ../env/bin/python ../apps/relance_app/benchmarks/portal_page.py --site SITE [--invoices 200]
"""

from __future__ import annotations

import argparse
import os
import sys


def main():
	parser = argparse.ArgumentParser(
		description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
	)
	parser.add_argument("--site", required=True)
	parser.add_argument("--invoices", type=int, default=200)
	parser.add_argument("--repeat", type=int, default=7)
	args = parser.parse_args()
	sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
	import frappe

	frappe.init(site=args.site)
	frappe.connect()
	try:
		from relance_app.tests.portal_benchmark import run

		run(invoices=args.invoices, repeat=args.repeat)
	finally:
		frappe.destroy()


if __name__ == "__main__":
	main()
