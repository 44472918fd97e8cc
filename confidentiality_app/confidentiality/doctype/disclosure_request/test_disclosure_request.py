# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt

"""Disclosure Request lifecycle rules (the grounds, scope, letter and client page are
tested in confidentiality_app/tests/test_disclosure.py)."""

import frappe

from confidentiality_app.tests.utils import ConfidentialityTestCase, make_lead


def draft(lead, **kw):
	return frappe.get_doc(
		{
			"doctype": "Disclosure Request",
			"party_type": "Lead",
			"party": lead.name,
			"ground": "Serious Danger",
			"description": "What was said in session",
			"purpose": "Danger to a colleague",
			"recipient_name": "International Regulator of Coaching and Mentoring CIC",
			"authority": "International Regulator of Coaching and Mentoring CIC",
			"channels": [{"channel": "Print"}],
			"evidence": "Recorded threat",
			**kw,
		}
	).insert()


class TestDisclosureRequest(ConfidentialityTestCase):
	def test_a_draft_defaults_to_the_clients_own_record_and_one_use(self):
		lead = make_lead()
		doc = draft(lead)
		self.assertEqual(doc.status, "Draft")
		self.assertEqual(
			[(r.reference_doctype, r.reference_name) for r in doc.records], [("Lead", lead.name)]
		)
		self.assertEqual(doc.max_uses, 1)
		self.assertEqual(doc.requested_by, "Administrator")

	def test_a_record_of_another_client_cannot_be_disclosed(self):
		lead, other = make_lead(), make_lead()
		doc = draft(lead, records=[{"reference_doctype": "Lead", "reference_name": other.name}])
		with self.assertRaisesRegex(frappe.ValidationError, "not a record of client"):
			doc.submit()
		self.assertEqual(frappe.db.get_value("Disclosure Request", doc.name, "docstatus"), 0)

	def test_submitted_it_is_never_deleted_and_edits_are_refused(self):
		lead = make_lead()
		doc = draft(lead)
		doc.submit()
		self.assertEqual(doc.status, "Pending Approval")
		doc.reload()
		doc.valid_until = "2099-01-01"
		with self.assertRaises(frappe.PermissionError):
			doc.save()
		with self.assertRaises((frappe.PermissionError, frappe.ValidationError)):
			frappe.delete_doc("Disclosure Request", doc.name)
		doc.reload()
		doc.cancel()  # revoked: still evidence
		with self.assertRaises(frappe.PermissionError):
			frappe.delete_doc("Disclosure Request", doc.name)
		self.assertEqual(frappe.db.get_value("Disclosure Request", doc.name, "status"), "Revoked")

	def test_the_seeded_regulator_without_an_address_cannot_receive_email(self):
		lead = make_lead()
		doc = draft(lead, channels=[{"channel": "Email"}])
		with self.assertRaisesRegex(frappe.ValidationError, "holds no email address"):
			doc.submit()

	def test_a_decision_cannot_be_carried_in_by_an_insert(self):
		from confidentiality_app import api

		lead = make_lead()
		doc = frappe.get_doc(
			{
				"doctype": "Disclosure Request",
				"party_type": "Lead",
				"party": lead.name,
				"ground": "Serious Danger",
				"description": "Notes",
				"purpose": "Danger",
				"recipient_name": "Regulator",
				"authority": "International Regulator of Coaching and Mentoring CIC",
				"channels": [{"channel": "Print"}],
				"evidence": "Threat",
				"docstatus": 1,
				"status": "Approved",
				"approved_by": "Administrator",
				"approved_on": "2026-01-01 10:00:00",
				"uses": -1000,
				"max_uses": 1,
			}
		).insert()
		self.assertEqual((doc.status, doc.approved_on, doc.uses), ("Pending Approval", None, 0))
		self.assertFalse(api.check("Lead", lead.name, "Print")["allowed"])
