"""API reads: an integration (a request authenticated by API key and secret, or by an
OAuth bearer token) reading protected records is an export by another name (purpose
**Export**). A desk user reading with their own browser session is not, and pays nothing.

Every list read runs a `DatabaseQuery` with the user's permissions: `/api/resource/<dt>`,
`/api/v2/document/<dt>` (both end in `frappe.client.get_list`), `frappe.client.get_list`,
`get_count`, `get_value` (a one-row list), `frappe.desk.reportview.get` / `get_count`,
link search... The query's `permission_query_conditions["*"]` hook limits an integration's
query to the records whose clients consented to Export, decided set-based
(`gate.allowed_rows`: the clients any Export consent covers are the only candidates,
whatever the number of records). A child table of a protected doctype (`Contact Email`,
`Dynamic Link`) is limited through its parent. A single record (`/api/resource/<dt>/<name>`,
`frappe.client.get`, `getdoc`), or a private file attached to one, is decided by
`has_permission["*"]`: refused, it is a 403. Frappe answers Administrator before any
permission hook, so a response that carries a whole protected record (or a private file of
one) to an integration is also decided in `after_request`, on the response itself.

One log entry per request and doctype records the read with its counts (rows returned,
matching rows withheld). In Monitor mode nothing is withheld, and what would have been is
logged.

For everyone, desk users included: a child table of a protected doctype read on its own
(`frappe.client.get_list("Contact Email", parent="Contact")`) returns only the rows of
parents the user can read, and `frappe.client.get_count` of a protected doctype counts only
what the user may read (Frappe counts with no permission query at all).

Not covered: a record shared with an integration user who also reads the doctype through
a role limited by user permissions is returned by Frappe's share condition whatever other
conditions say (shares themselves are gated by consent).
"""

from __future__ import annotations

import frappe
from frappe import _

from confidentiality_app.decision import gate
from confidentiality_app.log import audit
from confidentiality_app.rules import policy

EXPORT = "Export"
CHANNEL = "API"
_SCHEMES = ("token", "bearer", "basic")


def _state() -> dict:
	"""This request's (or job's) memo: created afresh for each request."""
	request = getattr(frappe.local, "request", None)
	memo = getattr(frappe.local, "confidentiality_api", None)
	if memo is None or memo.get("request") is not request:
		header = (request.headers.get("Authorization") or "").strip() if request is not None else ""
		scheme = header.split(" ", 1)[0].lower() if header else ""
		memo = {
			"request": request,
			"integration": request is not None and scheme in _SCHEMES,
			"allowed": {},
			"reads": {},
			"single": {},
		}
		frappe.local.confidentiality_api = memo
	return memo


def integration_request() -> bool:
	"""This request was authenticated by its Authorization header (API key and secret, or
	an OAuth bearer token), not by a desk session cookie."""
	if getattr(frappe.local, "request", None) is None:
		return False
	return _state()["integration"] and getattr(frappe.session, "user", "Guest") not in (None, "Guest")


def exporting(doctype: str, allowed: set[str]):
	"""A file export (Data Export tool, Data Import template with data) of `doctype` is
	being written: its queries see only `allowed` (already decided and logged by the
	caller). Returns the undo."""
	state = _state()
	state["allowed"][doctype] = set(allowed)
	state["exporting"] = doctype

	def undo():
		state.pop("exporting", None)
		state["allowed"].pop(doctype, None)

	return undo


def _limited() -> bool:
	if getattr(frappe.local, "confidentiality_api_counting", False):
		return False
	memo = getattr(frappe.local, "confidentiality_api", None)
	if memo and memo.get("exporting") and memo.get("request") is getattr(frappe.local, "request", None):
		return True
	return integration_request()


def _allowed(doctype: str) -> set[str]:
	memo = _state()["allowed"]
	if doctype not in memo:
		memo[doctype] = gate.allowed_rows(doctype, EXPORT)
	return memo[doctype]


def _names_sql(names) -> str:
	return ", ".join(frappe.db.escape(n, percent=False) for n in sorted(names))


def _protected_parents(child: str) -> list[str]:
	"""Protected doctypes that hold `child` as a child table."""
	key = f"confidentiality_app:child_parents:{child}"
	parents = frappe.cache.get_value(key)
	if parents is None:
		parents = frappe.get_all(
			"DocField",
			filters={"options": child, "fieldtype": ["in", ["Table", "Table MultiSelect"]]},
			pluck="parent",
			distinct=True,
		)
		parents += frappe.get_all(
			"Custom Field",
			filters={"options": child, "fieldtype": ["in", ["Table", "Table MultiSelect"]]},
			pluck="dt",
			distinct=True,
		)
		parents = sorted(set(parents))
		frappe.cache.set_value(key, parents, expires_in_sec=600)
	return [p for p in parents if gate.is_protected(p)]


