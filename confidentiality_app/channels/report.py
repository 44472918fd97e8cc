"""Query and script reports: a report's rows leave as a file (Export), as a prepared report's
download, or to an integration (an API client running the report) only for the records
whose clients consented to **Export**.

A report row names records through its Link (and Dynamic Link) columns. Every protected
record a row links to is decided, set-based (`gate.decide_rows` once per linked doctype,
whatever the number of rows); a row that links to any record not allowed is withheld. A
report whose reference doctype is protected but whose rows link to no protected record
(aggregates, free text) cannot leave rows out: it is refused whole when it has rows.

Wired in hooks.py `override_whitelisted_methods`:
- `frappe.desk.query_report.export_query` (the report's Export, CSV / Excel; the same steps
  as Frappe's, with the rows screened before the file is written; the user is told what
  was withheld, one log entry with both counts);
- `frappe.desk.query_report.run` (screened for integrations only: a desk user looking at a
  report in their browser is not exporting it);
- `frappe.core.doctype.prepared_report.prepared_report.download_attachment` (the stored
  result of a prepared report, screened the same way).
"""

from __future__ import annotations

import json

import frappe
from frappe import _

from confidentiality_app.channels import api_read
from confidentiality_app.channels.export import conclude_export, record_export, refuse_partial
from confidentiality_app.decision import explain, gate
from confidentiality_app.log import audit
from confidentiality_app.rules import policy

EXPORT = "Export"
CHANNEL = "Export"


def _protected_columns(columns) -> list[tuple[object, str | None, str | None]]:
	"""[(row key by name, Link doctype or None, Dynamic Link's doctype field)] of the columns
	that name protected records. A row is a dict (keyed by fieldname) or a list (by index):
	each entry is (fieldname, index)."""
	from frappe.desk.query_report import get_column_as_dict

	found = []
	for index, col in enumerate(columns or []):
		col = get_column_as_dict(col)
		fieldtype = (col.get("fieldtype") or "").strip()
		options = (col.get("options") or "").strip()
		if fieldtype == "Link" and options and gate.is_protected(options):
			found.append(((col.fieldname, index), options, None))
		elif fieldtype == "Dynamic Link" and options:
			found.append(((col.fieldname, index), None, options))
	return found


def _value(row, key, columns):
	fieldname, index = key
	if isinstance(row, dict):
		return row.get(fieldname)
	if isinstance(row, list | tuple) and index < len(row):
		return row[index]
	return None


def _dynamic_type(row, field, columns):
	from frappe.desk.query_report import get_column_as_dict

	for index, col in enumerate(columns or []):
		if get_column_as_dict(col).fieldname == field:
			return _value(row, (field, index), columns)
	return row.get(field) if isinstance(row, dict) else None


class Screened:
	def __init__(self, kept, withheld, total, refused_whole, example, client):
		self.kept = kept
		self.withheld = withheld
		self.total = total
		self.refused_whole = refused_whole  # why, or ""
		self.example = example  # (decision, doctype, name) of a withheld row
		self.client = client
		self.monitored = 0
		self.under = ([], "")  # the disclosures rows were released under, and their clauses


# This app's own registers (what was disclosed, to whom, on which ground): the office's
# records of its duty, exported whole by a Confidentiality Officer (logged) or not at all.
REGISTERS = frozenset({"Disclosure Register"})


def _office_register(report) -> bool:
	return (
		report.name in REGISTERS
		and report.is_standard == "Yes"
		and report.module == "Confidentiality"
		and report.report_type == "Script Report"
	)


def screen(report, result: dict, unattended: bool = False) -> Screened | None:
	"""Which rows of a report's result may leave for Export. None when the report touches
	no protected record (nothing to decide, nothing to log). `unattended`: no person makes
	this export for a disclosure's recipient (an integration's run, a scheduled mail), so a
	disclosure is no basis for it."""
	columns = result.get("columns") or []
	rows = list(result.get("result") or [])
	if _office_register(report):
		from confidentiality_app.decision.permissions import can_act_for_office

		count = len([r for r in rows if r])
		if can_act_for_office():
			return Screened(rows, 0, count, "", None, None)
		return Screened(
			[],
			count,
			count,
			_("The {0} is exported only by Confidentiality Officers.").format(_(report.name)),
			None,
			None,
		)
	keys = _protected_columns(columns)
	ref = report.ref_doctype
	real = [r for r in rows if r and not (isinstance(r, dict) and r.get("is_total_row"))]
	if not keys:
		if not (ref and gate.is_protected(ref)):
			return None
		if not real:
			return Screened(rows, 0, 0, "", None, None)
		return Screened(
			[],
			len(real),
			len(real),
			_("Its rows name no {0} record, so single rows cannot be left out.").format(_(ref)),
			None,
			None,
		)

	# every protected record the rows link to, by doctype (set-based below)
	wanted: dict[str, set[str]] = {}
	per_row: list[list[tuple[str, str]]] = []
	for row in rows:
		links = []
		for key, doctype, dynamic in keys:
			name = _value(row, key, columns)
			target = doctype or (_dynamic_type(row, dynamic, columns) if dynamic else None)
			if name and target and gate.is_protected(target):
				links.append((target, str(name)))
				wanted.setdefault(target, set()).add(str(name))
		per_row.append(links)
	if not wanted:
		return None
	decisions = {}
	for doctype, names in wanted.items():
		for name, decision in gate.decide_rows(doctype, names, EXPORT, unattended=unattended).items():
			decisions[(doctype, name)] = decision
	decisions = gate.use_disclosures(decisions)
	current = gate.mode()
	kept, withheld, monitored = [], 0, 0
	example = None
	for row, links in zip(rows, per_row, strict=True):
		refused = [link for link in links if not decisions[link].allowed]
		if refused and example is None:
			example = (decisions[refused[0]], *refused[0])
		if refused and not policy.apply_mode(decisions[refused[0]], current).proceed:
			withheld += 1
			continue
		if refused:
			monitored += 1
		kept.append(row)
	screened = Screened(kept, withheld, len(real), "", example, example[0].client if example else None)
	screened.monitored = monitored
	screened.under = gate.disclosures_used(decisions.values())
	return screened


