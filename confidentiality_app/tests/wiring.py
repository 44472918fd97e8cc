"""Every dotted path the site holds for this app resolves: hooks.py, the scheduled jobs Frappe
synced from it, the patches, the print formats and reports. Used by test_wiring (on the CI
site) and by .ci/migrate-check (on a site made with an earlier layout, then migrated):

	bench --site SITE execute confidentiality_app.tests.wiring.check
"""

from __future__ import annotations

import frappe

APP = "confidentiality_app"
# hooks whose values are dotted paths (others: names, file names, flags)
PATH_HOOKS = (
	"doc_events",
	"override_whitelisted_methods",
	"override_doctype_class",
	"permission_query_conditions",
	"has_permission",
	"before_job",
	"after_job",
	"after_request",
	"scheduler_events",
	"confidentiality_consent_lost",
	"confidentiality_records_moved",
	"after_install",
	"after_migrate",
	"before_uninstall",
	"after_app_install",
	"before_app_uninstall",
	"boot_session",
	"before_tests",
)


def _paths(value) -> list[str]:
	if isinstance(value, str):
		return [value] if value.startswith(f"{APP}.") else []
	if isinstance(value, dict):
		return [p for v in value.values() for p in _paths(v)]
	if isinstance(value, list | tuple):
		return [p for v in value for p in _paths(v)]
	return []


def hook_paths() -> dict[str, list[str]]:
	hooks = frappe.get_module(f"{APP}.hooks")
	return {name: _paths(getattr(hooks, name, None)) for name in PATH_HOOKS}


def problems() -> list[str]:
	found = []
	for hook, paths in hook_paths().items():
		for path in paths:
			try:
				frappe.get_attr(path)
			except Exception as e:
				found.append(f"hooks.py {hook}: {path} does not resolve ({type(e).__name__}: {e})")

	scheduled = set(_paths(frappe.get_module(f"{APP}.hooks").scheduler_events))
	synced = {
		row.method
		for row in frappe.get_all("Scheduled Job Type", fields=["method"])
		if row.method.startswith(f"{APP}.")
	}
	found += [f"Scheduled Job Type {m} is not in hooks.py (a stale job)" for m in sorted(synced - scheduled)]
	found += [f"scheduler_events {m} has no Scheduled Job Type" for m in sorted(scheduled - synced)]

	from frappe.modules.patch_handler import get_patches_from_app

	ran = set(frappe.get_all("Patch Log", pluck="patch"))
	for patch in get_patches_from_app(APP):
		if patch not in ran:
			found.append(f"patch {patch} has not run")
		try:
			frappe.get_attr(patch.split()[0] + ".execute")
		except Exception as e:
			found.append(f"patch {patch} does not resolve ({type(e).__name__}: {e})")

	for fmt in frappe.get_all(
		"Print Format", {"module": "Confidentiality"}, ["name", "doc_type", "print_format_type"]
	):
		if not frappe.db.exists("DocType", fmt.doc_type):
			found.append(f"Print Format {fmt.name}: its doctype {fmt.doc_type} is missing")
		elif not frappe.get_meta(fmt.doc_type).fields:
			found.append(f"Print Format {fmt.name}: {fmt.doc_type} has no fields")

	from frappe.core.doctype.report.report import get_report_module_dotted_path

	for report in frappe.get_all(
		"Report", {"module": "Confidentiality", "report_type": "Script Report"}, ["name", "module"]
	):
		try:
			frappe.get_attr(get_report_module_dotted_path(report.module, report.name) + ".execute")
		except Exception as e:
			found.append(f"Report {report.name} does not resolve ({type(e).__name__}: {e})")

	for name in frappe.get_all("DocType", {"module": "Confidentiality", "custom": 0}, pluck="name"):
		try:
			frappe.get_meta(name) and frappe.model.base_document.get_controller(name)
		except Exception as e:
			found.append(f"DocType {name}: its controller does not load ({type(e).__name__}: {e})")
	return found


def check():
	"""bench execute: print what does not resolve and fail (exit 1) if anything."""
	found = problems()
	for line in found:
		print(f"  {line}")
	counted = sum(len(p) for p in hook_paths().values())
	print(f"wiring: {counted} hook paths, {len(found)} problem(s)")
	if found:
		raise SystemExit(1)
