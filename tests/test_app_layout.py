"""Consistency of the app's files: hooks point at real code, doctype JSON is well formed, the
engine stays free of Frappe. Pure: reads files, imports nothing from Frappe."""

import ast
import json
import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "relance_app"


def hooks() -> dict:
	tree = ast.parse((APP / "hooks.py").read_text())
	out = {}
	for node in tree.body:
		if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
			out[node.targets[0].id] = ast.literal_eval(node.value)
	return out


def dotted_paths(value):
	if isinstance(value, str):
		if re.fullmatch(r"relance_app(\.\w+)+", value):
			yield value
	elif isinstance(value, dict):
		for v in value.values():
			yield from dotted_paths(v)
	elif isinstance(value, list | tuple):
		for v in value:
			yield from dotted_paths(v)


def defined_names(module_path: Path) -> set[str]:
	tree = ast.parse(module_path.read_text())
	names = set()
	for node in tree.body:
		if isinstance(node, ast.FunctionDef | ast.ClassDef):
			names.add(node.name)
		elif isinstance(node, ast.Assign):
			names.update(t.id for t in node.targets if isinstance(t, ast.Name))
		elif isinstance(node, ast.ImportFrom):
			names.update(a.asname or a.name for a in node.names)
	return names


def test_hooks_metadata():
	h = hooks()
	assert h["app_name"] == "relance_app"
	assert h["required_apps"] == ["frappe/erpnext"]
	for key in ("app_title", "app_publisher", "app_description", "app_email", "app_license"):
		assert h[key]


def test_every_dotted_path_in_hooks_resolves_to_a_definition():
	missing = []
	for path in dotted_paths(hooks()):
		module, _, attr = path.rpartition(".")
		file = APP.parent / (module.replace(".", "/") + ".py")
		package = APP.parent / module.replace(".", "/") / "__init__.py"
		target = file if file.exists() else package
		if not target.exists() or attr not in defined_names(target):
			missing.append(path)
	assert not missing, f"hooks.py points at code that does not exist: {missing}"


def test_js_and_css_in_hooks_exist():
	h = hooks()
	for key in ("doctype_js", "doctype_list_js", "app_include_js", "app_include_css"):
		value = h.get(key) or {}
		files = value.values() if isinstance(value, dict) else ([value] if isinstance(value, str) else value)
		for f in files:
			for one in [f] if isinstance(f, str) else f:
				where = APP / one if key.startswith("doctype") else APP / "public" / one.split("/", 3)[-1]
				assert where.exists(), f"{key}: {one} not found"


def test_pyproject_declares_frappe_and_erpnext_the_bench_way():
	data = tomllib.loads((ROOT / "pyproject.toml").read_text())
	deps = data["project"].get("dependencies", [])
	assert not any(re.match(r"(frappe|erpnext)\b", d) for d in deps)
	assert set(data["tool"]["bench"]["frappe-dependencies"]) == {"frappe", "erpnext"}
	assert data["build-system"]["build-backend"] == "flit_core.buildapi"
	assert "version" in data["project"]["dynamic"]
	assert re.search(r'^__version__ = "\d+\.\d+\.\d+"', (APP / "__init__.py").read_text(), re.M)


def test_modules_and_patches_files():
	modules = [m.strip() for m in (APP / "modules.txt").read_text().splitlines() if m.strip()]
	for module in modules:
		assert (APP / module.lower().replace(" ", "_") / "__init__.py").exists()
	text = (APP / "patches.txt").read_text()
	assert "[pre_model_sync]" in text and "[post_model_sync]" in text
	for line in text.splitlines():
		line = line.split("#")[0].strip()
		if not line or line.startswith("[") or line.startswith("execute:"):
			continue
		assert (APP.parent / (line.replace(".", "/") + ".py")).exists(), line


def doctype_files():
	return sorted(APP.glob("*/doctype/*/*.json"))


def test_doctype_json_is_consistent():
	modules = {m.strip() for m in (APP / "modules.txt").read_text().splitlines() if m.strip()}
	for path in doctype_files():
		doc = json.loads(path.read_text())
		if doc.get("doctype") != "DocType":
			continue
		folder = path.parent.name
		assert path.stem == folder
		assert doc["name"].lower().replace(" ", "_") == folder, path
		assert doc["module"] in modules, path
		fieldnames = [f["fieldname"] for f in doc.get("fields", [])]
		assert len(fieldnames) == len(set(fieldnames)), f"duplicate fieldnames in {path}"
		assert set(doc.get("field_order", [])) == set(fieldnames), f"field_order out of sync in {path}"
		for f in doc.get("fields", []):
			if f["fieldtype"] in ("Link", "Table", "Table MultiSelect"):
				assert f.get("options"), f"{path}: {f['fieldname']} needs options"
			if f["fieldtype"] == "Select" and f.get("options") and f.get("default"):
				assert f["default"] in f["options"].split("\n"), f"{path}: {f['fieldname']} default"
		assert (path.parent / f"{folder}.py").exists(), f"{path}: controller missing"
		assert (path.parent / "__init__.py").exists(), f"{path}: __init__.py missing"


def test_engine_is_free_of_frappe():
	for py in (APP / "engine").rglob("*.py"):
		tree = ast.parse(py.read_text())
		for node in ast.walk(tree):
			if isinstance(node, ast.Import):
				assert not any(a.name.split(".")[0] == "frappe" for a in node.names), py
			if isinstance(node, ast.ImportFrom):
				assert (node.module or "").split(".")[0] not in ("frappe", "erpnext"), py


def test_ci_runs_the_readme_test_command():
	readme = (ROOT / "README.md").read_text()
	ci = (ROOT / ".ci" / "run").read_text()
	command = "python3 -m pytest -q tests"
	assert command in readme
	assert any(line.strip() == command for line in ci.splitlines())
