"""Steps of the install / uninstall / upgrade lifecycle test, driven by scripts/lifecycle_test.sh.

	cd BENCH/sites && ../env/bin/python CHECKOUT/scripts/lifecycle.py --site SITE STEP [ARG]

Each step connects to the site, does one thing, commits and prints what it found; a failed check
exits non-zero with the reason. The shell script runs Frappe's own commands (install-app,
uninstall-app, migrate, relance run) between these steps. Which relance_app a step imports is the
shell's choice (PYTHONPATH): the release under test, or the previous one for the upgrade.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import frappe

APP = "relance_app"
COMPANY = "Cycle Vie SARL"  # no "relance" in it: the trace sweep looks for that word
EDITED_TEMPLATE = "Relance - Relance 1 (fr)"
EDITED_MARK = "Texte revu par le cabinet"
ERPNEXT_TABLES = (
	"Sales Invoice",
	"Sales Invoice Item",
	"Customer",
	"Contact",
	"GL Entry",
	"Payment Ledger Entry",
	"Company",
)
# Tables where the app's words stay on purpose: the trail of what was done (emails sent and their
# queue, ToDos for the accountant, attached letters, the invoices' own history of changes and
# comments). Rows of these tables that belong to the app's DocTypes are counted by `footprint`.
HISTORY_TABLES = {
	"tabVersion",
	"tabComment",
	"tabCommunication",
	"tabCommunication Link",
	"tabEmail Queue",
	"tabEmail Queue Recipient",
	"tabToDo",
	"tabFile",
}

STEPS = {}


def step(fn):
	STEPS[fn.__name__.replace("_", "-")] = fn
	return fn


class CheckFailed(Exception):
	pass


def check(condition, message):
	if not condition:
		raise CheckFailed(message)


def out(*lines):
	for line in lines:
		print(f"  > {line}")


# --- before the app: a site in use -------------------------------------------------------------


@step
def setup(arg=None):
	"""Finish ERPNext's setup (France, EUR) and give the site a few customers and overdue invoices."""
	from frappe.desk.page.setup_wizard.setup_wizard import setup_complete
	from frappe.utils import add_days, now_datetime, today

	check(APP not in frappe.get_installed_apps(), "relance_app is already installed on the new site")
	if not frappe.db.a_row_exists("Company"):
		year = now_datetime().year
		setup_complete(
			{
				"currency": "EUR",
				"full_name": "Cycle Admin",
				"company_name": COMPANY,
				"timezone": "Europe/Paris",
				"company_abbr": "CVS",
				"industry": "Services",
				"country": "France",
				"fy_start_date": f"{year}-01-01",
				"fy_end_date": f"{year}-12-31",
				"language": "english",
				"company_tagline": "Lifecycle",
				"email": "admin@cycle-vie.example",
				"password": "admin",
				"chart_of_accounts": "Standard",
			}
		)
		frappe.db.commit()
	frappe.set_user("Administrator")
	company = frappe.get_all("Company", pluck="name")[0]
	email_account()
	item = "Prestation cycle"
	if not frappe.db.exists("Item", item):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": item,
				"item_name": item,
				"item_group": frappe.db.get_value("Item Group", {"is_group": 0}, "name"),
				"stock_uom": "Nos",
				"is_stock_item": 0,
			}
		).insert()
	invoices = []
	for i, days_late in enumerate((40, 20, 8, 3)):
		customer = customer_with_contact(f"Client Cycle {i + 1}", f"client{i + 1}@cycle-vie.example")
		due = add_days(today(), -days_late)
		si = frappe.get_doc(
			{
				"doctype": "Sales Invoice",
				"company": company,
				"customer": customer,
				"set_posting_time": 1,
				"posting_date": add_days(due, -30),
				"due_date": due,
				"currency": "EUR",
				"items": [{"item_code": item, "qty": 1, "rate": 1000 + 100 * i}],
			}
		).insert()
		si.submit()
		invoices.append(si.name)
	frappe.db.commit()
	out(f"company {company}; {len(invoices)} overdue invoices: {', '.join(invoices)}")


