"""Global search and link search show a protected record only to a user who can open it.

Frappe's awesome bar (`frappe.utils.global_search.search`) answers from the
`__global_search` index by doctype alone: a user who can read one Lead (a share is enough)
sees the indexed text of every Lead. Link search (`frappe.desk.search.search_link` /
`search_widget`) skips every row condition when the caller sets
`ignore_user_permissions`, and a custom `query` may apply none. Both are replaced
(hooks.py: override_whitelisted_methods): Frappe answers, then the rows of protected
doctypes are kept only when the user's own list query (roles, user permissions, shares and
every app's permission_query_conditions, so an integration's consent for Export too)
returns them: one query per protected doctype in the answer.
"""

from __future__ import annotations

import frappe
from frappe.desk import search as desk_search
from frappe.utils import global_search

from confidentiality_app.decision import gate


def readable(doctype: str, names) -> set[str]:
	names = [n for n in dict.fromkeys(names) if isinstance(n, str) and n]
	if not names:
		return set()
	return set(frappe.get_list(doctype, filters={"name": ["in", names]}, pluck="name", limit_page_length=0))


def _keep(doctype: str, rows, name_of):
	if not rows or not gate.active() or not gate.is_protected(doctype):
		return rows
	allowed = readable(doctype, [name_of(r) for r in rows])
	return [r for r in rows if name_of(r) in allowed]


def _first(row):
	if isinstance(row, dict):
		return row.get("name") or row.get("value")
	if isinstance(row, list | tuple) and row:
		return row[0]
	return None


@frappe.whitelist()
def search(text, start=0, limit=20, doctype=""):
	"""Overrides frappe.utils.global_search.search."""
	results = global_search.search(text, start=start, limit=limit, doctype=doctype)
	if not results or not gate.active():
		return results
	by_doctype: dict[str, list[str]] = {}
	for r in results:
		by_doctype.setdefault(r.doctype, []).append(r.name)
	allowed: dict[str, set[str] | None] = {
		dt: (readable(dt, names) if gate.is_protected(dt) else None) for dt, names in by_doctype.items()
	}
	return [r for r in results if allowed[r.doctype] is None or r.name in allowed[r.doctype]]


@frappe.whitelist()
def search_link(
	doctype: str,
	txt: str,
	query: str | None = None,
	filters=None,
	page_length: int = 10,
	searchfield: str | None = None,
	reference_doctype: str | None = None,
	ignore_user_permissions: bool = False,
):
	"""Overrides frappe.desk.search.search_link (the Link field's dropdown)."""
	results = desk_search.search_link(
		doctype,
		txt,
		query=query,
		filters=filters,
		page_length=page_length,
		searchfield=searchfield,
		reference_doctype=reference_doctype,
		ignore_user_permissions=ignore_user_permissions,
	)
	return _keep(doctype, results, lambda r: r.get("value"))


@frappe.whitelist()
def search_widget(
	doctype: str,
	txt: str,
	query: str | None = None,
	searchfield: str | None = None,
	start: int = 0,
	page_length: int = 10,
	filters=None,
	filter_fields=None,
	as_dict: bool = False,
	reference_doctype: str | None = None,
	ignore_user_permissions: bool = False,
):
	"""Overrides frappe.desk.search.search_widget (the search box, and callers of it)."""
	results = desk_search.search_widget(
		doctype,
		txt,
		query=query,
		searchfield=searchfield,
		start=start,
		page_length=page_length,
		filters=filters,
		filter_fields=filter_fields,
		as_dict=as_dict,
		reference_doctype=reference_doctype,
		ignore_user_permissions=ignore_user_permissions,
	)
	return _keep(doctype, list(results or []), _first)
