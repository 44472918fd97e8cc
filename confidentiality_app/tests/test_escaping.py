"""Records that carried client data but escaped protection: a protected record that names
no client, ERPNext Prospect, Appointment (shared with an agent), Event participants, and
Frappe CRM notes, tasks and call logs."""

import unittest

import frappe
from frappe.utils import add_days, now_datetime, random_string

from confidentiality_app.decision.gate import ConfidentialityBlocked
from confidentiality_app.decision.identity import IdentityChangeRefused
from confidentiality_app.tests.fixtures import (
	ConfidentialityTestCase,
	consent,
	log_of,
	make_customer,
	make_lead,
	make_user,
	set_mode,
	shares_of,
)


def make_address(links=()):
	return frappe.get_doc(
		{
			"doctype": "Address",
			"address_title": f"Addr {random_string(5)}",
			"address_type": "Billing",
			"address_line1": "1 High Street",
			"city": "Leeds",
			"country": frappe.db.get_value("Country", {}) or "United Kingdom",
			"links": [{"link_doctype": dt, "link_name": dn} for dt, dn in links],
		}
	).insert(ignore_permissions=True)


def make_event(participants=(), event_type="Private"):
	return frappe.get_doc(
		{
			"doctype": "Event",
			"subject": f"Coaching session {random_string(5)}",
			"event_type": event_type,
			"starts_on": add_days(now_datetime(), 1),
			"event_participants": [
				{"reference_doctype": dt, "reference_docname": dn} for dt, dn in participants
			],
		}
	).insert(ignore_permissions=True)


