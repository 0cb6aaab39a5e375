"""Uninstall as the mirror of install: what relance_app put on a site, found again and removed.

Frappe's `remove_app` deletes what belongs to the app's module (DocTypes and their tables, the Module
Def, and every record whose `module` is Relance: workspace, reports, number cards, charts, chart
source, print format). Everything else the app leaves on the site is listed here, from the app's own
files and data (custom fields, shipped Email Templates, scheduler events), and removed by
`after_uninstall`, once Frappe has dropped the DocTypes:

- the custom fields of Customer and Sales Invoice, their property setters and their columns;
- the Scheduled Job Types of the app's scheduler events (and their logs);
- the shipped Email Templates, except those a user edited: they stay, and the uninstall names them;
- the payment mentions (Terms and Conditions) the install wrote for French companies, and the company
  defaults naming them, except those a user edited or a document prints: they stay, named too;
- the single's values (Relance Settings), Patch Log rows, the Relance Log naming series;
- what refers to the app's DocTypes from elsewhere: customisations (custom fields, property setters,
  custom permissions, connections, user settings), user-made reports, cards, charts, notifications,
  scripts and print formats on them, workspace links to them, their versions, comments, tags,
  shares and follows, and the Deleted Document copies of the app's own metadata.

Nothing of ERPNext's own documents changes: the emails that were sent (Communications and their Email
Queue rows), the letters attached to invoices, the accountant's ToDos and ERPNext Dunnings stay as
the trail of what was done.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import frappe
from frappe import _
from frappe.utils import cint

from relance_app.common.frappe_compat import USER_SETTINGS_TABLE, forget_cached_user_settings
from relance_app.setup.custom_fields import CUSTOM_FIELDS
from relance_app.setup.defaults import TEMPLATE_DIR, load_manifest
from relance_app.setup.legal_mentions import removable_terms, remove_unused_mentions

APP = "relance_app"
APP_DIR = Path(__file__).resolve().parent.parent

# Records of the app's module that Frappe deletes itself (they have a `module` field); listed so that
# leftovers can be counted and the Deleted Document copies removed.
MODULE_RECORD_FOLDERS = (
	"workspace",
	"report",
	"number_card",
	"dashboard_chart",
	"dashboard_chart_source",
	"print_format",
	"page",
	"web_form",
	"notification",
)

# (doctype, field) naming one of the app's DocTypes in a log-like row: deleted row by row, in bulk.
ROW_REFERENCES = (
	("Custom Field", "dt"),
	("Property Setter", "doc_type"),
	("Custom DocPerm", "parent"),
	("DocType Link", "link_doctype"),
	("User Permission", "allow"),
	("Version", "ref_doctype"),
	("Comment", "reference_doctype"),
	("Activity Log", "reference_doctype"),
	("View Log", "reference_doctype"),
	("Access Log", "export_from"),
	("Tag Link", "document_type"),
	("DocShare", "share_doctype"),
	("Document Follow", "ref_doctype"),
	("Notification Log", "document_type"),
	("Energy Point Log", "reference_doctype"),
	("Error Log", "reference_doctype"),
	("ToDo", "reference_type"),
	("Deleted Document", "deleted_doctype"),
	("Workspace Link", "link_to"),
	("Workspace Shortcut", "link_to"),
	("Workspace Quick List", "document_type"),
)

# (doctype, field) of documents a user made on one of the app's DocTypes: deleted as documents.
DOC_REFERENCES = (
	("Report", "ref_doctype"),
	("Number Card", "document_type"),
	("Dashboard Chart", "document_type"),
	("Notification", "document_type"),
	("Client Script", "dt"),
	("Server Script", "reference_doctype"),
	("Print Format", "doc_type"),
	("Workflow", "document_type"),
	("Kanban Board", "reference_doctype"),
	("Assignment Rule", "document_type"),
	("Auto Repeat", "reference_doctype"),
	("Webhook", "webhook_doctype"),
	("Document Naming Rule", "document_type"),
	("DocType Layout", "document_type"),
	("Milestone Tracker", "document_type"),
	("Energy Point Rule", "reference_doctype"),
	("Form Tour", "reference_doctype"),
	("List View Settings", "name"),
)

# Metadata Frappe copies into Deleted Document when it deletes the app's module: all of it comes back
# from the app's files on a re-install, so the copies are not kept.
METADATA_DOCTYPES = (
	"DocType",
	"Module Def",
	"Workspace",
	"Report",
	"Number Card",
	"Dashboard Chart",
	"Dashboard Chart Source",
	"Print Format",
	"Page",
	"Web Form",
	"Notification",
	"Custom Field",
	"Property Setter",
	"Scheduled Job Type",
	"Email Template",
)


# --- what the app ships ------------------------------------------------------------------------


def modules() -> list[str]:
	return [m.strip() for m in (APP_DIR / "modules.txt").read_text().splitlines() if m.strip()]


def _module_jsons(folder: str):
	for module in modules():
		base = APP_DIR / frappe.scrub(module) / folder
		if base.is_dir():
			for path in sorted(base.glob("*/*.json")):
				if path.stem == path.parent.name:
					yield json.loads(path.read_text())


def app_doctypes() -> list[str]:
	return [d["name"] for d in _module_jsons("doctype")]


def single_doctypes() -> list[str]:
	return [d["name"] for d in _module_jsons("doctype") if cint(d.get("issingle"))]


def module_records() -> dict[str, list[str]]:
	"""{doctype: [names]} of the Workspace, Reports, cards, charts... shipped in the app's module."""
	out: dict[str, list[str]] = defaultdict(list)
	for folder in MODULE_RECORD_FOLDERS:
		for doc in _module_jsons(folder):
			out[doc.get("doctype") or frappe.unscrub(folder)].append(doc["name"])
	return dict(out)