def email_account():
	"""The default outgoing account; nothing listens on its port, the emails stay queued."""
	name = "Cycle SMTP"
	if frappe.db.exists("Email Account", name):
		return
	frappe.flags.in_test = True  # skips the SMTP connection check: nothing listens, on purpose
	account = frappe.get_doc(
		{
			"doctype": "Email Account",
			"email_account_name": name,
			"email_id": "factures@cycle-vie.example",
			"enable_outgoing": 1,
			"default_outgoing": 1,
			"smtp_server": "127.0.0.1",
			"smtp_port": 2599,
			"no_smtp_authentication": 1,
			"enable_incoming": 0,
			"use_tls": 0,
		}
	)
	try:
		account.insert()
	finally:
		frappe.flags.in_test = False


def customer_with_contact(name, email_id):
	if frappe.db.exists("Customer", name):
		return name
	cust = frappe.get_doc(
		{
			"doctype": "Customer",
			"customer_name": name,
			"customer_type": "Company",
			"language": "fr",
			"customer_group": frappe.db.get_value("Customer Group", {"is_group": 0}, "name"),
			"territory": frappe.db.get_value("Territory", {"is_group": 0}, "name"),
		}
	).insert()
	contact = frappe.get_doc(
		{
			"doctype": "Contact",
			"first_name": name,
			"is_primary_contact": 1,
			"email_ids": [{"email_id": email_id, "is_primary": 1}],
			"links": [{"link_doctype": "Customer", "link_name": cust.name}],
		}
	).insert()
	cust.db_set("customer_primary_contact", contact.name)
	return cust.name


@step
def stale_cache(arg=None):
	"""Put back the module map the site cached before the app joined the bench, as a site that ran a
	command then would have it; then show that a new process reads it."""
	apps = [a for a in frappe.get_all_apps() if a != APP]
	modules = {a: [frappe.scrub(m) for m in frappe.get_module_list(a)] for a in apps}
	frappe.cache.set_value("app_modules", modules)
	frappe.cache.set_value("all_apps", apps)
	frappe.cache.delete_value(["installed_app_modules", "app_hooks"])
	site = frappe.local.site
	frappe.destroy()
	frappe.init(site=site, sites_path=".")
	frappe.connect()
	check(APP not in (frappe.local.app_modules or {}), "the stale module map did not hold")
	out(f"cached app_modules: {', '.join(sorted(modules))} (no {APP}); a new process reads it")


@step
def erp_snapshot(path):
	"""ERPNext's own rows (their standard columns), to compare after the uninstall."""
	Path(path).write_text(json.dumps(erp_checksums(), indent=1))
	out(f"snapshot of {', '.join(ERPNEXT_TABLES)} -> {path}")


@step
def erp_compare(path):
	"""ERPNext's rows as they were before the app came, their standard columns compared one by one
	(Frappe's own bookkeeping apart: `modified` and the `_comments`, `_assign`... caches move when a
	user acts on an invoice, as putting it on hold did)."""
	before = json.loads(Path(path).read_text())
	after = erp_checksums(columns={t: v["columns"] for t, v in before.items()})
	changed = {}
	for t in before:
		diffs = sorted(
			{
				col
				for name, row in before[t]["rows"].items()
				for col, value in row.items()
				if col not in BOOKKEEPING and after[t]["rows"].get(name, {}).get(col) != value
			}
		)
		missing = set(before[t]["rows"]) ^ set(after[t]["rows"])
		if diffs or missing:
			changed[t] = diffs + sorted(missing)
		out(
			f"{t:<22} rows {len(before[t]['rows']):>4} -> {len(after[t]['rows']):>4}  "
			+ (f"CHANGED {changed[t]}" if t in changed else "same")
		)
	extra = {t: sorted(set(after[t]["all_columns"]) - set(before[t]["columns"])) for t in before}
	extra = {t: c for t, c in extra.items() if c}
	check(not changed, f"ERPNext data changed: {changed}")
	check(not extra, f"columns left in ERPNext tables: {extra}")
	out("columns of ERPNext's tables: as before the install")