def _log(report_name: str, screened: Screened, action: str, refuse: bool) -> str:
	"""One entry for the whole report (both counts); returns the summary told to the user."""
	exported = 0 if refuse else screened.total - screened.withheld
	if refuse:
		summary = _("{0} of report {1} refused: {2} of {3} rows would be withheld.").format(
			_(action), report_name, screened.withheld, screened.total
		)
	else:
		summary = _("{0} of report {1}: {2} of {3} rows, {4} withheld.").format(
			_(action), report_name, exported, screened.total, screened.withheld
		)
	if screened.monitored:
		summary += " " + _("{0} rows would have been withheld (Monitor mode).").format(screened.monitored)
	if screened.refused_whole:
		summary += " " + screened.refused_whole
	if screened.example:
		decision, doctype, name = screened.example
		summary += " " + _("For example: {0}").format(
			explain.explain(decision, doctype, name, EXPORT, action)
		)
	record_export(
		action,
		"Report",
		report_name,
		total=screened.total,
		withheld=screened.withheld,
		monitored=screened.monitored,
		refuse=refuse,
		client=screened.client,
		summary=summary,
		under=screened.under,
	)
	return summary


def _decide(report, result: dict, action: str, unattended: bool = False) -> dict:
	"""Screen, log, refuse or keep the allowed rows; returns the result to use."""
	screened = screen(report, result, unattended=unattended)
	if screened is None:
		return result
	refuse = bool(screened.refused_whole) or (screened.withheld > 0 and refuse_partial())
	if screened.refused_whole and gate.mode() != policy.ENFORCE:
		refuse = False
		screened.monitored, screened.withheld = screened.withheld, 0
	summary = _log(report.name, screened, action, refuse)
	conclude_export(
		summary,
		refuse=refuse,
		withheld=bool(screened.withheld),
		title=_("Report refused by confidentiality rules"),
	)
	result = dict(result)
	result["result"] = screened.kept
	return result


@frappe.whitelist()
def export_query():
	"""Overrides frappe.desk.query_report.export_query: Frappe's steps, with the rows
	screened before the file is written."""
	from frappe.desk import query_report
	from frappe.desk.reportview import clean_params, parse_json
	from frappe.desk.utils import get_csv_bytes, pop_csv_params, provide_binary_file

	if not gate.active():
		return query_report.export_query()
	form_params = frappe._dict(frappe.local.form_dict)
	csv_params = pop_csv_params(form_params)
	clean_params(form_params)
	parse_json(form_params)

	report_name = form_params.report_name
	report = query_report.get_report_doc(report_name)
	frappe.permissions.can_export(report.ref_doctype, raise_exception=True)

	file_format_type = form_params.file_format_type
	custom_columns = frappe.parse_json(form_params.custom_columns or "[]")
	visible_idx = form_params.visible_idx
	if isinstance(visible_idx, str):
		visible_idx = json.loads(visible_idx)

	data = query_report.run(
		report_name, form_params.filters, custom_columns=custom_columns, are_default_filters=False
	)
	data = frappe._dict(_decide(report, data, "Report export"))
	data.filters = form_params.applied_filters
	if not data.columns:
		frappe.respond_as_web_page(
			_("No data to export"), _("You can try changing the filters of your report.")
		)
		return

	query_report.format_duration_fields(data)
	xlsx_data, column_widths = query_report.build_xlsx_data(
		data, visible_idx, form_params.include_indentation, include_filters=form_params.include_filters
	)
	if file_format_type == "CSV":
		content = get_csv_bytes(xlsx_data, csv_params)
		file_extension = "csv"
	else:
		from frappe.utils.xlsxutils import make_xlsx

		file_extension = "xlsx"
		content = make_xlsx(xlsx_data, "Query Report", column_widths=column_widths).getvalue()
	provide_binary_file(report_name, file_extension, content)


