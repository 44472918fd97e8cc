"""Machine egress on the real site: webhooks (a real HTTP receiver on loopback, the job run
as a worker runs it), SMS (a real HTTP gateway on loopback), files attached to client
records, global and link search, Google sync."""

from __future__ import annotations

import json

import frappe
from frappe.utils import random_string
from frappe.utils.background_jobs import get_queue

from confidentiality_app import api
from confidentiality_app.channels import webhook as webhook_channel
from confidentiality_app.decision import gate
from confidentiality_app.tests.fixtures import (
	ConfidentialityTestCase,
	call_method,
	commit_and_queue,
	consent,
	fresh_webhook_queue,
	http_receiver,
	logged,
	make_contact,
	make_lead,
	make_user,
	number,
	run_webhook_jobs,
	same_person,
	set_mode,
	sms_gateway,
)


class TestWebhooks(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.receiver = http_receiver(cls)

	def setUp(self):
		super().setUp()
		set_mode("Enforce")
		self.receiver.clear()
		self.made: list[tuple[str, str]] = []
		fresh_webhook_queue()

	def tearDown(self):
		frappe.db.rollback()
		frappe.set_user("Administrator")
		# the leads stay (their consents' evidence cannot be deleted); the rules go
		for doctype, name in reversed(self.made):
			if doctype != "Lead":
				frappe.delete_doc(doctype, name, force=True, ignore_permissions=True)
		frappe.db.commit()
		frappe.cache.delete_value("webhooks")
		super().tearDown()

	def webhook(self, doctype="Lead", basis="The office's CRM mirror, under contract", url=None):
		doc = frappe.get_doc(
			{
				"doctype": "Webhook",
				"__newname": f"CF hook {random_string(6)}",
				"webhook_doctype": doctype,
				"webhook_docevent": "after_insert",
				"request_url": url or f"{self.receiver.url}/hook",
				"request_method": "POST",
				"request_structure": "Form URL-Encoded",
				"webhook_data": [
					{"fieldname": "name", "key": "name"},
					{"fieldname": "email_id" if doctype == "Lead" else "description", "key": "detail"},
				],
				webhook_channel.BASIS_FIELD: basis,
			}
		)
		doc.insert(ignore_permissions=True)
		self.made.append(("Webhook", doc.name))
		return doc

	def test_a_webhook_on_a_protected_doctype_needs_a_basis_and_an_officer(self):
		with self.assertRaises(gate.ConfidentialityBlocked):
			self.webhook(basis="")
		self.assertTrue(logged(action="Configure Webhook", decision="Deny", channel="Webhook"))

		manager = make_user(roles=("System Manager",))
		frappe.set_user(manager)
		with self.assertRaises(gate.ConfidentialityBlocked) as refused:
			self.webhook()
		self.assertIn("Confidentiality Officer", str(refused.exception))
		frappe.set_user("Administrator")

		hook = self.webhook()
		allowed = logged(action="Configure Webhook", reference_name=hook.name, decision="Allow")
		self.assertEqual(len(allowed), 1)
		self.assertIn("under contract", allowed[0].reason)
		# an unprotected doctype needs nothing
		self.webhook(doctype="ToDo", basis="")

	def test_the_receiver_gets_only_records_whose_clients_consented(self):
		hook = self.webhook()
		receiver = webhook_channel.receiver(self.receiver.url)
		leads = {
			state: make_lead(last_name=f"Hook {state} {random_string(4)}")
			for state in (
				"none",
				"other receiver",
				"named",
				"anyone",
				"withdrawn after the save",
			)
		}
		consent(
			"Lead", leads["other receiver"].name, ["Export"], recipients=["webhook:https://other.example"]
		)
		consent("Lead", leads["named"].name, ["Export"], recipients=[receiver])
		consent("Lead", leads["anyone"].name, ["Export"])
		later = consent("Lead", leads["withdrawn after the save"].name, ["Export"])
		self.made += [("Lead", lead.name) for lead in leads.values()]
		commit_and_queue()
		api.withdraw_consent(later, "changed my mind before the post")
		frappe.db.commit()

		self.assertEqual(run_webhook_jobs(hook.name), 5)

		text = self.receiver.text()
		for state in ("named", "anyone"):
			self.assertIn(leads[state].name, text, state)
		for state in ("none", "other receiver", "withdrawn after the save"):
			self.assertNotIn(leads[state].name, text, state)
			self.assertNotIn(leads[state].email_id, text, state)
			entries = logged(reference_name=leads[state].name, action="Send by webhook")
			self.assertEqual([e.decision for e in entries], ["Deny"], state)
			self.assertEqual(entries[0].recipient, receiver)
			# Frappe's own request log records the refusal, without the record's data
			log = frappe.get_all(
				"Webhook Request Log",
				filters={"webhook": hook.name, "reference_document": leads[state].name},
				fields=["data", "error"],
			)
			self.assertEqual(len(log), 1, state)
			self.assertFalse(log[0].data)
			self.assertIn("WebhookRefused", log[0].error)
		for state in ("named", "anyone"):
			entries = logged(reference_name=leads[state].name, action="Send by webhook")
			self.assertEqual([e.decision for e in entries], ["Allow"], state)
		self.assertEqual(len(self.receiver.received), 2)

	def test_the_scheduler_as_administrator_is_not_exempt(self):
		hook = self.webhook()
		lead = make_lead()
		self.made.append(("Lead", lead.name))
		commit_and_queue()
		queue = get_queue("default")
		for job in queue.jobs:
			if (job.kwargs or {}).get("method") == webhook_channel.JOB:
				self.assertEqual(job.kwargs.get("user"), "Administrator")
		self.assertEqual(run_webhook_jobs(hook.name), 1)
		self.assertEqual(self.receiver.received, [])
		self.assertTrue(logged(reference_name=lead.name, action="Send by webhook", decision="Deny"))

	def test_an_unprotected_doctype_posts_as_before(self):
		hook = self.webhook(doctype="ToDo", basis="")
		todo = frappe.get_doc({"doctype": "ToDo", "description": f"call back {random_string(6)}"}).insert()
		self.made.append(("ToDo", todo.name))
		commit_and_queue()
		self.assertEqual(run_webhook_jobs(hook.name), 1)
		self.assertIn(todo.name, self.receiver.text())


class TestSMS(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.gateway = sms_gateway(cls)

	def setUp(self):
		super().setUp()
		set_mode("Enforce")
		self.gateway.clear()

	def sent_to(self) -> list[str]:
		return [n for r in self.gateway.received for n in r["query"].get("to", [])]

	def sms(self, receivers, message, user=None):
		return call_method(
			"frappe.core.doctype.sms_settings.sms_settings.send_sms",
			user=user,
			http_method="POST",
			receiver_list=json.dumps(receivers),
			msg=message,
		)

	def test_a_message_about_a_client_to_someone_else_needs_consent_for_sms(self):
		lead = make_lead(mobile_no=number())
		outsider = number()
		spaced = f"{outsider[:3]} {outsider[3:7]} {outsider[7:]}"
		with self.assertRaises(gate.ConfidentialityBlocked):
			self.sms([spaced], f"Notes about {lead.email_id}: sessions going well")
		self.assertEqual(self.gateway.received, [])
		entry = logged(action="Send SMS", decision="Deny")
		self.assertEqual(len(entry), 1)
		self.assertEqual(entry[0].channel, "SMS")
		self.assertIn(entry[0].client_name, same_person(lead))
		self.assertEqual(entry[0].recipient, f"tel:{outsider}")

		consent("Lead", lead.name, ["SMS"], recipients=[f"tel:{spaced}"])
		self.sms([spaced], f"Notes about {lead.email_id}: sessions going well")
		self.assertEqual(self.sent_to(), [outsider])
		self.assertEqual(len(logged(action="Send SMS", decision="Allow")), 1)

	def test_a_message_to_the_clients_own_number_about_them_needs_no_consent(self):
		own = number()
		lead = make_lead(mobile_no=f"{own[:6]}-{own[6:]}")
		self.sms([f"{own[:6]} {own[6:]}"], "Your session is moved to Tuesday")
		self.assertEqual(self.sent_to(), [own])
		entries = [e for e in logged(action="Send SMS") if e.client_name in same_person(lead)]
		self.assertEqual([e.decision for e in entries], ["Allow"])

	def test_another_clients_number_in_the_text_is_about_that_client(self):
		first = make_lead(mobile_no=number())
		second = make_lead(mobile_no=number())
		with self.assertRaises(gate.ConfidentialityBlocked):
			self.sms([first.mobile_no], f"Please call your colleague on {second.mobile_no}")
		self.assertEqual(self.gateway.received, [])
		(entry,) = logged(action="Send SMS", decision="Deny")
		self.assertIn(entry.client_name, same_person(second))

	def test_a_message_about_nobody_goes_out_unlogged(self):
		self.sms(["+15550000001"], "Office closed on Monday")
		self.assertEqual(self.sent_to(), ["+15550000001"])
		self.assertEqual(logged(action="Send SMS"), [])

	def test_a_notifications_sms_channel_is_decided(self):
		role = f"CF SMS Watcher {random_string(5)}"
		if not frappe.db.exists("Role", role):
			frappe.get_doc({"doctype": "Role", "role_name": role, "desk_access": 1}).insert(
				ignore_permissions=True
			)
		notification = frappe.get_doc(
			{
				"doctype": "Notification",
				"name": f"CF SMS {random_string(5)}",
				"subject": "New lead",
				"document_type": "Lead",
				"event": "New",
				"channel": "SMS",
				"message": "New lead {{ doc.lead_name }} {{ doc.email_id }}",
				"recipients": [{"receiver_by_document_field": "mobile_no"}],
			}
		).insert(ignore_permissions=True)
		try:
			# to the client's own number
			lead = make_lead(mobile_no=number())
			self.assertEqual(self.sent_to(), [lead.mobile_no])
			self.assertTrue(logged(action="Notification SMS", reference_name=lead.name, decision="Allow"))

			# to a colleague who reads Leads: as a mail to them would be
			colleague = make_user(roles=("Sales Manager", role))
			colleague_number = number()
			frappe.db.set_value("User", colleague, "mobile_no", colleague_number)
			notification.recipients = []
			notification.append("recipients", {"receiver_by_role": role})
			notification.save(ignore_permissions=True)
			self.gateway.clear()
			second = make_lead(mobile_no=number())
			self.assertEqual(self.sent_to(), [colleague_number])
			self.assertTrue(logged(action="Notification SMS", reference_name=second.name, decision="Allow"))

			# to someone holding the role who cannot read the client's record
			outsider = make_user(roles=("Blogger", role))
			frappe.db.set_value("User", outsider, "mobile_no", number())
			self.gateway.clear()
			third = make_lead(mobile_no=number())
			self.assertEqual(self.gateway.received, [])
			self.assertTrue(logged(action="Notification SMS", reference_name=third.name, decision="Deny"))
		finally:
			frappe.delete_doc("Notification", notification.name, force=True, ignore_permissions=True)

	def test_sms_center_sends_only_to_clients_who_consented_to_marketing(self):
		if "erpnext" not in frappe.get_installed_apps():
			self.skipTest("ERPNext's SMS Center")
		yes = make_lead(mobile_no=number())
		no = make_lead(mobile_no=number())
		stranger = number()
		consent("Lead", yes.name, ["Marketing"])
		center = frappe.get_doc("SMS Center")
		center.message = "Our spring programme is open"
		center.receiver_list = "\n".join([yes.mobile_no, no.mobile_no, stranger])
		call_method(
			"run_doc_method",
			http_method="POST",
			docs=frappe.as_json(center.as_dict()),
			method="send_sms",
		)
		self.assertEqual(sorted(self.sent_to()), sorted([stranger, yes.mobile_no]))
		(refused,) = logged(action="SMS Center", decision="Deny")
		self.assertIn(refused.client_name, same_person(no))
		(allowed,) = logged(action="SMS Center", decision="Allow")
		self.assertIn(allowed.client_name, same_person(yes))


class TestFiles(ConfidentialityTestCase):
	def setUp(self):
		super().setUp()
		set_mode("Enforce")

	def file(self, content: bytes, **kw):
		return frappe.get_doc(
			{"doctype": "File", "file_name": f"notes-{random_string(6)}.txt", "content": content, **kw}
		).insert(ignore_permissions=True)

	def test_a_file_attached_to_a_client_record_is_private_whatever_was_asked(self):
		lead = make_lead()
		doc = self.file(
			b"session notes " + random_string(8).encode(),
			attached_to_doctype="Lead",
			attached_to_name=lead.name,
			is_private=0,
		)
		self.assertEqual(doc.is_private, 1)
		self.assertTrue(doc.file_url.startswith("/private/files/"))
		# an unprotected record's file is as asked
		todo = frappe.get_doc({"doctype": "ToDo", "description": "x"}).insert()
		public = self.file(
			b"agenda " + random_string(8).encode(),
			attached_to_doctype="ToDo",
			attached_to_name=todo.name,
			is_private=0,
		)
		self.assertEqual(public.is_private, 0)

	def test_a_public_file_attached_by_its_address_becomes_a_private_copy(self):
		lead = make_lead()
		public = self.file(b"brochure " + random_string(8).encode(), is_private=0)
		self.assertTrue(public.file_url.startswith("/files/"))
		attached = frappe.get_doc(
			{
				"doctype": "File",
				"file_url": public.file_url,
				"attached_to_doctype": "Lead",
				"attached_to_name": lead.name,
			}
		).insert(ignore_permissions=True)
		self.assertEqual(attached.is_private, 1)
		self.assertTrue(attached.file_url.startswith("/private/files/"))
		self.assertEqual(frappe.safe_decode(attached.get_content()), frappe.safe_decode(public.get_content()))
		# the public original is untouched
		self.assertEqual(frappe.db.get_value("File", public.name, "is_private"), 0)

	def test_making_a_client_records_file_public_is_refused_and_logged(self):
		lead = make_lead()
		doc = self.file(
			b"assessment " + random_string(8).encode(), attached_to_doctype="Lead", attached_to_name=lead.name
		)
		doc.is_private = 0
		with self.assertRaises(gate.ConfidentialityBlocked):
			doc.save(ignore_permissions=True)
		self.assertEqual(frappe.db.get_value("File", doc.name, "is_private"), 1)
		entries = logged(action="Make file public", reference_name=lead.name)
		self.assertEqual([e.decision for e in entries], ["Deny"])

		# moving a public file onto a client's record is refused the same way
		todo = frappe.get_doc({"doctype": "ToDo", "description": "x"}).insert()
		public = self.file(
			b"flyer " + random_string(8).encode(), attached_to_doctype="ToDo", attached_to_name=todo.name
		)
		public.attached_to_doctype, public.attached_to_name = "Lead", lead.name
		with self.assertRaises(gate.ConfidentialityBlocked):
			public.save(ignore_permissions=True)

	def test_an_upload_asking_for_a_public_file_over_http_is_stored_private(self):
		from confidentiality_app.tests.fixtures import LiveSite

		lead = make_lead()
		frappe.db.commit()
		live = LiveSite()
		try:
			session = live.login("Administrator", frappe.conf.get("admin_password") or "admin")
			content = b"intake form " + random_string(8).encode()
			response = session.post(
				f"{live.url}/api/method/upload_file",
				data={"is_private": "0", "doctype": "Lead", "docname": lead.name},
				files={"file": ("intake.txt", content, "text/plain")},
			)
			self.assertEqual(response.status_code, 200, response.text)
			url = response.json()["message"]["file_url"]
			self.assertTrue(url.startswith("/private/files/"), url)
			# not served without a login
			self.assertIn(live.guest().get(f"{live.url}{url}").status_code, (403, 404))
			self.assertEqual(live.guest().get(f"{live.url}{url.replace('/private', '')}").status_code, 404)
		finally:
			live.stop()
			frappe.db.delete("File", {"attached_to_doctype": "Lead", "attached_to_name": lead.name})
			frappe.delete_doc("Lead", lead.name, force=True, ignore_permissions=True)
			frappe.db.commit()


class TestSearch(ConfidentialityTestCase):
	def setUp(self):
		super().setUp()
		set_mode("Enforce")
		self.token = f"Zq{random_string(8).lower()}"
		self.mine = make_lead(first_name=self.token, last_name="Mine")
		self.theirs = make_lead(first_name=self.token, last_name="Theirs")
		# the search index is MyISAM (outside the transaction): the records are committed
		frappe.db.commit()

	def tearDown(self):
		frappe.db.rollback()
		frappe.set_user("Administrator")
		for lead in (self.mine, self.theirs):
			frappe.db.delete("DocShare", {"share_doctype": "Lead", "share_name": lead.name})
			frappe.delete_doc("Lead", lead.name, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDown()

	def test_global_search_shows_only_records_the_user_can_open(self):
		from frappe.utils.global_search import sync_global_search

		if "Lead" not in frappe.get_all("Global Search DocType", pluck="document_type"):
			settings = frappe.get_single("Global Search Settings")
			settings.append("allowed_in_global_search", {"document_type": "Lead"})
			settings.save(ignore_permissions=True)
		sync_global_search()
		user = make_user()
		consent("Lead", self.mine.name, ["Share"], recipients=[user])
		frappe.share.add("Lead", self.mine.name, user, read=1)
		found = call_method("frappe.utils.global_search.search", user=user, text=self.token)
		names = {r.name for r in found}
		self.assertIn(self.mine.name, names)
		self.assertNotIn(self.theirs.name, names)
		# Frappe alone answers with both (by doctype only)
		from frappe.utils import global_search

		frappe.set_user(user)
		try:
			self.assertIn(self.theirs.name, {r.name for r in global_search.search(self.token)})
		finally:
			frappe.set_user("Administrator")

	def test_link_search_with_ignore_user_permissions_shows_only_readable_records(self):
		user = make_user(roles=("Sales User",))
		frappe.get_doc(
			{"doctype": "User Permission", "user": user, "allow": "Lead", "for_value": self.mine.name}
		).insert(ignore_permissions=True)
		for cmd, key in (
			("frappe.desk.search.search_link", lambda r: r["value"]),
			("frappe.desk.search.search_widget", lambda r: r[0]),
		):
			found = call_method(cmd, user=user, doctype="Lead", txt=self.token, ignore_user_permissions=1)
			names = {key(r) for r in found}
			self.assertIn(self.mine.name, names, cmd)
			self.assertNotIn(self.theirs.name, names, cmd)


class TestGoogleSync(ConfidentialityTestCase):
	def account(self):
		doc = frappe.get_doc(
			{
				"doctype": "Google Contacts",
				"email_id": f"office-{random_string(5).lower()}@gmail.example",
				"push_to_google_contacts": 1,
			}
		)
		doc.flags.ignore_validate = True
		return doc.insert(ignore_permissions=True)

	def test_a_contact_is_not_pushed_to_google_without_consent(self):
		set_mode("Enforce")
		account = self.account()
		contact = make_contact(sync_with_google_contacts=1, google_contacts=account.name)
		self.assertEqual(contact.sync_with_google_contacts, 0)
		self.assertEqual(frappe.db.get_value("Contact", contact.name, "sync_with_google_contacts"), 0)
		entries = logged(action="Sync to Google Contacts", reference_name=contact.name)
		self.assertEqual([e.decision for e in entries], ["Deny"])
		self.assertEqual(entries[0].recipient, f"google:{account.email_id}")

	def test_consent_naming_the_account_lets_the_push_through(self):
		from confidentiality_app.channels import google

		set_mode("Enforce")
		account = self.account()
		contact = make_contact()
		consent("Contact", contact.name, ["Export"], recipients=[f"google:{account.email_id}"])
		contact.sync_with_google_contacts = 1
		contact.google_contacts = account.name
		google.guard_sync(contact)  # decided as the save would (Google is not reachable here)
		self.assertEqual(contact.sync_with_google_contacts, 1)


class TestExistingPublicFiles(ConfidentialityTestCase):
	def test_public_files_written_before_are_made_private_by_the_sweep(self):
		from confidentiality_app.channels import files

		lead = make_lead()
		# written as before the app (or by raw SQL): public, attached to a client's record
		doc = frappe.get_doc(
			{
				"doctype": "File",
				"file_name": f"old-{random_string(6)}.txt",
				"content": b"old notes " + random_string(8).encode(),
				"is_private": 0,
			}
		).insert(ignore_permissions=True)
		frappe.db.set_value("File", doc.name, {"attached_to_doctype": "Lead", "attached_to_name": lead.name})
		self.assertTrue(doc.file_url.startswith("/files/"))
		self.assertGreaterEqual(files.privatise_existing(), 1)
		row = frappe.db.get_value("File", doc.name, ["is_private", "file_url"], as_dict=True)
		self.assertEqual(row.is_private, 1)
		self.assertTrue(row.file_url.startswith("/private/files/"))
		self.assertEqual(
			frappe.safe_decode(frappe.get_doc("File", doc.name).get_content()),
			frappe.safe_decode(doc.get_content()),
		)
		self.assertTrue(logged(action="Make files private"))


class TestGoogleCalendar(ConfidentialityTestCase):
	def test_an_event_with_a_client_is_not_pushed_without_consent_and_a_meeting_is(self):
		set_mode("Enforce")
		calendar = frappe.get_doc(
			{
				"doctype": "Google Calendar",
				"calendar_name": f"Office {random_string(5)}",
				"user": "Administrator",
				"google_calendar_id": f"office-{random_string(5).lower()}@group.calendar.example",
				"push_to_google_calendar": 1,
			}
		)
		calendar.flags.ignore_validate = True
		calendar.insert(ignore_permissions=True)
		lead = make_lead()

		def event(participants):
			return frappe.get_doc(
				{
					"doctype": "Event",
					"subject": f"Session {random_string(5)}",
					"starts_on": frappe.utils.now_datetime(),
					"event_type": "Private",
					"sync_with_google_calendar": 1,
					"google_calendar": calendar.name,
					"event_participants": participants,
				}
			).insert(ignore_permissions=True)

		session = event([{"reference_doctype": "Lead", "reference_docname": lead.name}])
		self.assertEqual(frappe.db.get_value("Event", session.name, "sync_with_google_calendar"), 0)
		entries = logged(action="Sync to Google Calendar", reference_name=session.name)
		self.assertEqual([e.decision for e in entries], ["Deny"])
		self.assertEqual(entries[0].recipient, f"google:{calendar.google_calendar_id}")
		# an internal meeting (no client among its participants) is not decided
		from confidentiality_app.channels import google

		meeting = frappe.get_doc(
			{
				"doctype": "Event",
				"subject": "Team",
				"sync_with_google_calendar": 1,
				"google_calendar": calendar.name,
			}
		)
		google.guard_sync(meeting)
		self.assertEqual(meeting.sync_with_google_calendar, 1)
		self.assertEqual(logged(action="Sync to Google Calendar", reference_name=meeting.name or ""), [])
