"""bench --site SITE relance run [--date YYYY-MM-DD] [--dry-run]
bench --site SITE relance doctor"""

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
	"""Check what the day's run needs on this server (PDF engine, web server, workers, scheduler,
	outgoing email, fonts), each with its fix. Exit 1 when an essential part is missing."""
	import frappe

	from relance_app.run.doctor import checks, report

	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	try:
		found = checks()
		frappe.db.commit()  # the PDF engine found, as a save of Relance Settings stores it
		click.echo(report(found))
	finally:
		frappe.destroy()
	if any(not c.ok and c.essential for c in found):
		raise SystemExit(1)


commands = [relance]
