"""Helper of .ci/compat, the compatibility stage: Frappe's and ERPNext's own suites give the
same outcome on a site with this app as on a site without it.

Subcommands (run with the bench's Python; only `set-mode` imports frappe):

  collect RUN_DIR OUT.json        per-test outcomes of one run of the module list
  compare BASE.json APP.json EXPECTED.txt
                                  table, differences, a `compat: N passed, N failed` line
  set-mode SITE MODE              Confidentiality Settings mode (run from the bench's sites/)
  prepare SITE DOCTYPE...         before_tests hooks, then the doctypes' test records
  mail-config SITE on|off STATE   the outgoing mail keys of ERPNext's CI site config

RUN_DIR holds one folder per pass (`first`, `second`), and in it per module M: M.xml (the
JUnit report of `bench run-tests --module M --junit-xml-output`), M.rc, M.log, M.secs and,
on the site with the app, M.gate (Confidentiality Log decisions the module caused).

A difference is a test that passed without the app and does not pass with it (fails, errors,
is skipped or did not run). It fails the stage unless EXPECTED.txt lists its id with the
Code's rule that explains it (the README says more). Tests that fail without the app too are
reported, never counted: they are the bench's own failures (dates, order, missing services).
"""

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

PASS_LABELS = {"first": "Monitor", "second": "Enforce"}
NOT_RUN = "not run"


def _message(elem) -> str:
	"""The exception line and the last lines of the traceback, short."""
	text = (elem.text or "").strip()
	lines = [line.rstrip() for line in text.splitlines() if line.strip()]
	head = (elem.get("type") or "").rsplit(".", 1)[-1]
	msg = (elem.get("message") or "").strip()
	where = [line.strip() for line in lines if line.strip().startswith('File "')][-2:]
	out = f"{head}: {msg}" if head else msg
	if where:
		out += "\n    at " + "\n    at ".join(where)
	return out[:1500]


_RANK = {"pass": 0, "skip": 1, "fail": 2, "error": 3}


def parse_junit(path: Path) -> dict:
	tests: dict[str, dict] = {}
	root = ET.parse(path).getroot()
	for case in root.iter("testcase"):
		test_id = f"{case.get('classname')}.{case.get('name')}"
		outcome, message = "pass", ""
		for tag, name in (("error", "error"), ("failure", "fail"), ("skipped", "skip")):
			elem = case.find(tag)
			if elem is not None:
				outcome = name
				message = _message(elem) if name != "skip" else (elem.get("message") or "")
				break
		old = tests.get(test_id)  # subtests share an id: keep the worst
		if old is None or _RANK[outcome] > _RANK[old["outcome"]]:
			tests[test_id] = {"outcome": outcome, "message": message}
	return tests


def _tail(path: Path, n: int = 12) -> str:
	if not path.exists():
		return ""
	lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
	return "\n".join(lines[-n:])


def collect(run_dir: str, out: str) -> None:
	result: dict = {"passes": {}}
	for pass_dir in sorted(p for p in Path(run_dir).iterdir() if p.is_dir()):
		modules = {}
		for rc_file in sorted(pass_dir.glob("*.rc")):
			module = rc_file.name[: -len(".rc")]
			xml = pass_dir / f"{module}.xml"
			rc = int(rc_file.read_text().strip() or 1)
			entry: dict = {"rc": rc, "tests": {}, "crash": ""}
			secs = pass_dir / f"{module}.secs"
			entry["seconds"] = int(secs.read_text().strip() or 0) if secs.exists() else 0
			gate = pass_dir / f"{module}.gate"
			if gate.exists():
				entry["gate"] = [line.split("\t") for line in gate.read_text().splitlines() if line.strip()]
			try:
				entry["tests"] = parse_junit(xml) if xml.exists() and xml.stat().st_size else {}
			except ET.ParseError as e:
				entry["crash"] = f"unreadable JUnit report: {e}"
			if not entry["tests"] and not entry["crash"]:
				# the runner died before running anything (import error, test records, timeout)
				entry["crash"] = (
					f"no test ran (exit {rc}); end of the log:\n{_tail(pass_dir / f'{module}.log')}"
				)
			modules[module] = entry
		result["passes"][pass_dir.name] = modules
	Path(out).write_text(json.dumps(result, indent=1, sort_keys=True))


def load_expected(path: str) -> dict[str, str]:
	expected = {}
	p = Path(path)
	if not p.exists():
		return expected
	for n, line in enumerate(p.read_text().splitlines(), 1):
		if not line.strip() or line.lstrip().startswith("#"):
			continue
		test_id, sep, reason = line.partition("\t")
		if not sep or not reason.strip():
			raise SystemExit(f"{path}:{n}: expected `test_id<TAB>reason`, got {line!r}")
		expected[test_id.strip()] = reason.strip()
	return expected