def query_conditions(user=None, doctype=None) -> str:
	"""permission_query_conditions["*"]: an integration's query of a protected doctype (or
	of a child table of one) sees only the records allowed for Export. Anyone's query of a
	child table of a protected doctype sees only the rows of parents they can read."""
	if not doctype or not gate.active():
		return ""
	if not _limited():
		return _child_rows_of_readable_parents(doctype, user)
	enforce = gate.mode() == policy.ENFORCE  # Monitor mode limits nothing
	if gate.is_protected(doctype):
		allowed = _allowed(doctype)
		if not _state().get("exporting"):
			_state()["reads"].setdefault(doctype, None)
		if not enforce:
			return ""
		if not allowed:
			return "1=0"
		return f"`tab{doctype}`.`name` in ({_names_sql(allowed)})"
	if not frappe.get_meta(doctype).istable:
		return ""
	parents = _protected_parents(doctype)
	if not parents:
		return ""
	for parent in parents:
		_allowed(parent)
		if not _state().get("exporting"):
			_state()["reads"].setdefault(parent, doctype)
	if not enforce:
		return ""
	table = f"`tab{doctype}`"
	parts = [f"{table}.`parenttype` not in ({_names_sql(parents)})"]
	for parent in parents:
		allowed = _allowed(parent)
		if allowed:
			parts.append(
				f"({table}.`parenttype` = {frappe.db.escape(parent, percent=False)} and {table}.`parent` in ({_names_sql(allowed)}))"
			)
	return "(" + " or ".join(parts) + ")"


def _child_rows_of_readable_parents(doctype: str, user: str | None) -> str:
	"""A child table queried on its own (`frappe.client.get_list("Contact Email",
	parent="Contact")`): Frappe checks only that the user may read the parent doctype, which
	the "All" role's read of the Contacts one owns is enough for, and then returns every
	row. Rows of a protected parent are limited to the parents the user's own list query
	returns (roles, user permissions, owner, shares)."""
	user = user or frappe.session.user
	if user == "Administrator" or getattr(frappe.local, "confidentiality_child_query", False):
		return ""
	try:
		if not frappe.get_meta(doctype).istable:
			return ""
	except frappe.DoesNotExistError:
		return ""
	parents = _protected_parents(doctype)
	if not parents:
		return ""
	table = f"`tab{doctype}`"
	parts = [f"{table}.`parenttype` not in ({_names_sql(parents)})"]
	frappe.local.confidentiality_child_query = True
	try:
		for parent in parents:
			try:
				readable = frappe.get_list(
					parent,
					fields=[f"`tab{parent}`.`name`"],
					order_by=None,
					limit_page_length=0,
					user=user,
					run=0,
				)
			except frappe.PermissionError:
				continue  # no read of that parent at all: none of its rows
			parts.append(
				f"({table}.`parenttype` = {frappe.db.escape(parent, percent=False)} and {table}.`parent` in ({readable}))"
			)
	finally:
		frappe.local.confidentiality_child_query = False
	return "(" + " or ".join(parts) + ")"


def has_permission(doc, ptype=None, user=None, debug=False):
	"""has_permission["*"]: an integration reading one protected record needs Export
	consent for it. None (no opinion) for everything else."""
	if ptype not in ("read", "select") or not integration_request() or not gate.active():
		return None
	if doc.doctype == "File" and doc.get("attached_to_doctype") and doc.get("attached_to_name"):
		# a private file of a protected record is that record's data (Frappe lets the
		# file's owner and Administrator have it whatever the record says)
		if not gate.is_protected(doc.attached_to_doctype):
			return None
		if not frappe.db.exists(doc.attached_to_doctype, doc.attached_to_name):
			return False
		doc = frappe.get_doc(doc.attached_to_doctype, doc.attached_to_name)
	if not gate.is_protected(doc.doctype) or not doc.name:
		return None
	single = _state()["single"]
	key = (doc.doctype, doc.name)
	if key not in single:
		verdict = gate.check(
			doc.doctype,
			doc.name,
			EXPORT,
			channel=CHANNEL,
			action="API read",
			doc=doc,
			recipient_label=policy.EVERYONE,
		)
		single[key] = verdict.proceed
	return None if single[key] else False


