# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt
"""Confidentiality Log Anchor: a record of one publication of the log's head
(confidentiality_app.log.anchors). Written only by the publisher; read-only for everyone."""

import frappe
from frappe import _
from frappe.model.document import Document


class ConfidentialityLogAnchor(Document):
	def validate(self):
		if not self.is_new():
			frappe.throw(_("A published anchor cannot be changed."), frappe.PermissionError)

	def on_trash(self):
		frappe.throw(_("A published anchor cannot be deleted."), frappe.PermissionError)
