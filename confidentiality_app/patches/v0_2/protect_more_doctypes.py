"""Sites installed before these defaults existed: protect the doctypes that carry client
data but escaped protection (Prospect, Appointment, Event participants, Frappe CRM notes,
tasks and call logs). Rows already there (or removed on purpose later) are not touched
again: a patch runs once."""

import frappe

from confidentiality_app.install import add_protected_defaults

NEW_ROWS = {
	("Prospect", ""),
	("Prospect", "leads.lead"),
	("Appointment", "party"),
	("Event", "event_participants.reference_docname"),
	("FCRM Note", "reference_docname"),
	("CRM Task", "reference_docname"),
	("CRM Call Log", "reference_docname"),
}


def execute():
	if not frappe.db.get_single_value("Confidentiality Settings", "defaults_applied"):
		return  # the defaults (these included) are applied by after_migrate
	add_protected_defaults(apps=set(frappe.get_installed_apps()), only=NEW_ROWS)
