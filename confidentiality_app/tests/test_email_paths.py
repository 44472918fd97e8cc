"""The mail paths that reach the Email Queue from elsewhere in Frappe and ERPNext, each
through its real entry point, with the real SMTP server on loopback: Auto Repeat
notifications (run by the scheduler as Administrator), Workflow Action emails, the Event
reminder digest, a Contact's portal invitation, the composer called with an API key, and
mailing lists filled by Data Import. Each asserts what the server received (or did not),
the queue and the log."""

from __future__ import annotations

import frappe
from frappe.utils import now_datetime, random_string, today

from confidentiality_app.tests import mail
from confidentiality_app.tests.fixtures import (
	EmailTestCase,
	consent,
	entries,
	held_for,
	live_site,
	make_lead,
	make_user,
	outsider,
	queue_of,
	quotation_for,
)


def erpnext_installed():
	return "erpnext" in frappe.get_installed_apps()


class TestAutoRepeat(EmailTestCase):
	"""Auto Repeat makes the next Quotation and mails it (with its print) from the daily
	scheduler job, as Administrator: not exempt."""

	def setUp(self):
		super().setUp()
		if not erpnext_installed():
			self.skipTest("ERPNext is not installed on this site")

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		if erpnext_installed():
			cls.live = live_site(cls, host_name=True)  # the print attached to the mail is a real PDF

	def repeat(self, lead, recipients):
		quotation = quotation_for(lead)
		return frappe.get_doc(
			{
				"doctype": "Auto Repeat",
				"reference_doctype": "Quotation",
				"reference_document": quotation.name,
				"frequency": "Daily",
				"start_date": today(),
				"notify_by_email": 1,
				"recipients": ", ".join(recipients),
				"subject": "Your next quotation",
				"message": "Please find it attached.",
			}
		).insert()

	def run_scheduler(self, repeat):
		from frappe.automation.doctype.auto_repeat.auto_repeat import create_repeated_entries

		frappe.set_user("Administrator")
		# today is its day (the daily job picks the repeats due today)
		frappe.db.set_value("Auto Repeat", repeat.name, "next_schedule_date", today())
		create_repeated_entries([frappe.get_doc("Auto Repeat", repeat.name)])
		if frappe.db.get_value("Auto Repeat", repeat.name, "disabled"):  # it failed: say why
			self.fail(frappe.get_last_doc("Error Log").error)
		made = frappe.get_all(
			"Quotation", {"auto_repeat": repeat.name, "name": ("!=", repeat.reference_document)}, pluck="name"
		)
		self.assertEqual(len(made), 1, "Auto Repeat made no new Quotation")
		return made[0]

	def test_the_repeated_quotation_is_held_for_a_third_party_without_consent(self):
		lead, other = make_lead(), outsider()
		made = self.run_scheduler(self.repeat(lead, [other]))
		(row,) = queue_of(reference_name=made)
		self.assertEqual(row.status, "Held")
		(held,) = held_for(row.name)
		self.assertEqual(held.recipients, other)
		mail.flush()
		self.assertEqual(self.sink.count(other), 0)
		(entry,) = entries(other, reference_name=made)
		self.assertEqual((entry["user"], entry["outcome"]), ("Administrator", "Held"))

	def test_with_consent_naming_the_recipient_it_is_sent_once_with_its_print(self):
		lead, other = make_lead(), outsider()
		consent(lead.doctype, lead.name, ["Email"], recipients=[other])
		made = self.run_scheduler(self.repeat(lead, [other]))
		mail.flush()
		mail.flush()
		self.assertEqual(self.sink.count(other), 1)
		import email

		(message,) = self.sink.to(other)
		files = [p.get_filename() for p in email.message_from_bytes(message.data).walk() if p.get_filename()]
		self.assertEqual(files, [f"{made}.pdf"], "the print is not attached")
		(entry,) = entries(other, reference_name=made)
		self.assertEqual(entry["outcome"], "Allowed")


