"""Export: a protected record leaves in a file (CSV, Excel) only with its client's consent
for **Export**.

The list view's and report view's Export (`frappe.desk.reportview.export_query`) is
replaced (hooks.py `override_whitelisted_methods`) by one that first finds the records the
export would hold (the user's own filters and permissions), decides them all at once
(`gate.decide_rows`: a constant number of queries whatever the number of rows), then lets
Frappe write the file with only the records allowed: the file holds no trace of the rows
withheld. The user is told how many rows were withheld and why (a message on their desk);
one log entry records the export with both counts. With *Refuse Partial Exports* in
Confidentiality Settings, any withheld row refuses the whole export instead. An export
that groups rows (group by, aggregates) cannot leave single records out: it is refused
when any record behind it is withheld.
"""

from __future__ import annotations

import json
from contextlib import contextmanager

import frappe
from frappe import _

from confidentiality_app import ombudsman
from confidentiality_app.channels import api_read
from confidentiality_app.decision import explain, gate
from confidentiality_app.log import audit
from confidentiality_app.rules import policy

EXPORT = "Export"
CHANNEL = "Export"
# what the export's own parameters are, not filters of the query
_EXPORT_ONLY = (
	"file_format_type",
	"title",
	"add_totals_row",
	"translate_values",
	"csv_delimiter",
	"csv_quoting",
	"selected_items",
	"cmd",
)


def _names(doctype: str) -> tuple[list[str], bool]:
	"""The records the export would hold, and whether its rows group records."""
	from frappe.desk.reportview import get_form_params
	from frappe.model.db_query import DatabaseQuery

	params = get_form_params()
	grouped = bool(params.get("group_by")) or any("(" in str(f) for f in (params.get("fields") or []))
	selection = params.get("selected_items")
	for key in _EXPORT_ONLY:
		params.pop(key, None)
	params.pop("doctype", None)
	if selection:
		params["filters"] = {
			"name": ("in", json.loads(selection) if isinstance(selection, str) else selection)
		}
	params.update(
		fields=[f"`tab{doctype}`.`name`"],
		limit_page_length=None,
		limit_start=0,
		as_list=True,
		group_by=None,
		order_by=None,
		with_comment_count=False,
	)
	params.pop("page_length", None)
	params.pop("start", None)
	rows = DatabaseQuery(doctype).execute(**params)
	return [r[0] for r in rows], grouped


def refuse_partial() -> bool:
	return bool(
		frappe.get_cached_value(
			"Confidentiality Settings", "Confidentiality Settings", "refuse_partial_export"
		)
	)


def _tell(user: str, message: str):
	"""The desk shows it as a message (the export itself is a file download)."""
	frappe.publish_realtime(
		"msgprint",
		{"message": message, "title": _("Rows withheld by confidentiality rules"), "indicator": "orange"},
		user=user,
	)


def record_export(
	action: str,
	reference_doctype: str,
	reference_name: str,
	*,
	total: int,
	withheld: int,
	monitored: int,
	refuse: bool,
	client,
	summary: str,
	under: tuple[list[str], str] = ([], ""),
):
	"""One log entry for one export (a file, a report, a mail of a report), with both
	counts, and the disclosures its rows were released under (with their Code clauses).
	Fail closed: when the log cannot be written, the export is refused."""
	exported = 0 if refuse else total - withheld
	disclosed, clause = under
	basis = f"exported={exported} withheld={total if refuse else withheld} of={total}"
	if disclosed and exported:
		basis += " under=" + ",".join(disclosed)
		summary += " " + _("Released under {0} ({1}).").format(
			", ".join(disclosed), explain.clause_text(clause)
		)
	try:
		audit.append(
			audit.Entry(
				action=action,
				channel=CHANNEL,
				decision="Deny" if withheld or monitored or refuse else "Allow",
				outcome="Blocked"
				if refuse
				else ("Withheld" if withheld else ("Monitored" if monitored else "Allowed")),
				mode=gate.mode(),
				reference_doctype=reference_doctype,
				reference_name=(reference_name or reference_doctype)[:140],
				client_doctype=client[0] if client else None,
				client_name=client[1] if client else None,
				recipient=policy.EVERYONE,
				reason=summary,
				basis=basis,
			)
		)
	except audit.LogUnavailable:
		frappe.log_error(title="Confidentiality: log unavailable")
		frappe.throw(
			_("The export is refused: the confidentiality log cannot be written, so it cannot be recorded."),
			gate.ConfidentialityBlocked,
		)


