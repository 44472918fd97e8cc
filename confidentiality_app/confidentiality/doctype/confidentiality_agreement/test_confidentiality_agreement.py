# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt

"""Confidentiality Agreement: holds for ever (never edited, never deleted), a new written
agreement supersedes it, and it bounds what a consent can allow (the gate ignores what goes
beyond it)."""

import frappe

from confidentiality_app import api
from confidentiality_app.tests.utils import ConfidentialityTestCase, consent, evidence_file, logged, make_lead


def agreement(lead, purposes=("Email",), recipients=(), **kw):
	return frappe.get_doc(
		{
			"doctype": "Confidentiality Agreement",
			"party_type": "Lead",
			"party": lead.name,
			"boundaries": kw.pop("boundaries", "What my employer may receive: attendance only."),
			"purposes": [{"purpose": p} for p in purposes],
			"recipients": [{"recipient_email": r} for r in recipients],
			"evidence_file": evidence_file("Lead", lead.name),
			**kw,
		}
	).insert()


class TestConfidentialityAgreement(ConfidentialityTestCase):
	def test_it_is_never_edited_nor_deleted_and_is_logged(self):
		lead = make_lead()
		doc = agreement(lead)
		(entry,) = logged(channel="Confidentiality Agreement", reference_name=doc.name)
		self.assertIn("Email", entry["reason"])
		doc.boundaries = "Anything goes."
		with self.assertRaisesRegex(frappe.PermissionError, "never edited"):
			doc.save()
		doc.reload()
		doc.append("purposes", {"purpose": "Marketing"})
		with self.assertRaisesRegex(frappe.PermissionError, "never edited"):
			doc.save()
		with self.assertRaisesRegex(frappe.PermissionError, "never deleted"):
			frappe.delete_doc("Confidentiality Agreement", doc.name)
		self.assertTrue(frappe.db.exists("Confidentiality Agreement", doc.name))

	def test_a_signed_agreement_is_required(self):
		lead = make_lead()
		with self.assertRaisesRegex(frappe.ValidationError, "signed agreement"):
			agreement(lead, evidence_file="/private/files/not-there.pdf")

	def test_a_new_written_agreement_supersedes_the_old_one(self):
		lead = make_lead()
		first = agreement(lead, purposes=("Email",))
		second = agreement(lead, purposes=("Email", "Print"))
		first.reload()
		self.assertEqual((first.status, first.superseded_by), ("Superseded", second.name))
		self.assertEqual((second.status, second.supersedes), ("Current", first.name))
		# the consent now within the new agreement can be recorded and allows the print
		consent("Lead", lead.name, ["Print"])
		self.assertTrue(api.check("Lead", lead.name, "Print")["allowed"])

	def test_a_consent_beyond_it_cannot_be_recorded_and_an_older_one_covers_nothing(self):
		lead = make_lead()
		older = consent("Lead", lead.name, ["Print"])
		self.assertTrue(api.check("Lead", lead.name, "Print")["allowed"])
		agreement(lead, purposes=("Email",))
		result = api.check("Lead", lead.name, "Print")
		self.assertFalse(result["allowed"])
		self.assertEqual(result["code"], "beyond_agreement")
		self.assertIn("PC3 rule 3", result["reason"])
		with self.assertRaisesRegex(frappe.ValidationError, "beyond the Confidentiality Agreement"):
			consent("Lead", lead.name, ["Print"])
		self.assertEqual(frappe.db.get_value("Client Consent", older, "docstatus"), 1)

	def test_only_the_office_widens_an_agreement(self):
		from confidentiality_app.tests.utils import make_user

		lead = make_lead()
		agreement(lead, purposes=("Email",), recipients=("supervisor@school.example",))
		practitioner = make_user(roles=("Practitioner", "Sales User"))
		frappe.set_user(practitioner)
		try:
			with self.assertRaisesRegex(frappe.PermissionError, "only the Confidentiality Office"):
				agreement(lead, purposes=("Email", "Marketing"), recipients=("supervisor@school.example",))
			with self.assertRaisesRegex(frappe.PermissionError, "more recipients"):
				agreement(lead, purposes=("Email",), recipients=("boss@employer.example",))
			# narrowing is the practitioner's to record
			narrower = agreement(lead, purposes=(), recipients=("supervisor@school.example",))
		finally:
			frappe.set_user("Administrator")
		self.assertEqual(frappe.db.get_value("Confidentiality Agreement", narrower.name, "status"), "Current")
