"""Sites installed before disclosures existed: protect Disclosure Request and
Confidentiality Agreement (each names its client)."""

import frappe

from confidentiality_app.install import add_protected_defaults

NEW_ROWS = {("Disclosure Request", "party"), ("Confidentiality Agreement", "party")}


def execute():
	if not frappe.db.get_single_value("Confidentiality Settings", "defaults_applied"):
		return  # the defaults (these included) are applied by after_migrate
	add_protected_defaults(apps={"confidentiality_app"}, only=NEW_ROWS)