def conclude_export(
	summary: str, *, refuse: bool, withheld: bool, why: str = "", title: str | None = None
) -> None:
	"""Refuse the export with its summary (and why), or tell the user what was withheld."""
	if refuse:
		frappe.throw(
			frappe.utils.escape_html(summary) + (f"<br>{why}" if why else ""),
			gate.ConfidentialityBlocked,
			title=title or _("Export refused by confidentiality rules"),
		)
	if withheld:
		_tell(
			frappe.session.user,
			frappe.utils.escape_html(summary)
			+ "<br>"
			+ _("Record the clients' written consent for Export to include them."),
		)


def decide_export(doctype: str, names: list[str], action: str, reference: str, grouped: bool = False):
	"""Decide the records an export would hold (set-based), log one entry with both
	counts, refuse (raise) when rows would be withheld from a grouped export or the
	setting refuses partial exports, else tell the user what was withheld. Returns the
	names allowed to leave."""
	decisions = gate.use_disclosures(gate.decide_rows(doctype, names, EXPORT))
	mode = gate.mode()
	withheld = [n for n in names if not policy.apply_mode(decisions[n], mode).proceed]
	held = set(withheld)
	monitored = [n for n in names if not decisions[n].allowed and n not in held]
	allowed = [n for n in names if n not in held]
	refuse = bool(withheld) and (grouped or refuse_partial())

	example = (withheld or monitored or [None])[0]
	first = decisions[example] if example else None
	if refuse:
		summary = _("{0} of {1} refused: {2} of {3} rows would be withheld.").format(
			_(action), _(doctype), len(withheld), len(names)
		)
	else:
		summary = _("{0} of {1}: {2} of {3} rows exported, {4} withheld.").format(
			_(action), _(doctype), len(allowed), len(names), len(withheld)
		)
	if monitored:
		summary += " " + _("{0} rows would have been withheld (Monitor mode).").format(len(monitored))
	if withheld:
		listed = ", ".join(withheld[:20]) + (" …" if len(withheld) > 20 else "")
		summary += " " + _("Withheld: {0}.").format(listed)
	if first is not None:
		summary += " " + _("For example: {0}").format(
			explain.explain(first, doctype, example, EXPORT, action)
		)
	client = first.client if first is not None and first.client else (None, None)
	record_export(
		action,
		doctype,
		reference or doctype,
		total=len(names),
		withheld=len(withheld),
		monitored=len(monitored),
		refuse=refuse,
		client=client,
		summary=summary,
		under=gate.disclosures_used(decisions[n] for n in allowed),
	)
	why = ""
	if refuse:
		why = (
			_("Its rows group several records, so single rows cannot be left out.")
			if grouped
			else _("Confidentiality Settings refuse an export that would leave rows out.")
		)
	conclude_export(summary, refuse=refuse, withheld=bool(withheld), why=why)
	return allowed


@frappe.whitelist()
def export_query():
	"""Overrides frappe.desk.reportview.export_query."""
	from frappe.desk import reportview

	doctype = (frappe.local.form_dict or {}).get("doctype")
	if doctype in ombudsman.CASE_DOCTYPES:
		# the Ombudsman Service's records: who exported which is logged, the rows logged are
		# the rows written
		frappe.permissions.can_export(doctype, raise_exception=True)
		names, _grouped = _names(doctype)
		ombudsman.log_export(doctype, names, "Export")
		frappe.local.form_dict["selected_items"] = json.dumps(names or [""])
		return reportview.export_query()
	if not doctype or not gate.active() or not gate.is_protected(doctype):
		return reportview.export_query()
	frappe.permissions.can_export(doctype, raise_exception=True)

	names, grouped = _names(doctype)
	allowed = decide_export(
		doctype, names, "Export", frappe.local.form_dict.get("title") or doctype, grouped=grouped
	)
	# the rows decided are the rows written: one inserted since is not exported
	frappe.local.form_dict["selected_items"] = json.dumps(allowed or [""])
	return reportview.export_query()


