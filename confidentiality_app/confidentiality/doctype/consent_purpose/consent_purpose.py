# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document


class ConsentPurpose(Document):
	def on_trash(self):
		if self.is_standard:
			frappe.throw(
				_("{0} is a standard purpose that egress channels rely on and cannot be deleted.").format(
					self.name
				)
			)