def custom_field_names() -> dict[str, list[str]]:
	return {dt: [f["fieldname"] for f in fields] for dt, fields in CUSTOM_FIELDS.items()}


def scheduler_methods() -> list[str]:
	"""The dotted paths of the app's scheduler events, whatever their frequency."""
	methods: list[str] = []
	for events in (frappe.get_hooks("scheduler_events", app_name=APP) or {}).values():
		values = events.values() if isinstance(events, dict) else [events]
		for value in values:
			methods.extend(value if isinstance(value, list) else [value])
	return sorted(set(methods))


def naming_series_patterns() -> list[str]:
	"""LIKE patterns of the naming series counters of the app's DocTypes ("RL-.YYYY.-.####" ->
	"RL-____-")."""
	patterns = []
	for doc in _module_jsons("doctype"):
		autoname = doc.get("autoname") or ""
		if "." not in autoname or ":" in autoname or autoname.lower() in ("hash", "autoincrement"):
			continue
		parts = [p for p in autoname.split(".") if p and not p.startswith("#")]
		key = "".join("_" * len(p) if p in ("YYYY", "YY", "MM", "DD") else p for p in parts)
		if key:
			patterns.append(key)
	return patterns


def shipped_templates() -> dict[str, dict]:
	"""{Email Template name: {"subject", "response_html"}} as the current release ships them."""
	return {
		entry["name"]: {
			"subject": entry["subject"],
			"response_html": (TEMPLATE_DIR / entry["file"]).read_text(),
		}
		for entry in load_manifest()
	}


def template_is_edited(row: dict, shipped: dict) -> bool:
	"""A shipped template is the user's once its text differs from what the app ships and it was
	saved after its creation (a template created by an earlier release and never touched is not)."""
	same = (
		(row.get("subject") or "").strip() == shipped["subject"].strip()
		and cint(row.get("use_html"))
		and (row.get("response_html") or "").strip() == shipped["response_html"].strip()
	)
	if same:
		return False
	return bool(row.get("modified")) and row.get("modified") != row.get("creation")


def classify_templates() -> tuple[list[str], list[str]]:
	"""(unedited, edited) names of the shipped Email Templates present on the site."""
	shipped = shipped_templates()
	rows = frappe.get_all(
		"Email Template",
		filters={"name": ("in", list(shipped))},
		fields=["name", "subject", "use_html", "response_html", "creation", "modified"],
	)
	unedited, edited = [], []
	for row in rows:
		(edited if template_is_edited(row, shipped[row.name]) else unedited).append(row.name)
	return sorted(unedited), sorted(edited)


# --- what is on the site -----------------------------------------------------------------------


def _usable(doctype: str, field: str) -> bool:
	if not frappe.db.table_exists(doctype):
		return False
	if field in ("name", "parent"):
		return True
	try:
		return frappe.db.has_column(doctype, field)
	except Exception:
		return False


def _names_in(values) -> tuple:
	return ("in", sorted(set(values)) or [""])


