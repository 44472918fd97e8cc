# Copyright (c) 2026, confidentiality_app contributors
# See license.txt
"""A verification's stored result is written by the job alone."""

import frappe

from confidentiality_app.log import verification
from confidentiality_app.tests.utils import ConfidentialityTestCase


class TestConfidentialityLogVerification(ConfidentialityTestCase):
	def test_a_run_is_stored_and_cannot_be_edited(self):
		name = verification.start(enqueue=False)
		run = frappe.get_doc("Confidentiality Log Verification", name)
		self.assertEqual(run.status, "Passed", run.problems)
		self.assertEqual(run.entries_checked, run.tree_size)
		self.assertGreater(run.entries_checked, 0)
		run.status = "Failed"
		with self.assertRaises(frappe.PermissionError):
			run.save(ignore_permissions=True)
		with self.assertRaises(frappe.PermissionError):
			frappe.delete_doc("Confidentiality Log Verification", name, ignore_permissions=True)