class TestUnknownClient(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.coach = make_user("cf-esc-coach@example.com")
		cls.sales = make_user("cf-esc-sales@example.com", roles=("Sales User",))
		set_mode("Enforce")

	def tearDown(self):
		frappe.set_user("Administrator")

	def test_a_protected_record_naming_no_client_is_refused_as_unknown(self):
		address = make_address()
		with self.assertRaises(ConfidentialityBlocked) as ctx:
			frappe.share.add("Address", address.name, self.coach)
		self.assertIn("names no client", str(ctx.exception))
		self.assertEqual(shares_of("Address", address.name), [])
		entry = log_of("Address", address.name)[0]
		self.assertEqual((entry.decision, entry.outcome, entry.basis), ("Deny", "Blocked", "unknown_client"))
		self.assertEqual((entry.client_doctype, entry.client_name), ("", ""))

	def test_linking_an_unlinked_address_to_a_consented_client_is_held_to_the_office(self):
		customer = make_customer()
		consent("Customer", customer.name, ["Share"])
		address = make_address()
		frappe.set_user(self.sales)
		doc = frappe.get_doc("Address", address.name)
		doc.append("links", {"link_doctype": "Customer", "link_name": customer.name})
		with self.assertRaises(IdentityChangeRefused):
			doc.save()
		frappe.set_user("Administrator")
		with self.assertRaises(ConfidentialityBlocked):
			frappe.share.add("Address", address.name, self.coach)

	def test_monitor_mode_records_the_unknown_client_and_lets_it_through(self):
		address = make_address()
		set_mode("Monitor")
		try:
			frappe.share.add("Address", address.name, self.coach)
		finally:
			set_mode("Enforce")
		self.assertEqual(log_of("Address", address.name)[0].outcome, "Monitored")


class TestNewlyProtectedDoctypes(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.coach = make_user("cf-esc-coach@example.com")
		set_mode("Enforce")

	def rows(self):
		return {
			(r.document_type, r.client_field or "", int(r.client_optional or 0))
			for r in frappe.get_single("Confidentiality Settings").protected_doctypes
			if r.enabled
		}

	def test_defaults_protect_prospect_appointment_and_event(self):
		rows = self.rows()
		for row in (
			("Prospect", "", 0),
			("Prospect", "leads.lead", 0),
			("Appointment", "party", 0),
			("Event", "event_participants.reference_docname", 1),
		):
			self.assertIn(row, rows)

	def test_prospect_needs_its_own_and_every_leads_consent(self):
		lead = make_lead()
		prospect = frappe.get_doc(
			{
				"doctype": "Prospect",
				"company_name": f"Prospect {random_string(6)}",
				"leads": [{"lead": lead.name}],
			}
		).insert(ignore_permissions=True)
		consent("Prospect", prospect.name, ["Share"])
		with self.assertRaises(ConfidentialityBlocked) as ctx:
			frappe.share.add("Prospect", prospect.name, self.coach)
		self.assertIn(lead.name, str(ctx.exception))
		consent("Lead", lead.name, ["Share"])
		frappe.share.add("Prospect", prospect.name, self.coach)
		self.assertEqual(len(shares_of("Prospect", prospect.name)), 1)

	def test_an_opportunity_for_a_prospect_follows_the_prospects_consent(self):
		prospect = frappe.get_doc(
			{"doctype": "Prospect", "company_name": f"Prospect {random_string(6)}"}
		).insert(ignore_permissions=True)
		opportunity = frappe.get_doc(
			{"doctype": "Opportunity", "opportunity_from": "Prospect", "party_name": prospect.name}
		).insert(ignore_permissions=True)
		with self.assertRaises(ConfidentialityBlocked):
			frappe.share.add("Opportunity", opportunity.name, self.coach)
		consent("Prospect", prospect.name, ["Share"])
		frappe.share.add("Opportunity", opportunity.name, self.coach)

	def test_an_event_with_a_client_among_its_participants_is_protected(self):
		lead = make_lead()
		event = make_event(participants=[("Lead", lead.name)])
		with self.assertRaises(ConfidentialityBlocked):
			frappe.share.add("Event", event.name, self.coach)
		self.assertEqual(shares_of("Event", event.name), [])
		self.assertEqual((log_of("Event", event.name)[0].client_name), lead.name)

	def test_an_internal_event_is_not_a_client_record(self):
		event = make_event()
		frappe.share.add("Event", event.name, self.coach)
		self.assertEqual(len(shares_of("Event", event.name)), 1)

	def test_removing_the_client_from_an_event_is_held_to_the_office(self):
		lead = make_lead()
		consent("Lead", lead.name, ["Print"])
		event = make_event(participants=[("Lead", lead.name)])
		sales = make_user(f"cf-esc-events-{random_string(4).lower()}@example.com", roles=("Sales User",))
		frappe.db.set_value("Event", event.name, "owner", sales)
		frappe.set_user(sales)
		try:
			doc = frappe.get_doc("Event", event.name)
			doc.event_participants = []
			with self.assertRaises(IdentityChangeRefused):
				doc.save()
		finally:
			frappe.set_user("Administrator")
		self.assertEqual(len(frappe.get_doc("Event", event.name).event_participants), 1)

	def test_appointment_shared_with_an_agent_who_cannot_read_it_needs_consent(self):
		lead = make_lead()
		appointment = frappe.get_doc(
			{
				"doctype": "Appointment",
				"scheduled_time": add_days(now_datetime(), 3),
				"customer_name": "Client",
				"customer_email": lead.email_id,
				"appointment_with": "Lead",
				"party": lead.name,
			}
		)
		appointment.set_new_name()
		appointment.db_insert()  # without after_insert's automatic assignment
		with self.assertRaises(ConfidentialityBlocked):
			appointment.assign_agent(self.coach)
		self.assertEqual(shares_of("Appointment", appointment.name), [])

	def test_appointment_assigned_to_an_agent_who_reads_appointments_creates_no_share(self):
		agent = make_user(f"cf-esc-agent-{random_string(4).lower()}@example.com", roles=("Sales User",))
		lead = make_lead()
		appointment = frappe.get_doc(
			{
				"doctype": "Appointment",
				"scheduled_time": add_days(now_datetime(), 4),
				"customer_name": "Client",
				"customer_email": lead.email_id,
				"appointment_with": "Lead",
				"party": lead.name,
			}
		)
		appointment.set_new_name()
		appointment.db_insert()
		appointment.assign_agent(agent)
		self.assertEqual(shares_of("Appointment", appointment.name), [])
		self.assertTrue(frappe.db.exists("ToDo", {"reference_name": appointment.name, "allocated_to": agent}))


class TestFrappeCRMRecords(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		if "crm" not in frappe.get_installed_apps():
			raise unittest.SkipTest("Frappe CRM is not installed on this site")
		cls.coach = make_user("cf-esc-coach@example.com")
		set_mode("Enforce")

	def crm_lead(self):
		suffix = random_string(6).lower()
		return frappe.get_doc(
			{
				"doctype": "CRM Lead",
				"first_name": "Crm",
				"last_name": suffix,
				"email": f"crm-{suffix}@example.com",
			}
		).insert(ignore_permissions=True)

	def test_notes_tasks_and_call_logs_of_a_crm_lead_need_its_consent(self):
		lead = self.crm_lead()
		note = frappe.get_doc(
			{
				"doctype": "FCRM Note",
				"title": "Session notes",
				"reference_doctype": "CRM Lead",
				"reference_docname": lead.name,
			}
		).insert(ignore_permissions=True)
		task = frappe.get_doc(
			{
				"doctype": "CRM Task",
				"title": "Follow up",
				"reference_doctype": "CRM Lead",
				"reference_docname": lead.name,
			}
		).insert(ignore_permissions=True)
		for doctype, name in (("FCRM Note", note.name), ("CRM Task", task.name)):
			with self.assertRaises(ConfidentialityBlocked):
				frappe.share.add(doctype, name, self.coach)
			self.assertEqual(log_of(doctype, name)[0].client_name, lead.name)
		consent("CRM Lead", lead.name, ["Share"])
		frappe.share.add("FCRM Note", note.name, self.coach)
		self.assertEqual(len(shares_of("FCRM Note", note.name)), 1)
