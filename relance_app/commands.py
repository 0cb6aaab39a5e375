"""bench --site SITE relance run [--date YYYY-MM-DD] [--dry-run]; bench --site SITE relance doctor"""

import json

import click
from frappe.commands import get_site, pass_context


@click.group("relance")
def relance():
	"""Relances of unpaid invoices (relance_app)."""


@relance.command("run")
@click.option("--date", "as_of", default=None, help="Run as of this date (YYYY-MM-DD); default today.")
@click.option("--dry-run", is_flag=True, default=False, help="Change nothing; print the planned actions.")
@pass_context
def run(context, as_of=None, dry_run=False):
	"""Run the daily dunning now (sends in the foreground, no worker needed)."""
	import frappe

	from relance_app.run.daily import run_dunning

	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	try:
		result = run_dunning(as_of=as_of, dry_run=dry_run, enqueue=False)
		frappe.db.commit()
	finally:
		frappe.destroy()
	click.echo(json.dumps(result, indent=1, default=str))


@relance.command("doctor")
@pass_context
def doctor(context):
	"""What the relance PDFs and their delivery need here: the engine in use (found again), its version
	and path, the last fallback, wkhtmltopdf, fonts, the site's address, workers, scheduler; the fix for
	each missing part. Exit status 1 when a part the relances need is missing."""
	import frappe

	from relance_app.pdf import doctor as checks

	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	try:
		found = checks.checks()
		click.echo(checks.report(found))
	finally:
		frappe.destroy()
	if any(not c.ok and c.blocking for c in found):
		raise SystemExit(1)


commands = [relance]
