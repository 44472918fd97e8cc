# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt

"""Ombudsman Case lifecycle rules (intake, evidence, determination, deadlines and sanctions
are tested in confidentiality_app/tests/test_ombudsman.py)."""

import frappe

from confidentiality_app.tests.utils import ConfidentialityTestCase


class TestOmbudsmanCase(ConfidentialityTestCase):
	def test_an_insert_cannot_carry_a_stage_or_a_determination_and_a_case_is_never_deleted(self):
		from confidentiality_app.log import audit

		audit.append(audit.Entry(action="Test release", channel="Test", outcome="Allowed"))
		audit.seal()
		frappe.db.commit()  # the entry is committed on the log's connection: see it
		entry = frappe.get_all(
			"Confidentiality Log", {"channel": "Test"}, pluck="name", order_by="sequence desc"
		)[0]
		case = frappe.get_doc(
			{
				"doctype": "Ombudsman Case",
				"complainant_name": "C",
				"about": "a",
				"description": "b",
				"status": "Closed",
				"breach_of_confidentiality": 1,
				"determined_by": "Administrator",
				"findings": [{"log_entry": entry, "valid_reason": 1, "ground": "Serious Danger"}],
			}
		).insert()
		self.assertEqual(
			(case.status, case.breach_of_confidentiality, case.determined_by), ("Received", 0, None)
		)
		self.assertEqual(case.findings, [])
		self.assertIsNotNone(case.due_on)
		with self.assertRaises(frappe.PermissionError):
			frappe.delete_doc("Ombudsman Case", case.name)
		case.reload()
		case.breach_of_confidentiality = 1
		with self.assertRaises(frappe.PermissionError):
			case.save()