BOOKKEEPING = {"modified", "modified_by", "_comments", "_assign", "_seen", "_liked_by", "_user_tags"}


def erp_checksums(columns=None):
	result = {}
	for doctype in ERPNEXT_TABLES:
		all_columns = sorted(frappe.db.get_table_columns(doctype))
		cols = (columns or {}).get(doctype) or all_columns
		rows = frappe.get_all(doctype, fields=cols, order_by="name")
		result[doctype] = {
			"rows": {r.name: json.loads(json.dumps(r, default=str)) for r in rows},
			"columns": cols,
			"all_columns": all_columns,
		}
	return result


# --- installed ---------------------------------------------------------------------------------


@step
def install_failing(arg=None):
	"""Install with a step that fails (the default policies): the site must not list the app, keep
	nothing of it, and the message must name the step and the command that retries."""
	from frappe.installer import install_app

	import relance_app.install as install

	def broken():
		raise RuntimeError("simulated failure (lifecycle test)")

	install.create_default_policies = broken
	frappe.set_user("Administrator")
	message = None
	try:
		install_app(APP)
	except Exception as e:
		message = str(e)
	frappe.db.rollback()
	frappe.clear_cache()
	check(message, "the failing install did not fail")
	out(f"message: {message}")
	check("Default dunning policies" in message, "the message does not name the failed step")
	command = f"bench --site {frappe.local.site} install-app {APP}"
	check(command in message, "the message does not give the retry command")
	check(APP not in frappe.get_installed_apps(), "the site lists relance_app after the failed install")
	listed = [a.app_name for a in frappe.get_single("Installed Applications").installed_applications]
	check(APP not in listed, "Installed Applications (list-apps) names relance_app after the failed install")
	check(not frappe.db.exists("DocType", "Relance Log"), "the DocTypes stayed after the failed install")
	check(
		not frappe.db.exists("Custom Field", {"dt": "Sales Invoice", "fieldname": "relance_hold"}),
		"custom fields stayed",
	)
	check(not frappe.db.exists("Module Def", {"app_name": APP}), "the Module Def stayed")
	print(f"RETRY: {command}")


@step
def verify_installed(arg=None):
	from relance_app.setup.uninstall import (
		app_doctypes,
		classify_templates,
		footprint,
		scheduler_methods,
		shipped_templates,
	)

	check(APP in frappe.get_installed_apps(), "relance_app not installed")
	missing = [dt for dt in app_doctypes() if not frappe.db.exists("DocType", dt)]
	check(not missing, f"DocTypes missing: {missing}")
	counts = footprint()
	check(
		counts["Custom Field (Sales Invoice)"] and counts["Custom Field (Customer)"], "custom fields missing"
	)
	check(counts["Scheduled Job Type"] == len(scheduler_methods()), "scheduled jobs missing")
	unedited, edited = classify_templates()
	shipped = shipped_templates()
	missing_templates = sorted(set(shipped) - set(unedited) - set(edited))
	check(not missing_templates, f"shipped Email Templates missing: {missing_templates}")
	policies = frappe.get_all("Dunning Policy", fields=["name", "company", "is_default"])
	check(policies, "no default Dunning Policy")
	check(frappe.db.exists("Workspace", "Relance"), "workspace missing")
	settings = frappe.db.get_singles_dict("Relance Settings")
	check(settings.get("enabled") is not None, "Relance Settings have no values (defaults not stored)")
	out(
		f"{len(app_doctypes())} DocTypes, {counts['Custom Field (Customer)']} + "
		f"{counts['Custom Field (Sales Invoice)']} custom fields, {len(unedited) + len(edited)} Email Templates "
		f"({len(edited)} edited by a user), {counts['Scheduled Job Type']} scheduled jobs, "
		f"policies: {', '.join(p.name for p in policies)}"
	)


@step
def verify_run(minimum="1"):
	logs = frappe.get_all("Relance Log", fields=["status", "count(*) as n"], group_by="status")
	total = sum(r.n for r in logs)
	out("relance logs: " + ", ".join(f"{r.status} {r.n}" for r in logs))
	check(total >= int(minimum), f"expected at least {minimum} Relance Log rows, found {total}")
	queued = frappe.db.count("Email Queue", {"reference_doctype": "Sales Invoice"})
	out(f"emails queued for invoices: {queued}")


