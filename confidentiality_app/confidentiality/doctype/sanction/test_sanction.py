# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt

import frappe

from confidentiality_app.tests.utils import ConfidentialityTestCase, make_lead, make_user


class TestSanction(ConfidentialityTestCase):
	def test_a_suspension_suspends_the_practitioner_until_it_ends(self):
		coach = frappe.get_doc(
			{"doctype": "Practitioner", "practitioner_name": "Coach S", "category": "Mentor"}
		).insert()
		lead = make_lead()
		case = frappe.get_doc(
			{
				"doctype": "Ombudsman Case",
				"complainant_name": "C",
				"about": "a",
				"description": "b",
				"client_type": "Lead",
				"client": lead.name,
				"respondents": [{"practitioner": coach.name}],
			}
		).insert()
		frappe.set_user(make_user(roles=("Ombudsman Officer",)))
		try:
			other = frappe.get_doc(
				{"doctype": "Practitioner", "practitioner_name": "Not A Respondent", "category": "Coach"}
			).insert()
			with self.assertRaisesRegex(frappe.ValidationError, "not a respondent"):
				frappe.get_doc(
					{
						"doctype": "Sanction",
						"sanction_type": "Warning",
						"practitioner": other.name,
						"case": case.name,
					}
				).insert()
			sanction = frappe.get_doc(
				{
					"doctype": "Sanction",
					"sanction_type": "Suspension",
					"practitioner": coach.name,
					"case": case.name,
				}
			).insert()
			self.assertEqual(sanction.review_egress, 1)
			self.assertEqual(frappe.db.get_value("Practitioner", coach.name, "status"), "Suspended")
			sanction.status = "Ended"
			sanction.save()
			self.assertEqual(frappe.db.get_value("Practitioner", coach.name, "status"), "Active")
			with self.assertRaises(frappe.PermissionError):
				frappe.delete_doc("Sanction", sanction.name)
		finally:
			frappe.set_user("Administrator")
