# Copyright (c) 2026, confidentiality_app contributors and contributors
# For license information, please see license.txt

# import frappe
from frappe.model.document import Document


class ConfidentialitySettings(Document):
	pass