def footprint() -> dict[str, int]:
	"""What of relance_app the site holds, per place: {label: rows}. Zero everywhere once uninstalled,
	the Email Templates a user edited aside (listed apart by `classify_templates`)."""
	doctypes = app_doctypes()
	counts: dict[str, int] = {}

	def count(label, doctype, filters):
		counts[label] = frappe.db.count(doctype, filters) if frappe.db.table_exists(doctype) else 0

	count("Module Def", "Module Def", {"name": _names_in(modules())})
	count("DocType", "DocType", {"name": _names_in(doctypes)})
	counts["Tables"] = sum(1 for dt in doctypes if frappe.db.table_exists(dt))
	for doctype, names in module_records().items():
		count(doctype, doctype, {"name": _names_in(names)})
	for dt, fields in custom_field_names().items():
		count(f"Custom Field ({dt})", "Custom Field", {"dt": dt, "fieldname": _names_in(fields)})
		count(f"Property Setter ({dt})", "Property Setter", {"doc_type": dt, "field_name": _names_in(fields)})
		counts[f"Columns ({dt})"] = sum(1 for f in fields if frappe.db.has_column(dt, f))
	count("Scheduled Job Type", "Scheduled Job Type", {"method": _names_in(scheduler_methods())})
	counts["Scheduled Job Log"] = _scheduled_job_logs()
	unedited, _edited = classify_templates()
	counts["Email Template (shipped, unedited)"] = len(unedited)
	counts["Terms and Conditions (payment mentions, unused)"] = len(removable_terms()[0])
	count("Singles", "Singles", {"doctype": _names_in(single_doctypes())})
	counts["Patch Log"] = len(_patch_logs())
	counts["Series"] = sum(frappe.db.count("Series", {"name": ("like", p)}) for p in naming_series_patterns())
	count("User Settings", USER_SETTINGS_TABLE, {"doctype": _names_in(doctypes)})
	counts["User Settings naming the fields"] = _user_settings_naming_fields()
	for doctype, field in ROW_REFERENCES + DOC_REFERENCES:
		if _usable(doctype, field):
			counts[f"{doctype} ({field})"] = frappe.db.count(doctype, {field: _names_in(_targets(field))})
	counts["Deleted Document (metadata)"] = len(_deleted_metadata())
	counts["Installed"] = int(APP in frappe.get_installed_apps())
	return counts


def _user_settings_naming_fields() -> int:
	us = frappe.qb.DocType(USER_SETTINGS_TABLE)
	n = 0
	for dt, fieldnames in custom_field_names().items():
		rows = frappe.qb.from_(us).select(us.data).where(us.doctype == dt).run(pluck=True)
		n += sum(1 for data in rows if scrub_settings(_loads(data), set(fieldnames)) != _loads(data))
	return n


def _loads(data):
	try:
		return json.loads(data or "{}")
	except ValueError:
		return {}


def _targets(field: str) -> list[str]:
	"""What a reference field may name: the app's DocTypes, and for workspace links its reports too."""
	names = app_doctypes()
	if field == "link_to":
		names += module_records().get("Report", [])
	return names


def _scheduled_job_logs() -> int:
	methods = scheduler_methods()
	if not methods or not frappe.db.table_exists("Scheduled Job Log"):
		return 0
	jobs = frappe.get_all("Scheduled Job Type", filters={"method": ("in", methods)}, pluck="name")
	# logs of job types already gone are named after the method's last two parts
	names = set(jobs) | {".".join(m.split(".")[-2:]) for m in methods}
	return frappe.db.count("Scheduled Job Log", {"scheduled_job_type": ("in", sorted(names))})


def _patch_logs() -> list[str]:
	pl = frappe.qb.DocType("Patch Log")
	return (
		frappe.qb.from_(pl)
		.select(pl.name)
		.where(pl.patch.like(f"{APP}.%") | pl.patch.like(f"execute:%{APP}.%"))
		.run(pluck=True)
	)


def _deleted_metadata() -> list[str]:
	"""Deleted Document copies of the app's own metadata (DocTypes, Module Def, module records,
	custom fields, job types, shipped templates): recreated from the app's files on a re-install."""
	if not frappe.db.table_exists("Deleted Document"):
		return []
	names_by_doctype: dict[str, set[str]] = defaultdict(set)
	names_by_doctype["DocType"].update(app_doctypes())
	names_by_doctype["Module Def"].update(modules())
	for doctype, names in module_records().items():
		names_by_doctype[doctype].update(names)
	names_by_doctype["Email Template"].update(shipped_templates())
	names_by_doctype["Scheduled Job Type"].update(".".join(m.split(".")[-2:]) for m in scheduler_methods())
	for dt, fields in custom_field_names().items():
		names_by_doctype["Custom Field"].update(f"{dt}-{f}" for f in fields)
	out = []
	for doctype, names in names_by_doctype.items():
		out += frappe.get_all(
			"Deleted Document",
			filters={"deleted_doctype": doctype, "deleted_name": _names_in(names)},
			pluck="name",
		)
	# Frappe names a deleted property setter "<doctype>-<field>-<property>"
	for dt, fields in custom_field_names().items():
		for f in fields:
			out += frappe.get_all(
				"Deleted Document",
				filters={"deleted_doctype": "Property Setter", "deleted_name": ("like", f"{dt}-{f}-%")},
				pluck="name",
			)
	return sorted(set(out))