def _returned(doctype: str) -> int | None:
	"""Rows this response carried, when it is a list read (or a count)."""
	payload = frappe.local.response.get("data", frappe.local.response.get("message"))
	if isinstance(payload, list):
		return len(payload)
	if isinstance(payload, dict) and isinstance(payload.get("values"), list):
		return len(payload["values"])  # frappe.desk.reportview.get (compressed)
	if isinstance(payload, int) and not isinstance(payload, bool):
		return payload  # a count
	return None


def _withheld(doctype: str, through: str | None) -> int | None:
	"""How many records the request's filters match that the Export limit kept out (for
	the log): one query over the request's own query without the limit, counting the
	rows and those allowed. None when it cannot be worked out."""
	form = frappe.local.form_dict or {}
	if through:
		return None
	allowed = _state()["allowed"].get(doctype) or set()
	frappe.local.confidentiality_api_counting = True
	try:
		query = frappe.get_list(
			doctype,
			filters=form.get("filters"),
			or_filters=form.get("or_filters"),
			fields=[f"`tab{doctype}`.`name` as name"],
			order_by=None,
			limit_page_length=0,
			run=0,
		)
		inside = f"t.name in ({_names_sql(allowed)})" if allowed else "0"
		total, permitted = frappe.db.sql(f"SELECT COUNT(*), COALESCE(SUM({inside}), 0) FROM ({query}) t")[0]
		return max(0, int(total) - int(permitted))
	except Exception:
		return None
	finally:
		frappe.local.confidentiality_api_counting = False


def _single_record(payload) -> tuple[str, str] | None:
	"""The protected record a response carries whole (a document, or its dict), if any."""
	from frappe.model.document import Document

	if isinstance(payload, Document):
		if payload.is_new():
			return None  # decided by _new_document
		doctype, name = payload.doctype, payload.name
	elif isinstance(payload, dict):
		if payload.get("__islocal"):
			return None
		doctype, name = payload.get("doctype"), payload.get("name")
	else:
		return None
	if isinstance(doctype, str) and name and gate.is_protected(doctype):
		return doctype, str(name)
	return None


def _private_file_record() -> tuple[str, str] | None:
	"""A private file downloaded (/private/files/..., download_file) that is data of a
	protected record only: that record (one that allows it, else the first). Files with the
	same content share a URL: if any of its attachments is not protected, None."""
	request = frappe.local.request
	path = request.path if request.path.startswith("/private/files/") else None
	if path is None and ((frappe.local.form_dict or {}).get("cmd") or "").endswith("download_file"):
		path = frappe.local.form_dict.get("file_url")
	if not path:
		return None
	rows = frappe.get_all(
		"File", filters={"file_url": path}, fields=["attached_to_doctype", "attached_to_name"]
	)
	records = [(r.attached_to_doctype, r.attached_to_name) for r in rows]
	if not records or any(not (dt and dn and gate.is_protected(dt)) for dt, dn in records):
		return None
	# downloadable when any record it is attached to allows it: that record is decided (and
	# logged) for the response; otherwise the first, refused
	for record in records:
		decision, _parties = gate.evaluate(record[0], record[1], EXPORT, unattended=True)
		if decision.allowed:
			return record
	return records[0]


def _backstop(response) -> None:
	"""A whole protected record on its way to an integration that no decision saw: Frappe
	answers Administrator before any permission hook (`frappe.has_permission` returns True
	first), so /api/resource/<dt>/<name>, frappe.client.get... are decided here, on the
	response itself; refused, the response becomes the refusal."""
	payload = frappe.local.response.get("data", frappe.local.response.get("message"))
	records = [r for r in (_single_record(payload), _private_file_record()) if r]
	# frappe.desk.form.load.getdoc, run_doc_method: documents in response.docs
	for doc in frappe.local.response.get("docs") or []:
		if found := _single_record(doc):
			records.append(found)
	if response is None:
		return
	# a document built from a protected record and not saved (a whitelisted mapper such as
	# ERPNext's make_customer / make_opportunity): decided by the clients it names
	new = _new_document(payload)
	if new is not None:
		record = (new.doctype, new.name or _("new {0}").format(_(new.doctype)))
		if _refuse_record(response, record, {}, doc=new):
			return
	single = _state()["single"]
	for record in dict.fromkeys(records):
		if _refuse_record(response, record, single):
			return


