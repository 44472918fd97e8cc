"""Who may act for the office (record or withdraw consent for any client)."""

import frappe

OFFICER = "Confidentiality Officer"
PRACTITIONER = "Practitioner"
OMBUDSMAN = "Ombudsman Officer"
ROLES = (OFFICER, PRACTITIONER, OMBUDSMAN)


def can_act_for_office(user: str | None = None) -> bool:
	user = user or frappe.session.user
	if user == "Administrator" or OFFICER in frappe.get_roles(user):
		return True
	members = frappe.get_cached_doc("Confidentiality Settings").get("office_members") or []
	return any(row.user == user for row in members)