# --- removal -----------------------------------------------------------------------------------


def _delete_docs(doctype: str, names, removed: dict, label: str | None = None) -> None:
	for name in names:
		frappe.delete_doc(
			doctype, name, force=True, ignore_permissions=True, ignore_missing=True, delete_permanently=True
		)
		removed[label or doctype] += 1


def _delete_rows(doctype: str, filters: dict, removed: dict, label: str | None = None) -> None:
	if not frappe.db.table_exists(doctype):
		return
	n = frappe.db.count(doctype, filters)
	if n:
		frappe.db.delete(doctype, filters)
		removed[label or doctype] += n


def remove_custom_fields(removed: dict) -> None:
	"""The app's custom fields (and their property setters), then their columns."""
	for dt, fields in custom_field_names().items():
		names = frappe.get_all("Custom Field", filters={"dt": dt, "fieldname": ("in", fields)}, pluck="name")
		_delete_docs("Custom Field", names, removed)
		_delete_rows(
			"Property Setter", {"doc_type": dt, "field_name": ("in", fields)}, removed, "Property Setter"
		)
		frappe.clear_cache(doctype=dt)
		drop_columns(dt, fields, removed)


def drop_columns(doctype: str, fieldnames: list[str], removed: dict) -> None:
	"""Columns of fields the DocType no longer has (as `bench trim-tables` would): the app's data in
	Customer and Sales Invoice goes with the app; ERPNext's own columns are never touched."""
	meta = frappe.get_meta(doctype, cached=False)
	gone = [f for f in fieldnames if not meta.has_field(f) and frappe.db.has_column(doctype, f)]
	if not gone:
		return
	if not all(is_safe_sql_name(n) for n in (doctype, *gone)):
		return
	# DDL: the query builder has no ALTER TABLE; the names come from the app's own field list
	frappe.db.sql_ddl(f"ALTER TABLE `tab{doctype}` " + ", ".join(f"DROP COLUMN `{f}`" for f in gone))
	frappe.clear_cache(doctype=doctype)
	removed["Column"] += len(gone)


def remove_scheduled_jobs(removed: dict) -> None:
	"""Job types of the app's scheduler events: the scheduler would keep enqueuing them."""
	methods = scheduler_methods()
	if not methods:
		return
	names = frappe.get_all("Scheduled Job Type", filters={"method": ("in", methods)}, pluck="name")
	_delete_rows(
		"Scheduled Job Log", {"scheduled_job_type": ("in", names or [""])}, removed, "Scheduled Job Log"
	)
	_delete_docs("Scheduled Job Type", names, removed)


def remove_email_templates(removed: dict) -> list[str]:
	"""The shipped Email Templates nobody edited; returns the edited ones, which stay."""
	unedited, edited = classify_templates()
	_delete_docs("Email Template", unedited, removed)
	return edited


def remove_references(removed: dict) -> None:
	"""What names the app's DocTypes from elsewhere: they are gone, so these would point at nothing."""
	for doctype, field in DOC_REFERENCES:
		if _usable(doctype, field):
			names = frappe.get_all(doctype, filters={field: ("in", _targets(field))}, pluck="name")
			_delete_docs(doctype, names, removed)
	for doctype, field in ROW_REFERENCES:
		if _usable(doctype, field):
			_delete_rows(doctype, {field: ("in", _targets(field))}, removed)
	_delete_rows(USER_SETTINGS_TABLE, {"doctype": ("in", app_doctypes())}, removed, "User Settings")


def _mentions(value, fields: set[str]) -> bool:
	if isinstance(value, str):
		return any(re.search(rf"\b{re.escape(f)}\b", value) for f in fields)
	if isinstance(value, list | tuple):
		return any(_mentions(v, fields) for v in value)
	return False


def scrub_settings(value, fields: set[str]):
	"""List and report settings without what names the given fields: filters, columns, sort, widths
	(`frappe.desk.reportview` refuses a filter or a sort on a field the DocType no longer has)."""
	if isinstance(value, dict):
		return {
			k: scrub_settings(v, fields)
			for k, v in value.items()
			if k not in fields and not (isinstance(v, str) and _mentions(v, fields))
		}
	if isinstance(value, list):
		return [scrub_settings(v, fields) for v in value if not _mentions(v, fields)]
	return value