@step
def user_touches(arg=None):
	"""What users do with the app before it is removed: edit a shipped template, put an invoice on
	hold, list invoices by relance status (saved list settings), assign a log."""
	frappe.set_user("Administrator")
	t = frappe.get_doc("Email Template", EDITED_TEMPLATE)
	t.response_html = f"<p>{EDITED_MARK}</p>\n" + t.response_html
	t.save()
	invoice = frappe.get_all(
		"Sales Invoice", filters={"docstatus": 1}, pluck="name", order_by="name", limit=1
	)[0]
	from relance_app.api import set_hold

	set_hold(invoice, "Dispute")
	from frappe.model.utils.user_settings import save

	save(
		"Sales Invoice",
		json.dumps(
			{
				"List": {
					"filters": [["Sales Invoice", "relance_status", "=", "Sent", False]],
					"order_by": "relance_next_date desc",
				},
				"Report": {
					"fields": [["name", "Sales Invoice"], ["relance_status", "Sales Invoice"]],
					"filters": [["Sales Invoice", "relance_hold", "=", 1]],
				},
			}
		),
	)
	from frappe.model.utils.user_settings import sync_user_settings

	sync_user_settings()
	log = frappe.get_all("Relance Log", pluck="name", limit=1)
	if log:
		from frappe.desk.form.assign_to import add

		add({"doctype": "Relance Log", "name": log[0], "assign_to": ["Administrator"]})
		frappe.get_doc("Relance Log", log[0]).add_comment("Comment", "vu")
	frappe.db.commit()
	out(f"edited {EDITED_TEMPLATE!r}; {invoice} on hold; list settings on relance fields; log assigned")


# --- uninstalled -------------------------------------------------------------------------------


@step
def leftovers(arg=None):
	"""What is left of the app: the app's own count per place, and a sweep of every text column of
	every table for the app's names."""
	check(APP not in frappe.get_installed_apps(), "relance_app still installed")
	from relance_app.setup.uninstall import classify_templates, footprint

	counts = footprint()
	_unedited, edited = classify_templates()
	width = max(len(k) for k in counts)
	out("place" + " " * (width - 3) + "left")
	for key, n in counts.items():
		out(f"{key:<{width}}  {n}")
	out(f"{'Email Template (edited by a user, kept)':<{width}}  {len(edited)}  {', '.join(edited)}")
	sweep = trace_sweep()
	out("sweep of every text column for the app's names (history tables apart):")
	for table, n in sorted(sweep.items()):
		kind = (
			"history, kept"
			if table in HISTORY_TABLES
			else ("kept template" if table == "tabEmail Template" else "TRACE")
		)
		out(f"  {table:<30} {n:>5}  {kind}")
	traces = {
		t: n
		for t, n in sweep.items()
		if t not in HISTORY_TABLES and not (t == "tabEmail Template" and n <= len(edited))
	}
	left = {k: v for k, v in counts.items() if v}
	check(not left, f"left after uninstall: {left}")
	check(not traces, f"traces of the app after uninstall: {traces}")
	check(edited == [EDITED_TEMPLATE], f"expected only the edited template kept, found {edited}")
	out("nothing left of relance_app but the template a user edited and the history of what was done")


