# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt

import frappe
from frappe.tests.utils import FrappeTestCase


class TestHeldEmail(FrappeTestCase):
	"""Lifecycle: written by the rules only, never deleted. Holding, releasing and
	discarding mail are tested through real mail in confidentiality_app.tests.test_email_*."""

	def test_cannot_be_created_by_hand(self):
		doc = frappe.get_doc({"doctype": "Held Email", "subject": "by hand", "status": "Held"})
		with self.assertRaises(frappe.PermissionError):
			doc.insert(ignore_permissions=True)
		self.assertFalse(frappe.db.exists("Held Email", {"subject": "by hand"}))

	def test_is_never_deleted(self):
		from confidentiality_app.confidentiality.doctype.held_email.held_email import WRITER_FLAG

		doc = frappe.get_doc({"doctype": "Held Email", "subject": "kept", "status": "Held"})
		doc.flags[WRITER_FLAG] = True
		doc.insert(ignore_permissions=True)
		with self.assertRaises(frappe.PermissionError):
			frappe.delete_doc("Held Email", doc.name, ignore_permissions=True, force=True)
		self.assertTrue(frappe.db.exists("Held Email", doc.name))
