"""Sharing a protected client record, on the real site."""

import frappe
from frappe.desk.form import assign_to
from frappe.utils import add_days, today

from confidentiality_app.decision.gate import ConfidentialityBlocked
from confidentiality_app.tests.fixtures import (
	ConfidentialityTestCase,
	consent,
	log_of,
	make_contact,
	make_customer,
	make_lead,
	make_user,
	set_mode,
	shares_of,
)


class TestShareChannel(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.coach = make_user("cf-share-coach@example.com")
		cls.other = make_user("cf-share-other@example.com")
		set_mode("Enforce")

	def tearDown(self):
		frappe.set_user("Administrator")
		set_mode("Enforce")

	def test_share_without_consent_is_refused_and_logged(self):
		lead = make_lead()
		with self.assertRaises(ConfidentialityBlocked) as ctx:
			frappe.share.add("Lead", lead.name, self.coach)
		message = str(ctx.exception)
		self.assertIn(lead.name, message)
		self.assertIn("no consent for purpose Share", message)
		self.assertIn("Record Consent", message)
		self.assertEqual(shares_of("Lead", lead.name), [])
		entry = log_of("Lead", lead.name)[0]
		self.assertEqual((entry.action, entry.decision, entry.outcome), ("Share", "Deny", "Blocked"))
		self.assertEqual(entry.recipient, self.coach)
		self.assertEqual((entry.client_doctype, entry.client_name), ("Lead", lead.name))
		self.assertEqual(entry.user, "Administrator")

	def test_share_with_consent_is_allowed_and_logged_with_basis(self):
		lead = make_lead()
		name = consent("Lead", lead.name, ["Share"])
		frappe.share.add("Lead", lead.name, self.coach)
		self.assertEqual([s.user for s in shares_of("Lead", lead.name)], [self.coach])
		entry = log_of("Lead", lead.name)[0]
		self.assertEqual((entry.decision, entry.outcome), ("Allow", "Allowed"))
		self.assertEqual(entry.basis, name)

	def test_consent_for_another_purpose_does_not_allow_sharing(self):
		lead = make_lead()
		consent("Lead", lead.name, ["Email", "Print"])
		with self.assertRaises(ConfidentialityBlocked) as ctx:
			frappe.share.add("Lead", lead.name, self.coach)
		self.assertIn("do not include purpose Share", str(ctx.exception))
		self.assertEqual(shares_of("Lead", lead.name), [])

	def test_recipient_limited_consent(self):
		lead = make_lead()
		consent("Lead", lead.name, ["Share"], recipients=[self.coach])
		frappe.share.add("Lead", lead.name, self.coach)
		with self.assertRaises(ConfidentialityBlocked) as ctx:
			frappe.share.add("Lead", lead.name, self.other)
		self.assertIn("does not name", str(ctx.exception))
		self.assertEqual([s.user for s in shares_of("Lead", lead.name)], [self.coach])
		entry = log_of("Lead", lead.name)[0]
		self.assertEqual((entry.outcome, entry.recipient), ("Blocked", self.other))

	def test_everyone_share_needs_an_unlimited_consent(self):
		lead = make_lead()
		consent("Lead", lead.name, ["Share"], recipients=[self.coach])
		with self.assertRaises(ConfidentialityBlocked):
			frappe.share.add("Lead", lead.name, None, everyone=1)
		self.assertEqual(shares_of("Lead", lead.name), [])
		self.assertEqual(log_of("Lead", lead.name)[0].recipient, "*everyone*")

		open_lead = make_lead()
		consent("Lead", open_lead.name, ["Share"])
		frappe.share.add("Lead", open_lead.name, None, everyone=1)
		self.assertEqual([s.everyone for s in shares_of("Lead", open_lead.name)], [1])

	def test_assign_to_cannot_share_without_consent(self):
		"""Assign To shares the document with an assignee who cannot read it."""
		lead = make_lead()
		assignee = make_user("cf-share-assignee@example.com", roles=("Projects User",))
		with self.assertRaises(ConfidentialityBlocked):
			assign_to.add({"assign_to": [assignee], "doctype": "Lead", "name": lead.name})
		self.assertEqual(shares_of("Lead", lead.name), [])
		self.assertEqual(log_of("Lead", lead.name)[0].outcome, "Blocked")

		consented = make_lead()
		consent("Lead", consented.name, ["Share"])
		assign_to.add({"assign_to": [assignee], "doctype": "Lead", "name": consented.name})
		self.assertEqual([s.user for s in shares_of("Lead", consented.name)], [assignee])

	def test_administrator_is_not_exempt(self):
		lead = make_lead()
		self.assertEqual(frappe.session.user, "Administrator")
		with self.assertRaises(ConfidentialityBlocked):
			frappe.share.add_docshare("Lead", lead.name, self.coach, flags={"ignore_share_permission": True})
		self.assertEqual(shares_of("Lead", lead.name), [])

	def test_practitioner_is_refused_too(self):
		lead = make_lead()
		practitioner = make_user("cf-share-practitioner@example.com", roles=("Sales User", "Practitioner"))
		frappe.set_user(practitioner)
		with self.assertRaises(ConfidentialityBlocked):
			frappe.share.add("Lead", lead.name, self.coach)
		frappe.set_user("Administrator")
		self.assertEqual(shares_of("Lead", lead.name), [])
		self.assertEqual(log_of("Lead", lead.name)[0].user, practitioner)

	def test_monitor_mode_lets_the_share_through_and_logs_it(self):
		lead = make_lead()
		set_mode("Monitor")
		frappe.share.add("Lead", lead.name, self.coach)
		self.assertEqual([s.user for s in shares_of("Lead", lead.name)], [self.coach])
		entry = log_of("Lead", lead.name)[0]
		self.assertEqual((entry.decision, entry.outcome, entry.mode), ("Deny", "Monitored", "Monitor"))

	def test_unprotected_doctype_is_not_gated(self):
		todo = frappe.get_doc({"doctype": "ToDo", "description": "not client data"}).insert()
		frappe.share.add("ToDo", todo.name, self.coach)
		self.assertEqual(len(shares_of("ToDo", todo.name)), 1)
		self.assertEqual(log_of("ToDo", todo.name), [])

	def test_withdrawal_removes_existing_shares_and_logs_it(self):
		lead = make_lead()
		name = consent("Lead", lead.name, ["Share"])
		frappe.share.add("Lead", lead.name, self.coach)
		frappe.share.add("Lead", lead.name, self.other)
		self.assertEqual(len(shares_of("Lead", lead.name)), 2)

		frappe.get_attr("confidentiality_app.api.withdraw_consent")(name, "Client withdrew by letter")

		self.assertEqual(shares_of("Lead", lead.name), [])
		revoked = log_of("Lead", lead.name, action="Revoke Share")
		self.assertEqual({e.recipient for e in revoked}, {self.coach, self.other})
		self.assertTrue(all(e.outcome == "Revoked" for e in revoked))
		with self.assertRaises(ConfidentialityBlocked) as ctx:
			frappe.share.add("Lead", lead.name, self.coach)
		self.assertIn("withdrew consent", str(ctx.exception))

	def test_withdrawal_keeps_shares_another_consent_still_allows(self):
		lead = make_lead()
		first = consent("Lead", lead.name, ["Share"])
		consent("Lead", lead.name, ["Share"], recipients=[self.coach])
		frappe.share.add("Lead", lead.name, self.coach)
		frappe.share.add("Lead", lead.name, self.other)
		frappe.get_attr("confidentiality_app.api.withdraw_consent")(first, "Narrowed to one coach")
		self.assertEqual([s.user for s in shares_of("Lead", lead.name)], [self.coach])

	def test_expiry_removes_shares(self):
		from confidentiality_app.confidentiality.doctype.client_consent.client_consent import expire_consents

		lead = make_lead()
		name = consent("Lead", lead.name, ["Share"], valid_until=today())
		frappe.share.add("Lead", lead.name, self.coach)
		# the client's consent ran until yesterday
		frappe.db.set_value(
			"Client Consent",
			name,
			{"valid_from": add_days(today(), -10), "valid_until": add_days(today(), -1)},
		)
		self.assertIn(name, expire_consents())
		self.assertEqual(frappe.db.get_value("Client Consent", name, "status"), "Expired")
		self.assertEqual(shares_of("Lead", lead.name), [])
		self.assertEqual(log_of("Lead", lead.name)[0].action, "Revoke Share")

	def test_ending_the_relationship_never_lifts_protection(self):
		"""Code rule 3: confidentiality holds after the relationship ends."""
		lead = make_lead()
		frappe.db.set_value("Lead", lead.name, "status", "Do Not Contact")
		with self.assertRaises(ConfidentialityBlocked):
			frappe.share.add("Lead", lead.name, self.coach)
		customer = make_customer()
		customer.db_set("disabled", 1)
		with self.assertRaises(ConfidentialityBlocked):
			frappe.share.add("Customer", customer.name, self.coach)
		self.assertEqual(shares_of("Customer", customer.name), [])

	def test_consent_on_lead_covers_converted_customer_and_linked_contact(self):
		lead = make_lead()
		consent("Lead", lead.name, ["Share"])
		customer = make_customer(lead=lead.name)
		contact = make_contact(links=[("Customer", customer.name)])
		frappe.share.add("Customer", customer.name, self.coach)
		frappe.share.add("Contact", contact.name, self.coach)
		self.assertEqual(len(shares_of("Customer", customer.name)), 1)
		self.assertEqual(len(shares_of("Contact", contact.name)), 1)

	def test_consent_of_one_contact_does_not_cover_a_colleague(self):
		customer = make_customer(customer_type="Company")
		alice = make_contact(links=[("Customer", customer.name)])
		bob = make_contact(links=[("Customer", customer.name)])
		consent("Contact", alice.name, ["Share"])
		frappe.share.add("Contact", alice.name, self.coach)
		with self.assertRaises(ConfidentialityBlocked):
			frappe.share.add("Contact", bob.name, self.coach)
		with self.assertRaises(ConfidentialityBlocked):
			frappe.share.add("Customer", customer.name, self.coach)

	def test_document_naming_the_client_is_protected(self):
		lead = make_lead()
		opportunity = frappe.get_doc(
			{"doctype": "Opportunity", "opportunity_from": "Lead", "party_name": lead.name}
		).insert(ignore_permissions=True)
		with self.assertRaises(ConfidentialityBlocked):
			frappe.share.add("Opportunity", opportunity.name, self.coach)
		consent("Lead", lead.name, ["Share"])
		frappe.share.add("Opportunity", opportunity.name, self.coach)
		self.assertEqual(len(shares_of("Opportunity", opportunity.name)), 1)

	def test_sharing_with_the_client_themself_needs_no_consent(self):
		lead = make_lead(email_id="cf-share-self@example.com")
		client_user = make_user("cf-share-self@example.com", roles=(), website=True)
		frappe.share.add("Lead", lead.name, client_user)
		self.assertEqual(len(shares_of("Lead", lead.name)), 1)
		entry = log_of("Lead", lead.name)[0]
		self.assertEqual((entry.outcome, entry.basis), ("Allowed", "to_client"))

	def test_a_colleague_whose_address_is_on_the_record_is_not_the_client(self):
		"""Typing a desk user's address onto a client record does not make them the client."""
		colleague = make_user()  # a new address each run: ERPNext wants a lead's address unique
		lead = make_lead(email_id=colleague)
		with self.assertRaises(ConfidentialityBlocked):
			frappe.share.add("Lead", lead.name, colleague)
		self.assertEqual(shares_of("Lead", lead.name), [])
		entry = log_of("Lead", lead.name)[0]
		self.assertEqual((entry.outcome, entry.recipient, entry.basis), ("Blocked", colleague, "no_consent"))

	def test_consent_record_itself_is_protected(self):
		"""A Client Consent names its client: sharing it needs that client's Share consent."""
		lead = make_lead()
		name = consent("Lead", lead.name, ["Print"])
		with self.assertRaises(ConfidentialityBlocked):
			frappe.share.add("Client Consent", name, self.coach)
		self.assertEqual(shares_of("Client Consent", name), [])

	def test_withdrawal_revokes_shares_of_every_record_the_consent_covered(self):
		lead = make_lead()
		name = consent("Lead", lead.name, ["Share"])
		customer = make_customer(lead=lead.name)
		contact = make_contact(links=[("Customer", customer.name)])
		address = frappe.get_doc(
			{
				"doctype": "Address",
				"address_title": "Home",
				"address_line1": "1 Client Street",
				"city": "Town",
				"country": frappe.db.get_value("Country", {}, "name"),
				"links": [{"link_doctype": "Customer", "link_name": customer.name}],
			}
		).insert(ignore_permissions=True)
		opportunity = frappe.get_doc(
			{"doctype": "Opportunity", "opportunity_from": "Lead", "party_name": lead.name}
		).insert(ignore_permissions=True)
		other = make_lead()
		consent("Lead", other.name, ["Share"])
		records = [
			("Lead", lead.name),
			("Customer", customer.name),
			("Contact", contact.name),
			("Address", address.name),
			("Opportunity", opportunity.name),
		]
		for doctype, docname in [*records, ("Lead", other.name)]:
			frappe.share.add(doctype, docname, self.coach)

		frappe.get_attr("confidentiality_app.api.withdraw_consent")(name, "Client ended the relationship")

		for doctype, docname in records:
			self.assertEqual(shares_of(doctype, docname), [], f"{doctype} {docname} is still shared")
			self.assertEqual(log_of(doctype, docname, action="Revoke Share")[0].outcome, "Revoked")
		self.assertEqual(len(shares_of("Lead", other.name)), 1)

	def test_unchanged_share_is_not_decided_again_but_widening_is(self):
		lead = make_lead()
		name = consent("Lead", lead.name, ["Share"])
		share = frappe.share.add("Lead", lead.name, self.coach)
		before = len(log_of("Lead", lead.name))
		frappe.get_doc("DocShare", share.name).save(ignore_permissions=True)
		self.assertEqual(len(log_of("Lead", lead.name)), before)

		frappe.db.set_value("Client Consent", name, "docstatus", 2)  # consent gone (cache bypassed below)
		frappe.get_attr("confidentiality_app.decision.consents.invalidate")(("Lead", lead.name))
		with self.assertRaises(ConfidentialityBlocked):
			frappe.share.set_permission("Lead", lead.name, self.coach, "write")
		self.assertEqual(frappe.db.get_value("DocShare", share.name, "write"), 0)