def trace_sweep() -> dict[str, int]:
	"""Rows, per table, whose text mentions relance_app's names (the app, its module, DocTypes,
	fields, templates, reports...). Read-only."""
	from relance_app.setup.uninstall import app_doctypes, custom_field_names, module_records

	words = {
		"relance_app",
		"Relance Log",
		"Dunning Policy",
		"Relance Settings",
		"relance_status",
		"relance_hold",
	}
	words |= set(app_doctypes())
	for names in module_records().values():
		words |= set(names)
	for fields in custom_field_names().values():
		words |= {f for f in fields if f.startswith("relance_")}
	words.add("Relance - ")  # the shipped templates' prefix
	db = frappe.conf.db_name
	columns = frappe.db.sql(
		"""select table_name, column_name from information_schema.columns
		where table_schema = %s and data_type in ('varchar', 'text', 'mediumtext', 'longtext', 'json')""",
		(db,),
	)
	by_table = {}
	for table, column in columns:
		by_table.setdefault(table, []).append(column)
	found = {}
	for table, cols in by_table.items():
		cond = " or ".join(f"`{c}` like %(w{i})s" for c in cols for i in range(len(words)))
		params = {f"w{i}": f"%{w}%" for i, w in enumerate(sorted(words))}
		n = frappe.db.sql(f"select count(*) from `{table}` where {cond}", params)[0][0]
		if n:
			found[table] = n
	return found


@step
def forms_open(arg=None):
	"""Customer and Sales Invoice: form, list (with the list settings saved while the app was there),
	report view, group-by sidebar and a report, as a desk user would open them."""
	from frappe.desk.form.load import getdoc, getdoctype
	from frappe.desk.reportview import get as reportview_get
	from frappe.desk.reportview import get_count
	from frappe.model.utils.user_settings import get as get_user_settings

	frappe.set_user("Administrator")
	for doctype in ("Customer", "Sales Invoice"):
		name = frappe.get_all(doctype, pluck="name", limit=1)[0]
		getdoctype(doctype)
		getdoc(doctype, name)
		check(frappe.response.docs, f"{doctype} {name} did not load")
		meta = frappe.get_meta(doctype)
		relance_fields = [
			f.fieldname for f in meta.fields if "relance" in f.fieldname or f.fieldname == "dunning_policy"
		]
		check(not relance_fields, f"{doctype} still has {relance_fields}")
		settings = json.loads(get_user_settings(doctype) or "{}")
		list_settings = settings.get("List", {})
		frappe.local.form_dict = frappe._dict(
			doctype=doctype,
			fields=json.dumps([f"`tab{doctype}`.`name`", f"`tab{doctype}`.`modified`"]),
			filters=json.dumps(list_settings.get("filters") or []),
			order_by=list_settings.get("order_by") or "modified desc",
			start=0,
			page_length=20,
			view="List",
			with_comment_count=1,
		)
		rows = reportview_get()
		count = get_count()
		report_settings = settings.get("Report", {})
		frappe.local.form_dict = frappe._dict(
			doctype=doctype,
			fields=json.dumps(
				[f"`tab{doctype}`.`{f[0]}`" for f in report_settings.get("fields") or [["name"]]]
			),
			filters=json.dumps(report_settings.get("filters") or []),
			order_by="modified desc",
			start=0,
			page_length=20,
			view="Report",
		)
		reportview_get()
		from frappe.desk.listview import get_group_by_count

		get_group_by_count(doctype, "[]", "owner")
		out(
			f"{doctype}: form {name}, list ({len((rows or {}).get('values', []))} rows, count {count}), report view, sidebar: OK"
		)
	from frappe.desk.query_report import run

	company = frappe.get_all("Company", pluck="name")[0]
	result = run(
		"Accounts Receivable",
		filters={
			"company": company,
			"report_date": frappe.utils.today(),
			"ageing_based_on": "Due Date",
			"range": "30, 60, 90, 120",
		},
	)
	out(f"Accounts Receivable: {len(result.get('result') or [])} rows: OK")


@step
def verify_reinstall(arg=None):
	"""The re-install found the template a user kept: same text, used by the new default policy."""
	text = frappe.db.get_value("Email Template", EDITED_TEMPLATE, "response_html")
	check(EDITED_MARK in (text or ""), "the edited template lost its text on re-install")
	used = frappe.get_all("Dunning Policy Stage", filters={"email_template": EDITED_TEMPLATE}, pluck="parent")
	check(used, "the new default policy does not use the kept template")
	out(
		f"kept template {EDITED_TEMPLATE!r} found with its edited text, used by {', '.join(sorted(set(used)))}"
	)