def scrub_user_settings(removed: dict) -> None:
	"""Users' saved list and report settings of Customer and Sales Invoice, without the app's fields."""
	from frappe.model.utils.user_settings import sync_user_settings

	sync_user_settings()  # what users changed since Frappe last wrote its cache to the table
	us = frappe.qb.DocType(USER_SETTINGS_TABLE)
	for dt, fieldnames in custom_field_names().items():
		fields = set(fieldnames)
		rows = frappe.qb.from_(us).select(us.user, us.data).where(us.doctype == dt).run(as_dict=True)
		for row in rows:
			try:
				data = json.loads(row.data or "{}")
			except ValueError:
				continue
			clean = scrub_settings(data, fields)
			if clean != data:
				(
					frappe.qb.update(us)
					.set(us.data, json.dumps(clean))
					.where((us.doctype == dt) & (us.user == row.user))
					.run()
				)
				removed["User Settings (scrubbed)"] += 1
		for name in frappe.get_all("List View Settings", filters={"name": dt}, pluck="name"):
			doc = frappe.get_doc("List View Settings", name)
			try:
				columns = json.loads(doc.fields or "[]")
			except ValueError:
				continue
			clean = scrub_settings(columns, fields)
			if clean != columns:
				doc.db_set("fields", json.dumps(clean), update_modified=False)
				removed["List View Settings (scrubbed)"] += 1
	forget_cached_user_settings()


def remove_site_data(removed: dict) -> None:
	_delete_rows("Singles", {"doctype": ("in", single_doctypes() or [""])}, removed, "Singles")
	patch_logs = _patch_logs()
	if patch_logs:
		_delete_rows("Patch Log", {"name": ("in", patch_logs)}, removed)
	for pattern in naming_series_patterns():
		_delete_rows("Series", {"name": ("like", pattern)}, removed, "Series")
	deleted = _deleted_metadata()
	if deleted:
		_delete_rows("Deleted Document", {"name": ("in", deleted)}, removed, "Deleted Document")


def remove_footprint() -> tuple[dict[str, int], list[str]]:
	"""Remove what of the app Frappe's `remove_app` leaves; ({what: rows removed}, what is kept: the
	Email Templates and payment mentions that are the user's now)."""
	removed: dict[str, int] = defaultdict(int)
	remove_custom_fields(removed)
	remove_scheduled_jobs(removed)
	kept = remove_email_templates(removed)
	kept += remove_unused_mentions(removed)
	remove_references(removed)
	scrub_user_settings(removed)
	remove_site_data(removed)
	return dict(removed), kept


def leftovers(counts: dict[str, int] | None = None) -> dict[str, int]:
	return {k: v for k, v in (counts or footprint()).items() if v}


# --- the hooks ---------------------------------------------------------------------------------


def after_uninstall():
	"""Runs once Frappe has deleted the app's module; on `uninstall-app --dry-run` (the app is still
	installed then) it only says what would go."""
	if APP in frappe.get_installed_apps():
		print(
			_(
				"Dry run: relance_app holds {0} on this site; the uninstall removes all of it but the Email Templates and Terms and Conditions a user edited or documents print."
			).format(describe(leftovers()))
		)
		return
	removed, kept = remove_footprint()
	frappe.clear_cache()
	frappe.db.commit()  # nosemgrep: Frappe's uninstall-app does not commit after the after_uninstall hooks
	print(_("Relance removed {0}.").format(describe(removed) or _("nothing more")))
	if kept:
		print(
			_(
				"These Email Templates and Terms and Conditions were edited by a user or are printed by documents, and stay on the site (delete them yourself if they are no longer needed): {0}"
			).format(", ".join(kept))
		)
	print(
		_(
			"The emails sent, the letters attached to invoices, the ToDos and the ERPNext Dunnings stay as the trail of what was done."
		)
	)


def describe(counts: dict[str, int]) -> str:
	return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()) if v)


def clean_half_install() -> list[str]:
	"""Before an install: what a failed earlier attempt left (a Module Def makes Frappe's
	`add_module_defs` refuse; its Patch Log rows would be doubled). Only when the app is not
	installed."""
	if APP in frappe.get_installed_apps():
		return []
	cleaned = frappe.get_all("Module Def", filters={"app_name": APP}, pluck="name")
	if cleaned:
		frappe.db.delete("Module Def", {"app_name": APP})
	patch_logs = _patch_logs()
	if patch_logs:
		frappe.db.delete("Patch Log", {"name": ("in", patch_logs)})
	return cleaned


def is_safe_sql_name(name: str) -> bool:
	return bool(re.fullmatch(r"[A-Za-z0-9_ -]+", name))
