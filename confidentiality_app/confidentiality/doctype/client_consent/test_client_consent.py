# Copyright (c) 2026, confidentiality_app contributors
# See license.txt
"""Client Consent lifecycle on the real site."""

import frappe
from frappe.utils import add_days, today

from confidentiality_app import api
from confidentiality_app.tests.utils import (
	ConfidentialityTestCase,
	consent,
	evidence_file,
	log_of,
	make_lead,
	make_user,
)


class TestClientConsent(ConfidentialityTestCase):
	def tearDown(self):
		frappe.set_user("Administrator")

	def draft(self, lead, **kw):
		doc = frappe.get_doc(
			{
				"doctype": "Client Consent",
				"party_type": "Lead",
				"party": lead.name,
				"purposes": [{"purpose": "Share"}],
				"evidence_type": "Signed Document",
				**kw,
			}
		)
		return doc

	def test_written_evidence_is_required(self):
		lead = make_lead()
		with self.assertRaises(frappe.ValidationError) as ctx:
			self.draft(lead).insert()
		self.assertIn("signed consent document", str(ctx.exception))
		with self.assertRaises(frappe.ValidationError):
			self.draft(lead, evidence_type="Written Acceptance").insert()
		with self.assertRaises(frappe.ValidationError):
			api.record_consent("Lead", lead.name, ["Share"], "not-a-file-or-communication")
		with self.assertRaises(frappe.ValidationError):
			api.record_consent("Lead", lead.name, ["Share"], "/private/files/never-uploaded.pdf")
		with self.assertRaises(frappe.ValidationError):
			self.draft(lead, evidence_file="/private/files/never-uploaded.pdf").insert()
		self.assertFalse(frappe.db.exists("Client Consent", {"party": lead.name}))

	def test_written_acceptance_by_communication(self):
		lead = make_lead()
		comm = frappe.get_doc(
			{
				"doctype": "Communication",
				"communication_type": "Communication",
				"communication_medium": "Email",
				"sent_or_received": "Received",
				"subject": "Re: consent",
				"content": "Yes, I agree in writing.",
				"sender": lead.email_id,
				"reference_doctype": "Lead",
				"reference_name": lead.name,
			}
		).insert(ignore_permissions=True)
		name = api.record_consent("Lead", lead.name, ["Email"], comm.name)
		doc = frappe.get_doc("Client Consent", name)
		self.assertEqual(
			(doc.evidence_type, doc.evidence_communication, doc.status),
			("Written Acceptance", comm.name, "Active"),
		)

	def test_lifecycle_active_then_withdrawn_keeps_history(self):
		lead = make_lead()
		name = consent("Lead", lead.name, ["Share", "Print"])
		doc = frappe.get_doc("Client Consent", name)
		self.assertEqual((doc.docstatus, doc.status, doc.party_name), (1, "Active", lead.lead_name))
		with self.assertRaises(frappe.ValidationError):
			api.withdraw_consent(name, "  ")
		api.withdraw_consent(name, "Client asked by phone, confirmed by letter")
		doc.reload()
		self.assertEqual((doc.docstatus, doc.status), (2, "Withdrawn"))
		self.assertTrue(doc.withdrawn_on)
		self.assertEqual(doc.withdrawn_by, "Administrator")
		self.assertEqual(doc.withdrawal_reason, "Client asked by phone, confirmed by letter")
		with self.assertRaises(frappe.PermissionError):
			frappe.delete_doc("Client Consent", name)
		self.assertTrue(frappe.db.exists("Client Consent", name))
		actions = [e.action for e in log_of("Client Consent", name)]
		self.assertEqual(actions, ["Withdraw Consent", "Record Consent"])

	def test_cancel_without_reason_is_refused(self):
		lead = make_lead()
		doc = frappe.get_doc("Client Consent", consent("Lead", lead.name))
		with self.assertRaises(frappe.ValidationError) as ctx:
			doc.cancel()
		self.assertIn("Withdraw", str(ctx.exception))
		self.assertEqual(frappe.db.get_value("Client Consent", doc.name, "docstatus"), 1)

	def test_submitted_consent_cannot_be_edited(self):
		lead = make_lead()
		doc = frappe.get_doc("Client Consent", consent("Lead", lead.name))
		doc.valid_until = add_days(today(), 400)
		with self.assertRaises(frappe.UpdateAfterSubmitError):
			doc.save()

	def test_expiry_job(self):
		from confidentiality_app.confidentiality.doctype.client_consent.client_consent import expire_consents

		lead = make_lead()
		lasting = consent("Lead", lead.name, ["Share"], valid_until=today())
		ended = consent("Lead", lead.name, ["Print"], valid_until=today())
		frappe.db.set_value(
			"Client Consent",
			ended,
			{"valid_from": add_days(today(), -5), "valid_until": add_days(today(), -1)},
		)
		expired = expire_consents()
		self.assertIn(ended, expired)
		self.assertNotIn(lasting, expired)
		self.assertEqual(frappe.db.get_value("Client Consent", ended, "status"), "Expired")
		self.assertEqual(frappe.db.get_value("Client Consent", lasting, "status"), "Active")
		self.assertTrue(api.check("Lead", lead.name, "Share")["allowed"])
		result = api.check("Lead", lead.name, "Print")
		self.assertFalse(result["allowed"])
		self.assertEqual(result["code"], "expired")

	def test_valid_until_before_valid_from_is_refused(self):
		lead = make_lead()
		with self.assertRaises(frappe.ValidationError):
			api.record_consent(
				"Lead",
				lead.name,
				["Share"],
				evidence_file("Lead", lead.name),
				valid_until=add_days(today(), -1),
			)

	def test_future_consent_is_not_valid_yet(self):
		lead = make_lead()
		consent("Lead", lead.name, ["Share"], valid_from=add_days(today(), 1))
		self.assertEqual(api.check("Lead", lead.name, "Share")["code"], "not_yet_valid")

	def test_only_client_records_take_consent(self):
		todo = frappe.get_doc({"doctype": "ToDo", "description": "x"}).insert()
		with self.assertRaises(frappe.ValidationError) as ctx:
			api.record_consent("ToDo", todo.name, ["Share"], evidence_file("ToDo", todo.name))
		self.assertIn("not a client record type", str(ctx.exception))

	def test_unknown_purpose_is_refused(self):
		lead = make_lead()
		with self.assertRaises(frappe.ValidationError):
			api.record_consent("Lead", lead.name, ["Gossip"], evidence_file("Lead", lead.name))

	def test_guardian_consent_needs_how_obtained(self):
		lead = make_lead()
		with self.assertRaises(frappe.ValidationError):
			consent("Lead", lead.name, on_behalf_of={"guardian_name": "Parent"})
		name = consent(
			"Lead",
			lead.name,
			on_behalf_of={
				"guardian_name": "Pat Parent",
				"relationship": "Mother",
				"how_obtained": "Signed form in person",
			},
		)
		doc = frappe.get_doc("Client Consent", name)
		self.assertEqual(
			(doc.given_on_behalf, doc.guardian_name, doc.guardian_relationship), (1, "Pat Parent", "Mother")
		)

	def test_practitioner_records_consent_only_for_own_clients(self):
		practitioner = make_user("cf-consent-practitioner@example.com", roles=("Practitioner",))
		lead = make_lead()
		url = evidence_file("Lead", lead.name)
		frappe.set_user(practitioner)
		with self.assertRaises(frappe.PermissionError):
			api.record_consent("Lead", lead.name, ["Share"], url)
		frappe.set_user("Administrator")
		frappe.get_doc("User", practitioner).add_roles("Sales User")
		frappe.set_user(practitioner)
		name = api.record_consent("Lead", lead.name, ["Share"], url)
		self.assertEqual(
			frappe.db.get_value("Client Consent", name, ["owner", "status"]), (practitioner, "Active")
		)

	def test_consent_changes_reach_the_decision_at_once(self):
		"""The cache is invalidated on every change: no stale allow after withdrawal."""
		lead = make_lead()
		self.assertFalse(api.check("Lead", lead.name, "Share")["allowed"])
		name = consent("Lead", lead.name, ["Share"])
		self.assertTrue(api.check("Lead", lead.name, "Share")["allowed"])
		api.withdraw_consent(name, "changed mind")
		result = api.check("Lead", lead.name, "Share")
		self.assertFalse(result["allowed"])
		self.assertEqual(result["code"], "withdrawn")

	def test_consent_events_are_logged_only_when_committed(self):
		lead = make_lead()
		name = consent("Lead", lead.name)
		frappe.db.rollback()  # the request that recorded it failed later on
		self.assertFalse(frappe.db.exists("Client Consent", name))
		self.assertEqual(log_of("Client Consent", name), [])