class TestWorkflowAction(EmailTestCase):
	"""A workflow on Lead mails the users who can take the next action. They read Leads by
	role, so the mail goes out; it is still decided and logged as mail about the client.
	The workflow adds a field to Lead (DDL commits), so it is made once and removed after."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		if not erpnext_installed():
			return
		cls.approver = make_user(
			f"cf-approver-{random_string(6).lower()}@example.com", roles=("Sales Manager",)
		)
		for state in ("CF Draft", "CF Approved"):
			if not frappe.db.exists("Workflow State", state):
				frappe.get_doc({"doctype": "Workflow State", "workflow_state_name": state}).insert()
		if not frappe.db.exists("Workflow Action Master", "CF Approve"):
			frappe.get_doc(
				{"doctype": "Workflow Action Master", "workflow_action_name": "CF Approve"}
			).insert()
		cls.workflow = frappe.get_doc(
			{
				"doctype": "Workflow",
				"workflow_name": f"CF Lead approval {random_string(5)}",
				"document_type": "Lead",
				"workflow_state_field": "cf_workflow_state",
				"is_active": 1,
				"send_email_alert": 1,
				"states": [
					{"state": "CF Draft", "doc_status": 0, "allow_edit": "Sales Manager"},
					{"state": "CF Approved", "doc_status": 0, "allow_edit": "Sales Manager"},
				],
				"transitions": [
					{
						"state": "CF Draft",
						"action": "CF Approve",
						"next_state": "CF Approved",
						"allowed": "Sales Manager",
						"allow_self_approval": 1,
					}
				],
			}
		).insert()
		frappe.db.commit()
		cls.addClassCleanup(cls.remove_workflow)
		cls.live = live_site(cls, host_name=True)  # the workflow mail carries the record's print: a real PDF

	@classmethod
	def remove_workflow(cls):
		frappe.db.rollback()
		frappe.set_user("Administrator")
		frappe.delete_doc("Workflow", cls.workflow.name, force=True, ignore_permissions=True)
		frappe.delete_doc("Custom Field", "Lead-cf_workflow_state", force=True, ignore_permissions=True)
		frappe.db.commit()
		frappe.clear_cache(doctype="Lead")

	def setUp(self):
		super().setUp()
		if not erpnext_installed():
			self.skipTest("ERPNext is not installed on this site")

	def test_the_approver_who_reads_leads_is_mailed_and_it_is_logged(self):
		lead = make_lead()
		self.assertEqual(frappe.db.get_value("Lead", lead.name, "cf_workflow_state"), "CF Draft")
		rows = frappe.get_all(
			"Email Queue",
			filters={"reference_doctype": "Lead", "reference_name": lead.name},
			fields=["name", "status"],
		)
		self.assertTrue(rows, "the workflow queued no mail")
		self.assertNotIn("Held", {r.status for r in rows})
		mail.flush()
		self.assertEqual(self.sink.count(self.approver), 1)
		(entry,) = entries(self.approver, reference_name=lead.name)
		self.assertEqual((entry["decision"], entry["outcome"]), ("Allow", "Allowed"))


class TestEventDigest(EmailTestCase):
	"""Frappe v15 sends no invitation to an Event's participants (Google Calendar does, see
	the machine egress issue); the only Event mail is the daily reminder digest to the
	desk users whose calendar holds the event. An event with a client among its
	participants is protected: the digest still reaches the colleague who owns it."""

	def test_the_reminder_digest_of_an_event_with_a_client_reaches_its_colleague_owner(self):
		from frappe.desk.doctype.event.event import send_event_digest

		lead = make_lead()
		owner = make_user(f"cf-cal-{random_string(6).lower()}@example.com", roles=("Sales User",))
		frappe.set_user(owner)
		event = frappe.get_doc(
			{
				"doctype": "Event",
				"subject": f"Coaching session {random_string(5)}",
				"starts_on": now_datetime(),
				"event_type": "Private",
				"send_reminder": 1,
				"event_participants": [{"reference_doctype": "Lead", "reference_docname": lead.name}],
			}
		).insert()
		frappe.set_user("Administrator")
		send_event_digest()
		mail.flush()
		self.assertEqual(self.sink.count(owner), 1)
		self.assertIn(event.subject, self.sink.to(owner)[0].text)
		self.assertEqual(self.sink.count(lead.email_id), 0)


class TestPortalInvite(EmailTestCase):
	"""Inviting a client's Contact to the portal mails the client themself: service mail,
	sent and logged."""

	def test_the_invitation_reaches_the_client_and_is_logged_as_service_mail(self):
		from frappe.contacts.doctype.contact.contact import invite_user

		lead = make_lead()  # ERPNext gives the lead a Contact with its address
		contact = frappe.db.get_value(
			"Dynamic Link",
			{"parenttype": "Contact", "link_doctype": "Lead", "link_name": lead.name},
			"parent",
		)
		self.assertTrue(contact, "ERPNext made no Contact for the Lead")
		user = invite_user(contact)
		self.assertEqual(user, lead.email_id)
		mail.flush()
		self.assertEqual(self.sink.count(lead.email_id), 1)
		allowed = entries(lead.email_id, decision="Allow")
		self.assertTrue(allowed, "the invitation was not decided")
		self.assertIn("client themself", allowed[0]["reason"])


class TestComposerWithAnAPIKey(EmailTestCase):
	"""An integration user calling the composer with an API key is refused like a desk user."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.user = make_user(roles=("Sales User",))
		cls.live = live_site(cls)
		cls.session = cls.live.api_key(cls.user)

	def compose(self, lead, recipient, subject):
		from confidentiality_app.channels import email as email_channel

		return self.session.post(
			f"{self.live.url}/api/method/{email_channel.COMPOSER}",
			data={
				"doctype": lead.doctype,
				"name": lead.name,
				"recipients": recipient,
				"subject": subject,
				"content": "<p>Notes from the session.</p>",
				"send_email": 1,
			},
		)

	def test_refused_without_consent_then_sent_with_it(self):
		lead, other = make_lead(), outsider()
		frappe.db.commit()
		response = self.compose(lead, other, f"Notes {random_string(6)}")
		self.assertEqual(response.status_code, 403, response.text)
		self.assertIn("has no consent for purpose Email", response.text)
		frappe.db.rollback()
		self.assertEqual(queue_of(reference_name=lead.name), [])
		(entry,) = entries(other, reference_name=lead.name)
		self.assertEqual((entry["user"], entry["outcome"]), (self.user, "Blocked"))

		consent(lead.doctype, lead.name, ["Email"], recipients=[other])
		frappe.db.commit()
		response = self.compose(lead, other, f"Notes {random_string(6)}")
		self.assertEqual(response.status_code, 200, response.text)
		frappe.db.rollback()
		mail.flush()
		self.assertEqual(self.sink.count(other), 1)