def _new_document(payload):
	"""An unsaved document of a protected doctype in the response, or None."""
	from frappe.model.document import Document

	if isinstance(payload, Document):
		doc = payload
		if not doc.is_new():
			return None
	elif isinstance(payload, dict) and isinstance(payload.get("doctype"), str) and payload.get("__islocal"):
		if not gate.is_protected(payload["doctype"]):
			return None
		try:
			doc = frappe.get_doc(dict(payload))
		except Exception:
			return None
	else:
		return None
	return doc if gate.is_protected(doc.doctype) else None


def _refuse_record(response, record, single, doc=None) -> bool:
	"""Decide one record of the response; refused, the response becomes the refusal (True)."""
	if record not in single:
		verdict = gate.check(
			record[0],
			record[1],
			EXPORT,
			channel=CHANNEL,
			action="API read",
			recipient_label=policy.EVERYONE,
			doc=doc,
		)
		single[record] = verdict.proceed
		message = verdict.message
	else:
		message = _("API read of {0} {1} is refused by confidentiality rules.").format(
			_(record[0]), record[1]
		)
	if single[record]:
		return False
	import json as _json

	request = frappe.local.request
	if request.method in ("POST", "PUT", "PATCH") and 200 <= response.status_code < 300:
		# the integration's own write went through: say so, without the record's data
		key = "data" if "data" in frappe.local.response else "message"
		response.mimetype = "application/json"
		response.set_data(
			_json.dumps({key: {"doctype": record[0], "name": record[1]}, "confidentiality": message})
		)
		return True
	response.status_code = 403
	response.mimetype = "application/json"
	response.set_data(
		_json.dumps(
			{
				"exc_type": "ConfidentialityBlocked",
				"exception": f"confidentiality_app.decision.gate.ConfidentialityBlocked: {message}",
			}
		)
	)
	return True


def after_request(response=None, request=None):
	"""after_request: an integration's response decided (a whole record no hook saw), then
	one log entry per protected doctype it read in bulk."""
	if getattr(frappe.local, "request", None) is None or not gate.active():
		return
	if not integration_request():
		return
	memo = _state()
	try:
		_backstop(response)
	except Exception:
		frappe.log_error(title="Confidentiality: API read decision failed")
		if response is not None:
			response.status_code = 403
			response.set_data(b'{"exc_type": "ConfidentialityBlocked"}')
	if not memo.get("reads"):
		return
	enforce = gate.mode() == policy.ENFORCE
	for doctype, through in memo["reads"].items():
		allowed = memo["allowed"].get(doctype, set())
		withheld = _withheld(doctype, through)
		returned = _returned(doctype)
		what = _("{0} (through {1})").format(_(doctype), _(through)) if through else _(doctype)
		counts = _("{0} rows returned").format(returned if returned is not None else "?")
		if withheld:
			counts += ", " + (
				_("{0} matching rows withheld: their clients have not consented to Export").format(withheld)
				if enforce
				else _("{0} matching rows would have been withheld (Monitor mode)").format(withheld)
			)
		reason = _(
			"API read of {0} by {1}: {2}. Reads are limited to the {3} records whose clients consented to Export."
		).format(what, frappe.session.user, counts, len(allowed))
		outcome = "Allowed" if not withheld else ("Withheld" if enforce else "Monitored")
		try:
			audit.append(
				audit.Entry(
					action="API read",
					channel=CHANNEL,
					decision="Deny" if withheld else "Allow",
					outcome=outcome,
					mode=gate.mode(),
					reference_doctype=doctype,
					reference_name=(request.path if request is not None else doctype)[:140],
					recipient=policy.EVERYONE,
					reason=reason,
					basis=f"returned={returned if returned is not None else '?'} "
					f"withheld={withheld if withheld is not None else '?'} allowed={len(allowed)}",
				)
			)
		except audit.LogUnavailable:
			frappe.log_error(title="Confidentiality: log unavailable")
	memo["reads"] = {}


@frappe.whitelist()
def get_count(doctype, filters=None, debug=False, cache=False):
	"""Overrides frappe.client.get_count, which counts with `frappe.db.count` (no permission
	query at all: anyone could learn whether a client with a given address exists): a count
	of a protected doctype counts only the records the user may read (for an integration,
	through the same Export limit as its list reads)."""
	import frappe.client

	if not gate.active() or not gate.is_protected(doctype):
		return frappe.client.get_count(doctype, filters=filters, debug=debug, cache=cache)
	from frappe.utils import get_safe_filters

	rows = frappe.get_list(
		doctype,
		filters=get_safe_filters(filters),
		fields=[f"count(`tab{doctype}`.`name`) as total"],
		order_by=None,
		limit_page_length=0,
	)
	return rows[0].total if rows else 0