@step
def delete_kept_template(arg=None):
	"""The administrator deletes the template the uninstall kept (as its message suggests): the
	previous release must not meet a text written for the current one."""
	frappe.delete_doc("Email Template", EDITED_TEMPLATE)
	out(f"deleted {EDITED_TEMPLATE!r}")


# --- upgrade -----------------------------------------------------------------------------------


@step
def upgrade_data(path):
	"""On the previous release: a second policy, a run's logs, a hold; saved to compare after the
	migration."""
	import relance_app

	frappe.set_user("Administrator")
	out(f"relance_app imported from {Path(relance_app.__file__).resolve().parent}")
	company = frappe.get_all("Company", pluck="name")[0]
	base = frappe.get_all("Dunning Policy", filters={"company": company}, pluck="name")[0]
	copy = frappe.copy_doc(frappe.get_doc("Dunning Policy", base))
	copy.policy_name = "Politique cycle ferme"
	copy.is_default = 0
	copy.min_days_between = 10
	if not frappe.db.exists("Dunning Policy", copy.policy_name):
		copy.insert()
	invoices = frappe.get_all("Sales Invoice", filters={"docstatus": 1}, pluck="name", order_by="name")
	from relance_app.api import set_hold

	set_hold(invoices[-1], "Payment Promise", frappe.utils.add_days(frappe.utils.today(), 20))
	frappe.db.commit()
	snapshot = upgrade_snapshot()
	check(snapshot["Relance Log"], "no Relance Log on the previous release: run it first")
	Path(path).write_text(json.dumps(snapshot, indent=1, default=str))
	out(
		f"{len(snapshot['Dunning Policy'])} policies, {len(snapshot['Relance Log'])} logs, "
		f"{len(snapshot['holds'])} hold(s) -> {path}"
	)


def upgrade_snapshot():
	return {
		"Dunning Policy": frappe.get_all(
			"Dunning Policy",
			fields=["name", "company", "enabled", "is_default", "min_days_between", "modified"],
			order_by="name",
		),
		"Dunning Policy Stage": frappe.get_all(
			"Dunning Policy Stage",
			fields=["parent", "idx", "stage_name", "offset_days", "email_template", "requires_approval"],
			order_by="parent, idx",
		),
		"Relance Log": frappe.get_all(
			"Relance Log",
			fields=[
				"name",
				"sales_invoice",
				"customer",
				"dunning_policy",
				"stage_name",
				"status",
				"communication",
			],
			order_by="name",
		),
		"holds": frappe.get_all(
			"Sales Invoice",
			filters={"relance_hold": 1},
			fields=["name", "relance_hold_reason", "relance_hold_until"],
			order_by="name",
		),
	}


@step
def verify_upgrade(path):
	import relance_app

	before = json.loads(Path(path).read_text())
	after = json.loads(json.dumps(upgrade_snapshot(), default=str))
	out(f"relance_app imported from {Path(relance_app.__file__).resolve().parent}")
	for key in before:
		same = before[key] == after[key]
		out(f"{key:<22} {len(before[key]):>3} -> {len(after[key]):>3}  {'intact' if same else 'DIFFERENT'}")
		check(same, f"{key} changed by the migration: {before[key]} != {after[key]}")
	from relance_app.setup.uninstall import footprint, module_records

	counts = footprint()
	for doctype, names in module_records().items():
		check(counts.get(doctype) == len(names), f"{doctype} of the current release missing after migrate")
	out(
		"current release's workspace, reports, cards and charts present; patches: "
		+ ", ".join(frappe.get_all("Patch Log", filters={"patch": ("like", f"%{APP}%")}, pluck="patch"))
	)


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--site", required=True)
	parser.add_argument("step", choices=sorted(STEPS))
	parser.add_argument("arg", nargs="?")
	args = parser.parse_args()
	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		STEPS[args.step](args.arg) if args.arg is not None else STEPS[args.step]()
		frappe.db.commit()
	except CheckFailed as e:
		print(f"  > CHECK FAILED: {e}")
		sys.exit(2)
	finally:
		frappe.destroy()


if __name__ == "__main__":
	main()
