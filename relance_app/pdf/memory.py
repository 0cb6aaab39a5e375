"""What a process and its descendants cost in memory, from Linux's /proc (no Frappe): a worker with
its browser, a browser with its renderers.

PSS (proportional set size, /proc/PID/smaps_rollup) charges each shared page to the processes that
map it in equal parts, so the PSS of several processes adds up to what they really hold together:
Chromium's processes share most of their pages, and their RSS summed counts those pages once per
process. 0 where /proc says nothing (another system, a process gone)."""

from __future__ import annotations

import os


def process_tree(pid: int) -> list[int]:
	"""The process and all its descendants (from /proc/*/stat, one pass)."""
	children: dict[int, list[int]] = {}
	for entry in os.listdir("/proc"):
		if not entry.isdigit():
			continue
		try:
			with open(f"/proc/{entry}/stat") as f:
				parent = int(f.read().rsplit(")", 1)[1].split()[1])
		except (OSError, ValueError, IndexError):
			continue
		children.setdefault(parent, []).append(int(entry))
	tree, todo = [], [pid]
	while todo:
		p = todo.pop()
		tree.append(p)
		todo.extend(children.get(p, []))
	return tree


def pss(pid: int) -> int:
	"""One process's proportional set size in bytes (smaps_rollup), 0 when unknown."""
	try:
		with open(f"/proc/{pid}/smaps_rollup") as f:
			for line in f:
				if line.startswith("Pss:"):
					return int(line.split()[1]) * 1024
	except (OSError, ValueError, IndexError):
		pass
	return 0


def rss(pid: int) -> int:
	try:
		with open(f"/proc/{pid}/statm") as f:
			return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
	except (OSError, ValueError, IndexError):
		return 0


def process_tree_pss(pid: int) -> int:
	"""PSS of a process and its descendants: what they hold together, shared pages counted once."""
	return sum(pss(p) for p in process_tree(pid))


def process_tree_rss(pid: int) -> int:
	"""Resident set size of a process and its descendants (shared pages counted in each)."""
	return sum(rss(p) for p in process_tree(pid))
