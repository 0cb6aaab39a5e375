"""The shape of the code (scripts/code_shape.py): no import cycle, no arrow running up, the doors
imported by nobody below, a Frappe-free engine, no file over 600 lines and no function over 80; and
the README's code map matches the tree."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("code_shape", ROOT / "scripts" / "code_shape.py")
shape = importlib.util.module_from_spec(spec)
sys.modules["code_shape"] = shape
spec.loader.exec_module(shape)


@pytest.mark.parametrize("what", list(shape.breaches()))
def test_the_tree_has_no_breach(what):
	found = shape.breaches()[what]
	assert not found, f"{what}: {found}"


def test_a_cycle_an_upward_arrow_and_a_long_function_are_caught(tmp_path):
	"""The checks can fail: a small tree with each fault in it."""
	app = tmp_path / "relance_app"
	for package in ("", "data", "run", "engine"):
		(app / package).mkdir(parents=True, exist_ok=True)
		(app / package / "__init__.py").write_text("")
	(app / "data" / "low.py").write_text("def f():\n\tfrom relance_app.run import high\n")
	(app / "run" / "high.py").write_text("from relance_app.data.low import f\n")
	(app / "engine" / "pure.py").write_text("import frappe\nfrom relance_app import api\n")
	(app / "api.py").write_text("def door():\n" + "\tpass\n" * 90)
	found = shape.breaches(tmp_path)
	assert found["import cycles"] == ["relance_app.data.low <-> relance_app.run.high"]
	assert found["arrows running up"] == [
		"relance_app.data.low (reading) -> relance_app.run.high (run)",
		"relance_app.engine.pure (rules) -> relance_app.api (doors)",
	]
	assert found["imports of the doors from below"] == ["relance_app.engine.pure -> relance_app.api"]
	assert found["Frappe or the app in the engine"] == [
		"relance_app.engine.pure imports frappe",
		"relance_app.engine.pure imports relance_app.api",
	]
	assert found["functions over 80 lines"] == ["91 relance_app.api.door"]


def code_map() -> list[str]:
	"""The paths the README's "How the code is laid out" block names, as written (folders end in /)."""
	readme = (ROOT / "README.md").read_text()
	block = readme.split("## How the code is laid out", 1)[1].split("```", 2)[1]
	paths, stack = [], []
	for line in block.splitlines():
		match = re.match(r"^( *)(\S+)", line)
		if not match or line.strip().startswith("#"):
			continue
		depth, name = len(match.group(1)) // 2, match.group(2)
		stack[depth:] = [name]
		paths.append("".join(stack))
	return paths


def test_every_path_the_code_map_names_exists():
	missing = []
	for path in code_map():
		for one in path.replace("*", "").split(","):
			if one and not any(ROOT.glob(one.rstrip("/") + "*")):
				missing.append(path)
	assert not missing, f"the README's code map names what is not there: {missing}"


def test_every_package_of_the_app_is_on_the_code_map():
	named = {p.rstrip("/") for p in code_map()}
	packages = sorted(
		str(p.parent.relative_to(ROOT))
		for p in (ROOT / "relance_app").rglob("__init__.py")
		# the Frappe module folder's own folders (doctypes, reports ...) are named as a whole
		if "relance_app/relance/" not in str(p.relative_to(ROOT)) and "tests" not in p.parts
	)
	# a package is named by itself or by the files and folders of it the map lists
	assert [p for p in packages if not any(n == p or n.startswith(p + "/") for n in named)] == []
