# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt

import frappe

from confidentiality_app.tests.utils import ConfidentialityTestCase


class TestConfidentialityBreach(ConfidentialityTestCase):
	def test_a_breach_is_never_deleted_and_a_valid_reason_names_its_ground(self):
		breach = frappe.get_doc(
			{
				"doctype": "Confidentiality Breach",
				"how_found": "Self-report",
				"what_released": "Session notes",
			}
		).insert()
		with self.assertRaises(frappe.PermissionError):
			frappe.delete_doc("Confidentiality Breach", breach.name)
		self.assertTrue(frappe.db.exists("Confidentiality Breach", breach.name))
		breach.valid_reason = 1
		with self.assertRaisesRegex(frappe.ValidationError, "names the Code's ground"):
			breach.save()
