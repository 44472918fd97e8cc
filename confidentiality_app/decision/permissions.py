"""Who may act for the office (record or withdraw consent for any client)."""

import frappe

from confidentiality_app.rules.roles import OFFICER, OMBUDSMAN, PRACTITIONER, ROLES

__all__ = ["OFFICER", "OMBUDSMAN", "PRACTITIONER", "ROLES", "can_act_for_office", "can_read_without_share"]


def can_act_for_office(user: str | None = None) -> bool:
	user = user or frappe.session.user
	if user == "Administrator" or OFFICER in frappe.get_roles(user):
		return True
	members = frappe.get_cached_doc("Confidentiality Settings").get("office_members") or []
	return any(row.user == user for row in members)


def can_read_without_share(doc, user: str) -> bool:
	"""Can `user` read `doc` through their own roles, user permissions and the doctype's
	permission hooks, leaving out what shares give them? (frappe.has_permission falls back
	to shares; get_doc_permissions does not.)"""
	if not user or user == "Guest":
		return False
	if user == "Administrator":
		return True
	enabled = frappe.db.get_value("User", user, "enabled")
	if not enabled:
		return False
	from frappe.permissions import get_doc_permissions

	try:
		return bool(get_doc_permissions(doc, user=user, ptype="read").get("read"))
	except Exception:
		return False  # cannot tell: not "already has access"
