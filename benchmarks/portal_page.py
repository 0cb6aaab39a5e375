"""The debtor page's server time for a customer with 200 open invoices (relance_app.tests.
portal_benchmark; the data is rolled back). Run with the bench's Python:

    cd ~/frappe-bench/sites
    ../env/bin/python ../apps/relance_app/benchmarks/portal_page.py --site SITE [--invoices 200]
"""

from __future__ import annotations

from cli import parser, site


def main():
	cli = parser(__doc__)
	cli.add_argument("--invoices", type=int, default=200)
	cli.add_argument("--repeat", type=int, default=7)
	args = cli.parse_args()
	with site(args.site):
		from relance_app.tests.portal_benchmark import run

		run(invoices=args.invoices, repeat=args.repeat)


if __name__ == "__main__":
	main()
