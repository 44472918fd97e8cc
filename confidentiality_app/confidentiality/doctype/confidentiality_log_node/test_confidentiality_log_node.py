# Copyright (c) 2026, confidentiality_app contributors
# See license.txt
"""The tree's nodes are as untouchable through the ORM as the entries."""

import frappe

from confidentiality_app.log import audit
from confidentiality_app.tests.utils import ConfidentialityTestCase


class TestConfidentialityLogNode(ConfidentialityTestCase):
	def test_no_one_can_create_change_or_delete_a_node(self):
		with self.assertRaises(frappe.PermissionError):
			frappe.get_doc(
				{
					"doctype": "Confidentiality Log Node",
					"name": "40-0",
					"level": 40,
					"node_index": 0,
					"hash": "0" * 64,
				}
			).insert(ignore_permissions=True)
		audit.append(audit.Entry(action="Node Test", channel="Test", outcome="Recorded"))
		audit.seal()
		frappe.db.rollback()
		doc = frappe.get_doc("Confidentiality Log Node", "0-0")
		doc.hash = "f" * 64
		with self.assertRaises(frappe.PermissionError):
			doc.save(ignore_permissions=True)
		with self.assertRaises(frappe.PermissionError):
			frappe.delete_doc("Confidentiality Log Node", "0-0", ignore_permissions=True, force=True)
		frappe.db.rollback()
		self.assertNotEqual(frappe.db.get_value("Confidentiality Log Node", "0-0", "hash"), "f" * 64)
