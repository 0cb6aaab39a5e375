"""Every user-facing string of the app has a French translation with the same placeholders."""

import csv
import json
import re
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "relance_app"
PY = re.compile(r"""(?<![\w.])_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
JS = re.compile(r"""__\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|`([^`$]*)`)""")
HTML = re.compile(r"""(?<![\w.])_\(\s*"([^"]+)\"""")
PLACEHOLDER = re.compile(r"\{[a-z_0-9]*\}")


def user_strings() -> set[str]:
	strings: set[str] = set()
	for f in APP.rglob("*.py"):
		if {"engine", "tests"} & set(f.relative_to(APP).parts):
			continue
		strings.update(m.group(1) or m.group(2) for m in PY.finditer(f.read_text()))
	for f in APP.rglob("*.js"):
		strings.update(m.group(1) or m.group(2) or m.group(3) for m in JS.finditer(f.read_text()))
	for f in APP.rglob("*.html"):
		if "relance" in f.parent.name and f.parent.name != "templates":
			continue  # the shipped email bodies are per language already
		strings.update(m.group(1) for m in HTML.finditer(f.read_text()))
	sys.path.insert(0, str(APP.parent))
	from relance_app.engine.credit_hold import MESSAGES as CREDIT_HOLD_MESSAGES
	from relance_app.engine.validation import MESSAGES
	from relance_app.setup.custom_fields import CUSTOM_FIELDS

	strings.update(MESSAGES.values())
	strings.update(CREDIT_HOLD_MESSAGES.values())
	fields = [f for fs in CUSTOM_FIELDS.values() for f in fs]
	for path in (APP / "relance" / "doctype").rglob("*.json"):
		doc = json.loads(path.read_text())
		strings.add(doc["name"])
		fields += doc.get("fields", [])
	for f in fields:
		strings.update(f[k] for k in ("label", "description") if f.get(k))
		if f.get("fieldtype") == "Select" and f.get("options"):
			strings.update(o for o in f["options"].split("\n") if o)
	return {s for s in strings if s and s.strip()}


def translations() -> dict[str, str]:
	with open(APP / "translations" / "fr.csv", newline="", encoding="utf-8") as f:
		return {row[0]: row[1] for row in csv.reader(f) if row}


def test_every_string_has_a_french_translation():
	fr = translations()
	missing = sorted(s for s in user_strings() if s not in fr)
	assert not missing, f"{len(missing)} strings without French: {missing[:20]}"


def test_translations_keep_their_placeholders():
	for source, target in translations().items():
		assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(target)), source
		assert target.strip(), source


def test_the_translation_file_has_one_line_ending():
	"""Merged branches wrote CRLF and LF lines into one file; Frappe reads both, a diff does not."""
	raw = (APP / "translations" / "fr.csv").read_bytes()
	crlf = raw.count(b"\r\n")
	assert b"\r" not in raw, f"{crlf} lines end with CRLF: fr.csv ends its lines with LF"