@frappe.whitelist()
@frappe.read_only()
def run(
	report_name,
	filters=None,
	user=None,
	ignore_prepared_report=False,
	custom_columns=None,
	is_tree=False,
	parent_field=None,
	are_default_filters=True,
):
	"""Overrides frappe.desk.query_report.run: an integration running a report gets only
	the rows it may export; a desk user's run is Frappe's."""
	from frappe.desk import query_report

	result = query_report.run(
		report_name,
		filters=filters,
		user=user,
		ignore_prepared_report=ignore_prepared_report,
		custom_columns=custom_columns,
		is_tree=is_tree,
		parent_field=parent_field,
		are_default_filters=are_default_filters,
	)
	if not gate.active() or not api_read.integration_request() or not isinstance(result, dict):
		return result
	if "result" not in result:
		return result  # a prepared report still queued: no rows yet
	return _decide(query_report.get_report_doc(report_name), result, "API report run", unattended=True)


@frappe.whitelist()
def download_attachment(dn):
	"""Overrides prepared_report.download_attachment: the stored result, screened."""
	from frappe.core.doctype.prepared_report import prepared_report
	from frappe.desk import query_report

	if not gate.active():
		return prepared_report.download_attachment(dn)
	pr = frappe.get_doc("Prepared Report", dn)
	if not pr.has_permission("read"):
		frappe.throw(_("Cannot Download Report due to insufficient permissions"))
	data, file_name = pr.get_prepared_data(with_file_name=True)
	result = json.loads(data)
	decided = _decide(query_report.get_report_doc(pr.report_name), result, "Prepared report download")
	frappe.local.response.filename = file_name[:-3]
	frappe.local.response.filecontent = json.dumps(decided, default=str).encode()
	frappe.local.response.type = "binary"


def raw_prepared_report(response=None, request=None) -> None:
	"""A prepared report's stored result fetched by its file URL would skip the screening
	of its rows (`report.download_attachment` screens them; Frappe's desk uses that, never
	the URL): refused for everyone, Administrator included, and logged."""
	request = getattr(frappe.local, "request", None)
	if request is None or not gate.active() or getattr(frappe.session, "user", "Guest") in (None, "Guest"):
		return
	path = request.path if request.path.startswith("/private/files/") else None
	if path is None and ((frappe.local.form_dict or {}).get("cmd") or "").endswith("download_file"):
		path = frappe.local.form_dict.get("file_url")
	if not path or response is None or response.status_code >= 400:
		return
	try:
		reports = frappe.get_all(
			"File",
			filters={"file_url": path, "attached_to_doctype": "Prepared Report"},
			pluck="attached_to_name",
		)
	except Exception:
		frappe.log_error(title="Confidentiality: prepared report check failed")
		reports = ["?"]
	if not reports:
		return
	message = _(
		"A prepared report's result is downloaded with its Download button, which leaves out the rows of clients who have not consented to Export; its file cannot be fetched directly."
	)
	try:
		audit.append(
			audit.Entry(
				action="Prepared report file",
				channel="Export",
				decision="Deny",
				outcome="Blocked",
				mode=gate.mode(),
				reference_doctype="Prepared Report",
				reference_name=reports[0],
				recipient=policy.EVERYONE,
				reason=message,
				basis="raw file URL",
			)
		)
	except audit.LogUnavailable:
		frappe.log_error(title="Confidentiality: log unavailable")
	import json as _json

	response.status_code = 403
	response.mimetype = "application/json"
	response.set_data(_json.dumps({"exc_type": "ConfidentialityBlocked", "exception": message}))


# --------------------------------------------------------------------------- Auto Email Report
# An Auto Email Report mails a report's rows (HTML table, XLSX or CSV) on a schedule or by
# "Send Now": the rows are screened as an export is, before the file or table is made.
from frappe.core.doctype.report.report import Report  # noqa: E402
from frappe.email.doctype.auto_email_report.auto_email_report import AutoEmailReport  # noqa: E402


class GatedReport(Report):
	"""hooks.py override_doctype_class["Report"]: Frappe's Report; while an Auto Email
	Report is being made, its rows are screened."""

	def get_data(self, *args, **kwargs):
		columns, result = super().get_data(*args, **kwargs)
		mailing = getattr(frappe.local, "confidentiality_auto_email_report", None)
		if not mailing or not gate.active():
			return columns, result
		decided = _decide(self, {"columns": columns, "result": result}, "Auto Email Report", unattended=True)
		return columns, decided["result"]


class GatedAutoEmailReport(AutoEmailReport):
	"""hooks.py override_doctype_class["Auto Email Report"]: the report's rows are screened
	for Export before they are mailed (scheduler, Send Now, download)."""

	def get_report_content(self):
		frappe.local.confidentiality_auto_email_report = self.name
		try:
			return super().get_report_content()
		finally:
			frappe.local.confidentiality_auto_email_report = None
