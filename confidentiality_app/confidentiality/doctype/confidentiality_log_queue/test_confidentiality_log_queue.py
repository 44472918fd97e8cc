# Copyright (c) 2026, confidentiality_app contributors
# See license.txt
"""Queued entries are as untouchable as sealed ones, and the sealer moves them in order."""

import frappe

from confidentiality_app.log import audit
from confidentiality_app.tests.utils import ConfidentialityTestCase


class TestConfidentialityLogQueue(ConfidentialityTestCase):
	def test_no_one_can_create_change_or_delete_a_queued_entry(self):
		with self.assertRaises(frappe.PermissionError):
			frappe.get_doc({"doctype": "Confidentiality Log Queue", "action": "Forged"}).insert(
				ignore_permissions=True
			)
		audit.append(audit.Entry(action="Queued", channel="Test", outcome="Recorded"), seal=False)
		frappe.db.rollback()  # a read view that sees what the log's own connection committed
		name = frappe.db.get_value("Confidentiality Log Queue", {"action": "Queued"}, order_by="name desc")
		self.assertTrue(name)
		doc = frappe.get_doc("Confidentiality Log Queue", name)
		doc.reason = "changed"
		with self.assertRaises(frappe.PermissionError):
			doc.save(ignore_permissions=True)
		with self.assertRaises(frappe.PermissionError):
			frappe.delete_doc("Confidentiality Log Queue", name, ignore_permissions=True, force=True)
		frappe.db.rollback()  # release the row the refused save locked: the sealer takes it

	def test_sealing_moves_entries_in_the_order_they_were_accepted(self):
		for i in range(5):
			audit.append(audit.Entry(action=f"Ordered {i}", channel="Test", outcome="Recorded"), seal=False)
		audit.seal()
		entries = audit.entries({"channel": "Test"}, fields=["sequence", "action"])
		ordered = [
			e["action"]
			for e in sorted(entries, key=lambda e: e["sequence"])
			if e["action"].startswith("Ordered")
		]
		self.assertEqual(ordered[-5:], [f"Ordered {i}" for i in range(5)])
		self.assertFalse(
			frappe.db.sql(
				"select count(*) from `tabConfidentiality Log Queue` where action like 'Ordered%%'"
			)[0][0]
		)