class TestMailingListDataImport(EmailTestCase):
	"""Data Import of Email Group Members, the bulk way round add_subscribers: the rows of
	clients without Marketing consent fail, with the reason in the import log; the others
	are imported."""

	def test_rows_of_clients_without_marketing_consent_are_not_imported(self):
		consented, refused = make_lead(), make_lead()
		consent(consented.doctype, consented.name, ["Marketing"])
		stranger = f"someone-{random_string(6).lower()}@elsewhere.example"
		group = (
			frappe.get_doc({"doctype": "Email Group", "title": f"CF import {random_string(6)}"})
			.insert(ignore_permissions=True)
			.name
		)
		csv = "Email Group,Email\n" + "".join(
			f"{group},{address}\n" for address in (consented.email_id, refused.email_id, stranger)
		)
		upload = frappe.get_doc(
			{
				"doctype": "File",
				"file_name": f"members-{random_string(5)}.csv",
				"content": csv.encode(),
				"is_private": 1,
			}
		).insert(ignore_permissions=True)
		data_import = frappe.get_doc(
			{
				"doctype": "Data Import",
				"reference_doctype": "Email Group Member",
				"import_type": "Insert New Records",
				"import_file": upload.file_url,
			}
		).insert()
		data_import.start_import()  # runs at once in tests, as the background job would
		members = frappe.get_all("Email Group Member", {"email_group": group}, pluck="email")
		self.assertEqual(sorted(members), sorted([consented.email_id, stranger]))
		failed = frappe.get_all(
			"Data Import Log", {"data_import": data_import.name, "success": 0}, pluck="messages"
		)
		self.assertEqual(len(failed), 1)
		self.assertIn("Marketing", failed[0])