def _matching(doctype: str, filters) -> list[str]:
	"""The records `filters` match that the user may read (the rows a file export holds)."""
	return frappe.get_list(
		doctype,
		filters=frappe.parse_json(filters) if isinstance(filters, str) else filters,
		pluck="name",
		limit_page_length=0,
		order_by=None,
	)


@contextmanager
def _writing(doctype: str, filters, action: str):
	"""A file tool writes `doctype`'s records with its own queries: decide the records its
	filters match (one log entry), then limit those queries to the records allowed."""
	allowed = decide_export(doctype, _matching(doctype, filters), action, doctype)
	undo = api_read.exporting(doctype, set(allowed))
	try:
		yield
	finally:
		undo()


def _true(value) -> bool:
	return str(value).strip().lower() in ("1", "true", "yes")


@frappe.whitelist()
def export_data(
	doctype=None,
	parent_doctype=None,
	all_doctypes=True,
	with_data=False,
	select_columns=None,
	file_type="CSV",
	template=False,
	filters=None,
	export_without_column_meta=False,
):
	"""Overrides the Data Export tool's frappe.core.doctype.data_export.exporter.export_data:
	with data, only the records whose clients consented to Export are written."""
	from frappe.core.doctype.data_export import exporter

	args = dict(
		doctype=doctype,
		parent_doctype=parent_doctype,
		all_doctypes=all_doctypes,
		with_data=with_data,
		select_columns=select_columns,
		file_type=file_type,
		template=template,
		filters=filters,
		export_without_column_meta=export_without_column_meta,
	)
	main = doctype[0] if isinstance(doctype, list) else doctype
	main = parent_doctype or main
	if main in ombudsman.CASE_DOCTYPES and _true(with_data):
		frappe.permissions.can_export(main, raise_exception=True)
		ombudsman.log_export(main, _matching(main, filters), "Data Export")
		return exporter.export_data(**args)
	if not main or not _true(with_data) or not gate.active() or not gate.is_protected(main):
		return exporter.export_data(**args)
	with _writing(main, filters, "Data Export"):
		return exporter.export_data(**args)


@frappe.whitelist()
def download_template(doctype, export_fields=None, export_records=None, export_filters=None, file_type="CSV"):
	"""Overrides Data Import's download_template: a template *with data* is an export."""
	from frappe.core.doctype.data_import import data_import

	args = dict(
		doctype=doctype,
		export_fields=export_fields,
		export_records=export_records,
		export_filters=export_filters,
		file_type=file_type,
	)
	if doctype in ombudsman.CASE_DOCTYPES and export_records != "blank_template":
		frappe.permissions.can_export(doctype, raise_exception=True)
		matching = _matching(doctype, export_filters if export_records == "by_filter" else None)
		ombudsman.log_export(doctype, matching, "Data Import template")
		return data_import.download_template(**args)
	if export_records == "blank_template" or not gate.active() or not gate.is_protected(doctype):
		return data_import.download_template(**args)
	with _writing(doctype, export_filters, "Data Import template"):
		return data_import.download_template(**args)


@frappe.whitelist()
def zip_files(files: str):
	"""Overrides frappe.core.api.file.zip_files: files attached to protected records are an
	export of those records; the zip holds only the files whose records' clients consented
	to Export (decided set-based per doctype), the user is told the rest, one log entry."""
	from frappe.core.api import file as file_api

	if not gate.active():
		return file_api.zip_files(files)
	names = frappe.parse_json(files) or []
	rows = frappe.get_all(
		"File",
		filters={"name": ["in", [n for n in names if isinstance(n, str)]]},
		fields=["name", "attached_to_doctype", "attached_to_name"],
	)
	by_doctype: dict[str, list[str]] = {}
	for row in rows:
		if row.attached_to_doctype and row.attached_to_name and gate.is_protected(row.attached_to_doctype):
			by_doctype.setdefault(row.attached_to_doctype, []).append(row.attached_to_name)
	allowed_records: set[tuple[str, str]] = set()
	for doctype, records in by_doctype.items():
		allowed_records.update(
			(doctype, n) for n in decide_export(doctype, records, "File download", "files.zip")
		)
	keep = [
		row.name
		for row in rows
		if row.attached_to_doctype not in by_doctype
		or (row.attached_to_doctype, row.attached_to_name) in allowed_records
	]
	return file_api.zip_files(json.dumps(keep))
