"""The package's shape holds: no import circle, pure rules free of frappe, dependencies one way.

Built from the source with `ast` (nothing is imported, no frappe needed). Every import counts,
at module level or inside a function: a circle hidden in a function is still a circle.

Layers, lowest first (docs/architecture.md, "Layout"); a module may import its own layer
and the layers below, never above:

0. `rules`: pure (the decision, the ombudsman's determination, the log's hashing, role names);
1. `log`: accepting, sealing, keys, anchors, verifying;
2. `decision`: the one decision point;
3. `disclosures`, then `ombudsman` (a referral is a disclosure): the domains;
4. `channels`: one thin adapter per egress channel;
5. everything else: `api`, `www`, the doctype controllers and reports, hooks, install, tasks,
   commands, boot, patches, benchmarks, tests (wiring, nothing imports it from below).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = "confidentiality_app"
ROOT = Path(__file__).resolve().parents[2] / APP

LAYERS = {"rules": 0, "log": 1, "decision": 2, "disclosures": 3, "ombudsman": 3.5, "channels": 4}
TOP = 5
PURE = ("rules",)
# runs on a machine without a bench: imports only the pure rules
STANDALONE = (f"{APP}.logverify",)
# third-party packages a pure module may not import
FRAMEWORK = ("frappe", "erpnext", "redis", "pymysql", "rq")


def modules(root: Path = ROOT) -> dict[str, Path]:
	found = {}
	for path in root.rglob("*.py"):
		parts = path.relative_to(root.parent).with_suffix("").parts
		if parts[-1] == "__init__":
			parts = parts[:-1]
		found[".".join(parts)] = path
	return found


def _resolve(name: str, known: dict[str, Path]) -> str | None:
	parts = name.split(".")
	while parts:
		candidate = ".".join(parts)
		if candidate in known:
			return candidate
		parts.pop()
	return None


def imports_of(module: str, path: Path, known: dict[str, Path]) -> tuple[set[str], set[str]]:
	"""(modules of the app imported, top-level names of other packages imported)."""
	tree = ast.parse(path.read_text(), str(path))
	package = module if path.name == "__init__.py" else module.rpartition(".")[0]
	app, other = set(), set()
	for node in ast.walk(tree):
		names: list[str] = []
		if isinstance(node, ast.Import):
			names = [alias.name for alias in node.names]
		elif isinstance(node, ast.ImportFrom):
			base = node.module or ""
			if node.level:
				anchor = package.split(".")
				anchor = anchor[: len(anchor) - (node.level - 1)]
				base = ".".join(anchor + ([base] if base else []))
			names = [f"{base}.{alias.name}" for alias in node.names]
			if base.split(".")[0] == APP and not any(_resolve(n, known) not in (None, base) for n in names):
				names.append(base)  # names from the module itself, not its submodules
		for name in names:
			if name.split(".")[0] != APP:
				other.add(name.split(".")[0])
				continue
			target = _resolve(name, known)
			if target and target != module and target != APP:
				app.add(target)
	return app, other


def graph(root: Path = ROOT) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
	known = modules(root)
	edges, others = {}, {}
	for module, path in known.items():
		edges[module], others[module] = imports_of(module, path, known)
	return edges, others


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
	"""Strongly connected components with more than one module (Tarjan, iterative)."""
	index, low, on_stack, stack, found = {}, {}, set(), [], []
	counter = 0
	for start in sorted(edges):
		if start in index:
			continue
		work = [(start, iter(sorted(edges[start])))]
		index[start] = low[start] = counter
		counter += 1
		stack.append(start)
		on_stack.add(start)
		while work:
			node, children = work[-1]
			advanced = False
			for child in children:
				if child not in edges:
					continue
				if child not in index:
					index[child] = low[child] = counter
					counter += 1
					stack.append(child)
					on_stack.add(child)
					work.append((child, iter(sorted(edges[child]))))
					advanced = True
					break
				if child in on_stack:
					low[node] = min(low[node], index[child])
			if advanced:
				continue
			work.pop()
			if work:
				low[work[-1][0]] = min(low[work[-1][0]], low[node])
			if low[node] == index[node]:
				component = []
				while True:
					member = stack.pop()
					on_stack.discard(member)
					component.append(member)
					if member == node:
						break
				if len(component) > 1:
					found.append(sorted(component))
	return found


def layer(module: str) -> float:
	parts = module.split(".")
	return LAYERS.get(parts[1], TOP) if len(parts) > 1 else TOP


def layer_violations(edges: dict[str, set[str]]) -> list[str]:
	return sorted(
		f"{module} (layer {layer(module)}) imports {target} (layer {layer(target)})"
		for module, targets in edges.items()
		for target in targets
		if layer(target) > layer(module)
	)


def test_no_import_cycle():
	edges, _ = graph()
	found = cycles(edges)
	assert found == [], "import circles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_pure_modules_import_no_framework():
	edges, others = graph()
	bad = []
	for module in edges:
		if layer(module) != 0 or module.split(".")[1] not in PURE:
			continue
		bad += [f"{module} imports {name}" for name in sorted(others[module] & set(FRAMEWORK))]
		bad += [f"{module} imports {target}" for target in sorted(edges[module]) if layer(target) != 0]
	assert bad == [], "pure modules import:\n" + "\n".join(bad)


def test_the_standalone_verifier_imports_only_the_pure_rules():
	edges, others = graph()
	for module in STANDALONE:
		assert module in edges, module
		assert sorted(others[module] & set(FRAMEWORK)) == []
		assert [t for t in sorted(edges[module]) if layer(t) != 0] == []


def test_dependencies_one_way():
	edges, _ = graph()
	found = layer_violations(edges)
	assert found == [], "imports against the layers:\n" + "\n".join(found)


def test_every_package_says_what_it_owns():
	missing = [
		str(path.relative_to(ROOT.parent))
		for name in (*LAYERS, "api", "benchmarks")
		for path in [ROOT / name / "__init__.py"]
		if not (path.exists() and ast.get_docstring(ast.parse(path.read_text())))
	]
	assert missing == []


# ------------------------------------------------------------------ the checks can fail


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
	root = tmp_path / APP
	for name, text in files.items():
		path = root / name
		path.parent.mkdir(parents=True, exist_ok=True)
		path.write_text(text)
	return root


def test_a_cycle_is_found(tmp_path):
	root = _tree(
		tmp_path,
		{
			"__init__.py": "",
			"log/__init__.py": '"""log"""',
			"log/audit.py": "def seal():\n\tfrom confidentiality_app.log import anchors\n",
			"log/anchors.py": "from confidentiality_app.log import audit\n",
		},
	)
	edges, _ = graph(root)
	assert cycles(edges) == [[f"{APP}.log.anchors", f"{APP}.log.audit"]]


def test_an_import_against_the_layers_is_found(tmp_path):
	root = _tree(
		tmp_path,
		{
			"__init__.py": "",
			"decision/__init__.py": "",
			"decision/identity.py": "from confidentiality_app.channels.share import recheck_records\n",
			"channels/__init__.py": "",
			"channels/share.py": "from confidentiality_app.decision import identity\n",
			"rules/__init__.py": "",
			"rules/policy.py": "import frappe\nfrom confidentiality_app.log import audit\n",
			"log/__init__.py": "",
			"log/audit.py": "",
		},
	)
	edges, others = graph(root)
	assert layer_violations(edges) == [
		f"{APP}.decision.identity (layer 2) imports {APP}.channels.share (layer 4)",
		f"{APP}.rules.policy (layer 0) imports {APP}.log.audit (layer 1)",
	]
	assert "frappe" in others[f"{APP}.rules.policy"]


if __name__ == "__main__":
	raise SystemExit(pytest.main([__file__, "-q"]))