def _counts(entry: dict | None) -> str:
	if entry is None:
		return "-"
	tests = entry["tests"].values()
	ok = sum(t["outcome"] == "pass" for t in tests)
	bad = sum(t["outcome"] in ("fail", "error") for t in tests)
	skip = sum(t["outcome"] == "skip" for t in tests)
	text = f"{ok}/{bad}" + (f" s{skip}" if skip else "")
	return text + (" CRASH" if entry.get("crash") else "")


def _gate(entry: dict | None) -> str:
	"""Confidentiality Log decisions the module caused: outcome counts (Monitored = would
	have been blocked in Enforce)."""
	if not entry or not entry.get("gate"):
		return ""
	totals: dict[str, int] = {}
	doctypes: dict[str, set[str]] = {}
	for row in entry["gate"]:
		if len(row) >= 3:
			totals[row[0]] = totals.get(row[0], 0) + int(row[2])
			if row[1] and row[1] != "NULL":
				doctypes.setdefault(row[0], set()).add(row[1])
	return " ".join(
		f"{k}:{v}" + (f"({','.join(sorted(doctypes[k]))})" if doctypes.get(k) else "")
		for k, v in sorted(totals.items())
	)


def compare(base_path: str, app_path: str, expected_path: str) -> int:
	base = json.loads(Path(base_path).read_text())["passes"]
	app = json.loads(Path(app_path).read_text())["passes"]
	expected = load_expected(expected_path)
	passed = failed = 0
	differences, explained, both_fail, app_better, notes = [], [], [], [], []
	used_expected = set()
	rows = [("pass", "module", "without app", "with app", "gate log", "diff", "secs")]
	for pass_name in ("first", "second"):
		label = PASS_LABELS[pass_name]
		for module, got in app.get(pass_name, {}).items():
			ref = base.get(pass_name, {}).get(module)
			n_diff = 0
			if ref is None:
				notes.append(f"[{label}] {module}: no baseline for this module (rebuild the baseline)")
				n_diff += 1
			else:
				if ref.get("crash"):
					notes.append(f"[{label}] {module}: crashed WITHOUT the app too:\n  {ref['crash']}")
				if got.get("crash") and not ref.get("crash"):
					differences.append((label, f"{module} (whole module)", "runs", got["crash"]))
					n_diff += 1
				for test_id, r in sorted(ref["tests"].items()):
					g = got["tests"].get(test_id, {"outcome": NOT_RUN, "message": ""})
					if r["outcome"] in ("fail", "error"):
						if g["outcome"] in ("fail", "error"):
							both_fail.append((label, test_id, g["outcome"], g["message"]))
						else:
							app_better.append((label, test_id, r["outcome"], g["outcome"]))
						continue
					if g["outcome"] == r["outcome"]:
						continue
					if r["outcome"] == "skip":
						notes.append(f"[{label}] {test_id}: skipped without the app, {g['outcome']} with it")
						continue
					item = (label, test_id, f"{r['outcome']} -> {g['outcome']}", g["message"])
					if test_id in expected:
						used_expected.add(test_id)
						explained.append((*item, expected[test_id]))
					else:
						differences.append(item)
						n_diff += 1
				for test_id in sorted(set(got["tests"]) - set(ref["tests"])):
					notes.append(
						f"[{label}] {test_id}: ran only with the app ({got['tests'][test_id]['outcome']})"
					)
			rows.append(
				(
					label,
					module,
					_counts(ref),
					_counts(got),
					_gate(got),
					str(n_diff),
					str(got.get("seconds", "")),
				)
			)
			if n_diff:
				failed += 1
			else:
				passed += 1

	widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
	print("pass/fail per module (s = skipped); gate log = Confidentiality Log outcomes it caused")
	for r in rows:
		print("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())

	def show(title, items, fmt):
		if items:
			print(f"\n{title} ({len(items)}):")
			for it in items:
				print(fmt(it))

	show(
		"Fails without the app too (the bench's own failures, not counted)",
		both_fail,
		lambda it: f"  [{it[0]}] {it[1]}: {it[2]} both ways\n    {it[3].splitlines()[0] if it[3] else ''}",
	)
	show(
		"Failed without the app, not with it (not counted)",
		app_better,
		lambda it: f"  [{it[0]}] {it[1]}: {it[2]} -> {it[3]}",
	)
	show("Notes", notes, lambda it: f"  {it}")
	show(
		"Expected differences (.ci/compat-expected.txt: the Code's rule)",
		explained,
		lambda it: f"  [{it[0]}] {it[1]}: {it[2]}\n    rule: {it[4]}",
	)
	stale = sorted(set(expected) - used_expected)
	show("Allowlist entries that no longer differ (remove them)", stale, lambda it: f"  {it}")
	show(
		"DIFFERENCES (a test that passes without the app does not pass with it)",
		differences,
		lambda it: f"  [{it[0]}] {it[1]}: {it[2]}\n    " + "\n    ".join(it[3].splitlines()),
	)
	print(f"\ncompat: {passed} passed, {failed} failed")
	return 1 if failed else 0


def set_mode(site: str, mode: str) -> None:
	"""Save the settings as Administrator (the controller logs the change); if a save path
	refuses, write the value directly. Either way clear the caches and read it back."""
	import frappe

	frappe.init(site=site, sites_path=".")
	frappe.connect()
	try:
		frappe.set_user("Administrator")
		try:
			doc = frappe.get_single("Confidentiality Settings")
			if doc.mode != mode:
				doc.mode = mode
				doc.save(ignore_permissions=True)
			frappe.db.commit()
		except Exception as e:
			frappe.db.rollback()
			print(f"saving Confidentiality Settings refused ({e!r}); setting the value directly")
			frappe.db.set_single_value("Confidentiality Settings", "mode", mode)
			frappe.db.commit()
		frappe.clear_cache()
		now = frappe.db.get_single_value("Confidentiality Settings", "mode")
		if now != mode:
			raise SystemExit(f"Confidentiality Settings mode is {now!r}, not {mode!r}")
		print(f"{site}: Confidentiality Settings mode = {now}")
	finally:
		frappe.destroy()


def prepare(site: str, doctypes: list[str]) -> None:
	"""What `bench run-tests` does before a module (before_tests hooks, test records), for
	the records the modules take from each other when a whole app's suite runs: run one by
	one, ERPNext's Contract, Lead, Opportunity and Prospect tests miss _Test Customer,
	_Test Company, the _T-Lead records..."""
	import frappe
	from frappe.test_runner import make_test_records

	frappe.init(site=site, sites_path=".")
	frappe.connect()
	try:
		frappe.flags.in_test = True
		for fn in frappe.get_hooks("before_tests"):
			frappe.get_attr(fn)()
		for doctype in doctypes:
			make_test_records(doctype, commit=True)
		frappe.db.commit()
		print(f"{site}: test records of {', '.join(doctypes)}")
	finally:
		frappe.destroy()


# ERPNext's CI site config (.github/helper/site_config_mariadb.json): the tests that queue
# mail need an outgoing account; nothing is sent (frappe.flags.in_test).
MAIL_CONFIG = {
	"auto_email_id": "test@example.com",
	"mail_server": "smtp.example.com",
	"mail_login": "test@example.com",
	"mail_password": "test",
}


def mail_config(site: str, switch: str, state: str) -> None:
	"""`on` sets MAIL_CONFIG in the site's config and keeps what it replaced in STATE;
	`off` puts those keys back as they were."""
	path = Path(site) / "site_config.json"
	conf = json.loads(path.read_text())
	if switch == "on":
		Path(state).write_text(json.dumps({k: conf.get(k) for k in MAIL_CONFIG}))
		conf.update(MAIL_CONFIG)
	else:
		if not Path(state).exists():
			return
		for key, old in json.loads(Path(state).read_text()).items():
			if old is None:
				conf.pop(key, None)
			else:
				conf[key] = old
		Path(state).unlink()
	tmp = path.with_suffix(".json.compat")
	tmp.write_text(json.dumps(conf, indent=1, sort_keys=True))
	tmp.replace(path)


def main(argv: list[str]) -> int:
	if len(argv) == 3 and argv[0] == "collect":
		collect(argv[1], argv[2])
		return 0
	if len(argv) == 4 and argv[0] == "compare":
		return compare(argv[1], argv[2], argv[3])
	if len(argv) == 3 and argv[0] == "set-mode":
		set_mode(argv[1], argv[2])
		return 0
	if len(argv) >= 2 and argv[0] == "prepare":
		prepare(argv[1], argv[2:])
		return 0
	if len(argv) == 4 and argv[0] == "mail-config" and argv[2] in ("on", "off"):
		mail_config(argv[1], argv[2], argv[3])
		return 0
	print(__doc__, file=sys.stderr)
	return 2


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
