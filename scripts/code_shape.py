#!/usr/bin/env python3
"""The shape of relance_app's code, drawn from its imports (no Frappe needed, nothing imported).

    python3 scripts/code_shape.py            # the layers, the sizes, and any breach; exit 1 on a breach
    python3 scripts/code_shape.py --graph    # also every module's imports of the app, by layer

Checks:
- no import cycle between modules of the app, counting imports inside functions too;
- no arrow running up: a module imports only modules of its own layer or of a layer below (LAYERS);
- nothing imports the public doors (relance_app.api, relance_app.portal) but the tests and the demo;
- the engine imports nothing of Frappe's or ERPNext's, and of the app only the engine and constants;
- no Python file over MAX_FILE_LINES lines, no function over MAX_FUNCTION_LINES lines.
tests/test_code_shape.py runs the same checks in the pure suite.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = "relance_app"
MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 80

# lowest first: a module may import its own layer and the layers before it, never one after
LAYERS: list[tuple[str, tuple[str, ...]]] = [
	("rules", ("constants", "exceptions", "engine", "templates")),
	("plumbing", ("common",)),
	("reading", ("data", "setup")),
	("documents", ("documents", "pdf")),
	("records", ("records",)),
	("channels", ("channels", "holds")),
	("run", ("run",)),
	("views", ("analytics", "debtor_page", "collection_file")),
	(
		"doors",
		(
			"api",
			"portal",
			"www",
			"commands",
			"overrides",
			"relance",
			"hooks",
			"install",
			"patches",
			"utils",
			"demo",
			"tests",
		),
	),
]
DOORS = {f"{APP}.api", f"{APP}.portal"}
# who may import the doors: the tests call the API as a user would; the demo plays the accountant
DOOR_CALLERS = (f"{APP}.tests", f"{APP}.demo")
FRAPPE_PACKAGES = ("frappe", "erpnext")


def modules(root: Path = ROOT) -> dict[str, Path]:
	"""Every module of the app: dotted name -> file (a package is its __init__)."""
	out = {}
	for path in sorted((root / APP).rglob("*.py")):
		if "node_modules" in path.parts:
			continue
		parts = list(path.relative_to(root).with_suffix("").parts)
		if parts[-1] == "__init__":
			parts = parts[:-1]
		out[".".join(parts)] = path
	return out


def imports_of(name: str, path: Path, known: dict[str, Path]) -> tuple[set[str], set[str]]:
	"""(modules of the app imported anywhere in the file, top-level packages imported from outside)."""
	tree = ast.parse(path.read_text(), str(path))
	package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
	inside, outside = set(), set()
	for node in ast.walk(tree):
		targets = []
		if isinstance(node, ast.Import):
			targets = [alias.name for alias in node.names]
		elif isinstance(node, ast.ImportFrom):
			base = node.module or ""
			if node.level:
				anchor = package.split(".")
				anchor = anchor[: len(anchor) - node.level + 1]
				base = ".".join([*anchor, base] if base else anchor)
			named = [f"{base}.{alias.name}" for alias in node.names]
			# `from package import module` imports the module; `from module import name`, the module
			targets = [t for t in named if t in known] or [base]
		for target in targets:
			if target.split(".")[0] != APP:
				outside.add(target.split(".")[0])
				continue
			# the longest known module the target names (a function of a module names that module)
			while target and target not in known:
				target = target.rsplit(".", 1)[0] if "." in target else ""
			if target and target != name and target != APP:
				inside.add(target)
	return inside, outside


def graph(root: Path = ROOT) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
	known = modules(root)
	edges, external = {}, {}
	for name, path in known.items():
		edges[name], external[name] = imports_of(name, path, known)
	# importing a package's module runs the package's __init__: only its own imports count, already in
	return edges, external


def layer_of(name: str) -> int:
	first = name.split(".")[1] if "." in name else "constants"  # the package's __init__: a version
	for i, (_label, tops) in enumerate(LAYERS):
		if first in tops:
			return i
	raise KeyError(f"{name}: no layer for the top-level name {first!r}; add it to LAYERS")


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
	"""Every strongly connected group of more than one module (Tarjan), each as a sorted list."""
	index, low, stack, on_stack, out = {}, {}, [], set(), []
	counter = [0]

	def visit(v):
		index[v] = low[v] = counter[0]
		counter[0] += 1
		stack.append(v)
		on_stack.add(v)
		for w in edges.get(v, ()):
			if w not in index:
				visit(w)
				low[v] = min(low[v], low[w])
			elif w in on_stack:
				low[v] = min(low[v], index[w])
		if low[v] == index[v]:
			group = []
			while True:
				w = stack.pop()
				on_stack.discard(w)
				group.append(w)
				if w == v:
					break
			if len(group) > 1:
				out.append(sorted(group))

	sys.setrecursionlimit(10_000)
	for v in sorted(edges):
		if v not in index:
			visit(v)
	return out


def upward(edges: dict[str, set[str]]) -> list[str]:
	return sorted(
		f"{a} ({LAYERS[layer_of(a)][0]}) -> {b} ({LAYERS[layer_of(b)][0]})"
		for a, targets in edges.items()
		for b in targets
		if layer_of(b) > layer_of(a)
	)


def door_imports(edges: dict[str, set[str]]) -> list[str]:
	return sorted(
		f"{a} -> {b}"
		for a, targets in edges.items()
		for b in targets
		if b in DOORS and not a.startswith(DOOR_CALLERS)
	)


def engine_breaches(edges, external) -> list[str]:
	out = []
	for name in edges:
		if not name.startswith(f"{APP}.engine"):
			continue
		out += [f"{name} imports {p}" for p in sorted(external[name]) if p in FRAPPE_PACKAGES]
		out += [
			f"{name} imports {b}"
			for b in sorted(edges[name])
			if not b.startswith((f"{APP}.engine", f"{APP}.constants"))
		]
	return out


def sizes(root: Path = ROOT) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
	"""(every file's line count, every function's line count), largest first."""
	files, functions = [], []
	for name, path in modules(root).items():
		text = path.read_text()
		files.append((len(text.splitlines()), str(path.relative_to(root))))
		for node in ast.walk(ast.parse(text)):
			if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
				start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
				functions.append((node.end_lineno - start + 1, f"{name}.{node.name}"))
	return sorted(files, reverse=True), sorted(functions, reverse=True)


def breaches(root: Path = ROOT) -> dict[str, list[str]]:
	edges, external = graph(root)
	files, functions = sizes(root)
	return {
		"import cycles": [" <-> ".join(group) for group in cycles(edges)],
		"arrows running up": upward(edges),
		"imports of the doors from below": door_imports(edges),
		"Frappe or the app in the engine": engine_breaches(edges, external),
		f"files over {MAX_FILE_LINES} lines": [f"{n} {p}" for n, p in files if n > MAX_FILE_LINES],
		f"functions over {MAX_FUNCTION_LINES} lines": [
			f"{n} {f}" for n, f in functions if n > MAX_FUNCTION_LINES
		],
	}


def main() -> int:
	parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	parser.add_argument("--graph", action="store_true", help="print every module's imports of the app")
	opts = parser.parse_args()
	edges, _external = graph()
	files, functions = sizes()
	print(f"{len(edges)} modules, {sum(len(t) for t in edges.values())} imports between them")
	for i, (label, tops) in enumerate(LAYERS):
		count = sum(1 for name in edges if layer_of(name) == i)
		print(f"  layer {i} {label:<10} {count:>3} modules  {', '.join(tops)}")
	print(f"largest files: {', '.join(f'{p} {n}' for n, p in files[:5])}")
	print(f"longest functions: {', '.join(f'{f} {n}' for n, f in functions[:5])}")
	if opts.graph:
		for name in sorted(edges, key=lambda n: (layer_of(n), n)):
			if edges[name]:
				print(f"{name} [{LAYERS[layer_of(name)][0]}] -> {', '.join(sorted(edges[name]))}")
	found = breaches()
	for what, items in found.items():
		print(f"{what}: {len(items)}")
		for item in items:
			print(f"  {item}")
	return 1 if any(found.values()) else 0


if __name__ == "__main__":
	sys.exit(main())
