# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt

from frappe.model.document import Document


class Practitioner(Document):
	pass
