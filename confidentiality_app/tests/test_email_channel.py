"""Email: decided at queue time and at send time, refused mail held, on the real site with a
real SMTP server on loopback (confidentiality_app.tests.mail).

Every test sends through Frappe's own path (`frappe.sendmail` -> Email Queue -> the
scheduler's `frappe.email.queue.flush` -> `EmailQueue.send` -> smtplib) and asserts what
the SMTP server received, the Email Queue and Held Email rows, and the log entries.
Sending commits (Frappe commits each queue row's status), so every address is unique.
"""

from __future__ import annotations

import frappe
from frappe.utils import add_days, random_string, today

from confidentiality_app import api
from confidentiality_app.channels import email as email_channel
from confidentiality_app.log import audit
from confidentiality_app.tests import mail
from confidentiality_app.tests.fixtures import (
	EmailTestCase,
	consent,
	entries,
	held_for,
	live_site,
	make_contact,
	make_lead,
	make_user,
	outsider,
	queue_of,
	recipients_of,
	same_person,
	set_mode,
)


class TestQueueTime(EmailTestCase):
	def test_service_mail_to_the_client_is_sent_and_logged(self):
		lead = make_lead()
		self.send(lead, [lead.email_id])
		(row,) = queue_of(reference_name=lead.name)
		self.assertEqual(row.status, "Not Sent")
		mail.flush()
		self.assertEqual(self.sink.count(lead.email_id), 1)
		(entry,) = entries(lead.email_id, reference_name=lead.name)
		self.assertEqual((entry["decision"], entry["outcome"]), ("Allow", "Allowed"))
		self.assertIn("client themself", entry["reason"])

	def test_third_party_without_consent_is_held_never_sent(self):
		lead = make_lead()
		other = outsider()
		self.send(lead, [other])
		(row,) = queue_of(reference_name=lead.name)
		self.assertEqual(row.status, "Held")
		(held,) = held_for(row.name)
		self.assertEqual((held.status, held.stage, held.client_name), ("Held", "Queued", lead.name))
		self.assertEqual(held.recipients, other)
		self.assertIn("has no consent for purpose Email", held.reason)
		mail.flush()
		mail.flush()
		self.assertEqual(self.sink.count(other), 0)
		self.assertEqual(frappe.db.get_value("Email Queue", row.name, "status"), "Held")
		(entry,) = entries(other, reference_name=lead.name)
		self.assertEqual((entry["decision"], entry["outcome"]), ("Deny", "Held"))

	def test_consent_for_email_naming_the_recipient_sends_once(self):
		lead = make_lead()
		other = outsider()
		consent(lead.doctype, lead.name, ["Email"], recipients=[other])
		self.send(lead, [other])
		mail.flush()
		mail.flush()
		self.assertEqual(self.sink.count(other), 1)
		(entry,) = entries(other, reference_name=lead.name)
		self.assertEqual(entry["outcome"], "Allowed")
		self.assertIn("CONS", entry["basis"] + entry["reason"])

	def test_recipient_not_named_is_held(self):
		lead = make_lead()
		named, other = outsider(), outsider()
		consent(lead.doctype, lead.name, ["Email"], recipients=[named])
		self.send(lead, [other])
		(row,) = queue_of(reference_name=lead.name)
		self.assertEqual(row.status, "Held")
		self.assertIn("does not name", held_for(row.name)[0].reason)
		mail.flush()
		self.assertEqual(self.sink.count(other), 0)

	def test_wrong_purpose_is_held(self):
		lead = make_lead()
		other = outsider()
		consent(lead.doctype, lead.name, ["Share"])
		self.send(lead, [other])
		(row,) = queue_of(reference_name=lead.name)
		self.assertEqual(row.status, "Held")
		self.assertIn("do not include purpose Email", held_for(row.name)[0].reason)

	def test_expired_consent_is_held(self):
		lead = make_lead()
		other = outsider()
		name = consent(
			lead.doctype,
			lead.name,
			["Email"],
			valid_from=add_days(today(), -10),
			valid_until=add_days(today(), -1),
		)
		self.assertTrue(name)
		self.send(lead, [other])
		(row,) = queue_of(reference_name=lead.name)
		self.assertEqual(row.status, "Held")
		self.assertIn("expired", held_for(row.name)[0].reason)

	def test_each_of_to_cc_and_bcc_is_decided_and_only_the_refused_are_held(self):
		lead = make_lead()
		cc, bcc = outsider(), outsider()
		self.send(lead, [lead.email_id], cc=[cc], bcc=[bcc])
		rows = queue_of(reference_name=lead.name)
		self.assertEqual(len(rows), 2)
		sent = [r for r in rows if r.status == "Not Sent"][0]
		held = [r for r in rows if r.status == "Held"][0]
		self.assertEqual(recipients_of(sent.name), [lead.email_id])
		self.assertEqual(sorted(recipients_of(held.name)), sorted([cc, bcc]))
		(record,) = held_for(held.name)
		self.assertEqual(sorted(record.recipients.split("\n")), sorted([cc, bcc]))
		mail.flush()
		self.assertEqual(self.sink.count(lead.email_id), 1)
		self.assertEqual(self.sink.count(cc) + self.sink.count(bcc), 0)
		self.assertEqual(len(entries(cc, reference_name=lead.name)), 1)
		self.assertEqual(len(entries(bcc, reference_name=lead.name)), 1)

	def test_administrator_and_the_scheduler_are_not_exempt(self):
		lead = make_lead()
		other = outsider()
		frappe.set_user("Administrator")
		# as the scheduler runs a job: a background job, no request
		frappe.enqueue(self.send, now=True, lead=lead, recipients=[other])
		(row,) = queue_of(reference_name=lead.name)
		self.assertEqual(row.status, "Held")
		mail.flush()
		self.assertEqual(self.sink.count(other), 0)

	def test_a_system_manager_is_not_exempt(self):
		lead = make_lead()
		other = outsider()
		frappe.set_user(make_user(roles=("System Manager", "Sales User")))
		self.send(lead, [other])
		frappe.set_user("Administrator")
		(row,) = queue_of(reference_name=lead.name)
		self.assertEqual(row.status, "Held")

	def test_a_colleague_who_can_read_the_lead_gets_it_but_not_at_an_outside_address(self):
		lead = make_lead()
		colleague = make_user(roles=("Sales User",))
		self.send(lead, [colleague])
		(row,) = queue_of(reference_name=lead.name)
		self.assertEqual(row.status, "Not Sent")
		(entry,) = entries(colleague, reference_name=lead.name)
		self.assertIn("already read it", entry["reason"])
		other = outsider()
		self.send(lead, [other])
		self.assertEqual(queue_of(reference_name=lead.name, status="Held")[0].status, "Held")

	def test_mail_with_no_reference_naming_a_client_address_is_about_that_client(self):
		lead = make_lead()
		other = outsider()
		# composed from the inbox: no reference, the client's address in the body
		self.send(None, [other], message=f"Forwarding what {lead.email_id} told me in session.")
		rows = [r for r in queue_of(status="Held") if other in recipients_of(r.name)]
		self.assertEqual(len(rows), 1)
		self.assertIn(held_for(rows[0].name)[0].client_name, same_person(lead))
		mail.flush()
		self.assertEqual(self.sink.count(other), 0)

	def test_mail_with_no_reference_to_the_client_is_service_mail(self):
		lead = make_lead()
		self.send(None, [lead.email_id.upper()], message="Your next session is on Monday.")
		mail.flush()
		self.assertEqual(self.sink.count(lead.email_id), 1)

	def test_mail_addressed_to_a_client_copied_to_a_third_party_is_about_the_client(self):
		lead = make_lead()
		other = outsider()
		self.send(None, [lead.email_id], cc=[other], message="Hello")
		mail.flush()
		self.assertEqual(self.sink.count(lead.email_id), 1)
		self.assertEqual(self.sink.count(other), 0)

	def test_a_contact_of_the_client_is_the_client(self):
		lead = make_lead()
		contact = make_contact(links=[("Lead", lead.name)])
		address = contact.email_ids[0].email_id
		other = outsider()
		self.send(None, [other], message=f"Contact {address} about the invoice")
		rows = [r for r in queue_of(status="Held") if other in recipients_of(r.name)]
		self.assertEqual(len(rows), 1)

	def test_file_of_another_client_attached_makes_the_mail_about_them(self):
		lead, other_lead = make_lead(), make_lead()
		other = outsider()
		consent(lead.doctype, lead.name, ["Email"], recipients=[other])
		f = frappe.get_doc(
			{
				"doctype": "File",
				"file_name": f"notes-{random_string(5)}.txt",
				"content": b"session notes",
				"attached_to_doctype": "Lead",
				"attached_to_name": other_lead.name,
				"is_private": 1,
			}
		).insert(ignore_permissions=True)
		self.send(lead, [other], attachments=[{"fid": f.name}])
		(row,) = queue_of(reference_name=lead.name)
		self.assertEqual(row.status, "Held")
		self.assertEqual(held_for(row.name)[0].client_name, other_lead.name)

	def test_unprotected_mail_is_not_decided_or_logged(self):
		colleague = make_user()
		mark = audit.mark()
		self.send(None, [colleague], message="Lunch at one?")
		audit.seal()
		self.assertEqual(audit.entries({"recipient": colleague}, since=mark), [])

	def test_monitor_mode_sends_and_records_what_would_have_been_held(self):
		lead = make_lead()
		other = outsider()
		set_mode("Monitor")
		try:
			self.send(lead, [other])
			mail.flush()
		finally:
			set_mode("Enforce")
		self.assertEqual(self.sink.count(other), 1)
		# what would have been held, when queued and again when actually sent
		found = {e["action"]: (e["decision"], e["outcome"]) for e in entries(other, reference_name=lead.name)}
		self.assertEqual(found, {"Email": ("Deny", "Monitored"), "Send email": ("Deny", "Monitored")})


class TestSendTime(EmailTestCase):
	def test_withdrawal_holds_at_once_release_after_new_consent_sends_once(self):
		lead = make_lead()
		other = outsider()
		given = consent(lead.doctype, lead.name, ["Email"], recipients=[other])
		self.send(lead, [other])
		(row,) = queue_of(reference_name=lead.name)
		self.assertEqual(row.status, "Not Sent")

		api.withdraw_consent(given, "The client asked us to stop.")
		self.assertEqual(frappe.db.get_value("Email Queue", row.name, "status"), "Held")
		(held,) = held_for(row.name)
		self.assertEqual(held.stage, "Consent Lost")
		mail.flush()
		self.assertEqual(self.sink.count(other), 0)

		# still refused: the release is decided again
		with self.assertRaises(frappe.PermissionError):
			api.release_held_email(held.name)
		self.assertEqual(frappe.db.get_value("Held Email", held.name, "status"), "Held")

		consent(lead.doctype, lead.name, ["Email"], recipients=[other])
		api.release_held_email(held.name)
		self.assertEqual(self.sink.count(other), 1)
		self.assertEqual(frappe.db.get_value("Held Email", held.name, "status"), "Released")
		mail.flush()
		mail.flush()
		self.assertEqual(self.sink.count(other), 1)
		actions = [e["action"] for e in entries(other, reference_name=lead.name)]
		self.assertIn("Release held email", actions)

	def test_consent_expired_after_queueing_is_held_at_send_time(self):
		lead = make_lead()
		other = outsider()
		given = consent(lead.doctype, lead.name, ["Email"], recipients=[other])
		self.send(lead, [other])
		(row,) = queue_of(reference_name=lead.name)
		# the consent ends between queueing and sending (no event: a date passes)
		frappe.db.set_value("Client Consent", given, "valid_until", add_days(today(), -1))
		from confidentiality_app.decision import consents

		consents.invalidate((lead.doctype, lead.name))
		mail.flush()
		self.assertEqual(self.sink.count(other), 0)
		self.assertEqual(frappe.db.get_value("Email Queue", row.name, "status"), "Held")
		(held,) = held_for(row.name)
		self.assertEqual(held.stage, "Sending")
		self.assertIn("expired", held.reason)

	def test_retry_of_an_errored_row_is_decided_again(self):
		lead = make_lead()
		other = outsider()
		given = consent(lead.doctype, lead.name, ["Email"], recipients=[other])
		self.send(lead, [other])
		(row,) = queue_of(reference_name=lead.name)
		frappe.db.set_value("Email Queue", row.name, "status", "Error")
		frappe.db.set_value("Client Consent", given, "valid_until", add_days(today(), -1))
		from confidentiality_app.decision import consents

		consents.invalidate((lead.doctype, lead.name))
		frappe.get_doc("Email Queue", row.name).retry_sending()
		mail.flush()
		self.assertEqual(self.sink.count(other), 0)
		self.assertEqual(frappe.db.get_value("Email Queue", row.name, "status"), "Held")

	def test_a_row_written_without_the_orm_is_decided_when_sent(self):
		lead = make_lead()
		other = outsider()
		self.send(lead, [lead.email_id])
		(row,) = queue_of(reference_name=lead.name)
		# as raw SQL would: another recipient, and the stamp wiped
		frappe.db.sql("UPDATE `tabEmail Queue Recipient` SET recipient=%s WHERE parent=%s", (other, row.name))
		frappe.db.sql("UPDATE `tabEmail Queue` SET confidentiality_stamp=NULL WHERE name=%s", (row.name,))
		mail.flush()
		self.assertEqual(self.sink.count(other), 0)
		self.assertEqual(frappe.db.get_value("Email Queue", row.name, "status"), "Held")

	def test_discard_keeps_the_record_and_never_sends(self):
		lead = make_lead()
		other = outsider()
		self.send(lead, [other])
		(row,) = queue_of(reference_name=lead.name)
		(held,) = held_for(row.name)
		with self.assertRaises(frappe.ValidationError):
			api.discard_held_email(held.name, " ")
		api.discard_held_email(held.name, "Sent to the wrong person.")
		doc = frappe.get_doc("Held Email", held.name)
		self.assertEqual((doc.status, doc.discard_reason), ("Discarded", "Sent to the wrong person."))
		with self.assertRaises(frappe.ValidationError):
			api.release_held_email(held.name)
		mail.flush()
		self.assertEqual(self.sink.count(other), 0)
		self.assertEqual(frappe.db.get_value("Email Queue", row.name, "status"), "Held")
		self.assertEqual(
			[
				e["outcome"]
				for e in entries(held.recipients.split("\n")[0][:140], action="Discard held email")
			],
			["Discarded"],
		)

	def test_only_the_office_releases_or_discards(self):
		lead = make_lead()
		self.send(lead, [outsider()])
		(row,) = queue_of(reference_name=lead.name)
		(held,) = held_for(row.name)
		frappe.set_user(make_user(roles=("System Manager",)))
		try:
			with self.assertRaises(frappe.PermissionError):
				api.release_held_email(held.name)
			with self.assertRaises(frappe.PermissionError):
				api.discard_held_email(held.name, "no")
		finally:
			frappe.set_user("Administrator")
		self.assertEqual(frappe.db.get_value("Held Email", held.name, "status"), "Held")

	def test_the_email_queue_class_is_the_gated_one(self):
		self.assertIsInstance(frappe.new_doc("Email Queue"), email_channel.GatedEmailQueue)


class TestMarketing(EmailTestCase):
	def test_newsletter_mail_to_the_client_needs_marketing_consent(self):
		lead = make_lead()
		ref = {"reference_doctype": "Newsletter", "reference_name": f"NL-{random_string(6)}"}
		self.send(None, [lead.email_id], **ref)
		(row,) = queue_of(reference_name=ref["reference_name"])
		self.assertEqual(row.status, "Held")
		(held,) = held_for(row.name)
		self.assertEqual(held.purpose, "Marketing")
		self.assertIn(held.client_name, same_person(lead))
		mail.flush()
		self.assertEqual(self.sink.count(lead.email_id), 0)

	def test_newsletter_with_marketing_consent_is_sent(self):
		lead = make_lead()
		consent(lead.doctype, lead.name, ["Marketing"])
		ref = {"reference_doctype": "Newsletter", "reference_name": f"NL-{random_string(6)}"}
		self.send(None, [lead.email_id], **ref)
		mail.flush()
		self.assertEqual(self.sink.count(lead.email_id), 1)

	def test_newsletter_to_a_non_client_is_not_decided(self):
		somebody = outsider()
		ref = {"reference_doctype": "Newsletter", "reference_name": f"NL-{random_string(6)}"}
		self.send(None, [somebody], **ref)
		mail.flush()
		self.assertEqual(self.sink.count(somebody), 1)

	def test_marketing_is_decided_per_recipient(self):
		consented, refused = make_lead(), make_lead()
		consent(consented.doctype, consented.name, ["Marketing"])
		ref = {"reference_doctype": "Newsletter", "reference_name": f"NL-{random_string(6)}"}
		self.send(None, [consented.email_id, refused.email_id], **ref)
		mail.flush()
		self.assertEqual(self.sink.count(consented.email_id), 1)
		self.assertEqual(self.sink.count(refused.email_id), 0)


class TestComposer(EmailTestCase):
	"""The form composer over real HTTP, as a desk user: refused with the reason (nothing
	queued, nothing stored, the dialog keeps the text); with consent, sent."""

	PASSWORD = "Cf-" + random_string(12) + "-7!"

	@classmethod
	def setUpClass(cls):
		super().setUpClass()

		cls.user = make_user(roles=("Sales User",), password=cls.PASSWORD)
		frappe.db.commit()
		cls.live = live_site(cls)
		cls.session = cls.live.login(cls.user, cls.PASSWORD)

	def compose(self, lead, recipients, subject):
		return self.session.post(
			f"{self.live.url}/api/method/{email_channel.COMPOSER}",
			data={
				"doctype": lead.doctype,
				"name": lead.name,
				"recipients": recipients,
				"subject": subject,
				"content": "<p>What we discussed in our session.</p>",
				"send_email": 1,
			},
		)

	def test_composer_refuses_a_third_party_without_consent_and_stores_nothing(self):
		lead = make_lead()
		other = outsider()
		frappe.db.commit()
		subject = f"Session notes {random_string(6)}"
		response = self.compose(lead, other, subject)
		self.assertEqual(response.status_code, 403, response.text)
		self.assertIn("has no consent for purpose Email", response.text)
		self.assertIn("Record Consent", response.text)
		frappe.db.rollback()  # see what the request committed
		self.assertFalse(frappe.db.exists("Communication", {"subject": subject}))
		self.assertEqual(queue_of(reference_name=lead.name), [])
		(entry,) = entries(other, reference_name=lead.name)
		self.assertEqual((entry["user"], entry["decision"], entry["outcome"]), (self.user, "Deny", "Blocked"))
		mail.flush()
		self.assertEqual(self.sink.count(other), 0)

	def test_composer_sends_with_consent_naming_the_recipient(self):
		lead = make_lead()
		other = outsider()
		consent(lead.doctype, lead.name, ["Email"], recipients=[other])
		frappe.db.commit()
		subject = f"Session notes {random_string(6)}"
		response = self.compose(lead, other, subject)
		self.assertEqual(response.status_code, 200, response.text)
		frappe.db.rollback()
		self.assertTrue(frappe.db.exists("Communication", {"subject": subject}))
		mail.flush()
		self.assertEqual(self.sink.count(other), 1)
		self.assertIn(subject, self.sink.received[-1].text)


class TestStandingRules(EmailTestCase):
	def notification(self, **kw):
		recipients = kw.pop("recipients", [{"receiver_by_document_field": "email_id"}])
		return frappe.get_doc(
			{
				"doctype": "Notification",
				"name": f"CF Lead note {random_string(6)}",
				"subject": "Welcome {{ doc.lead_name }}",
				"document_type": "Lead",
				"event": "New",
				"channel": "Email",
				"message": "Hello {{ doc.lead_name }}",
				"recipients": recipients,
				"enabled": 1,
				**kw,
			}
		)

	def test_notification_to_a_fixed_outside_address_is_refused(self):
		other = outsider()
		doc = self.notification(recipients=[{"cc": other}])
		with self.assertRaises(frappe.PermissionError) as refused:
			doc.insert(ignore_permissions=True)
		self.assertIn(other, str(refused.exception))
		self.assertFalse(frappe.db.exists("Notification", doc.name))
		(entry,) = entries(other, action="Configure Notification")
		self.assertEqual(entry["outcome"], "Blocked")

	def test_notification_to_slack_on_a_protected_doctype_is_refused(self):
		doc = self.notification(channel="Slack", recipients=[])
		with self.assertRaises(frappe.PermissionError):
			doc.insert(ignore_permissions=True)

	def test_notification_to_the_client_and_to_colleagues_is_allowed_and_mails_the_client(self):
		colleague = make_user(roles=("Sales User",))
		doc = self.notification(recipients=[{"receiver_by_document_field": "email_id", "cc": colleague}])
		doc.insert(ignore_permissions=True)
		try:
			lead = make_lead()
			mail.flush()
			self.assertEqual(self.sink.count(lead.email_id), 1)
			self.assertEqual(self.sink.count(colleague), 1)
		finally:
			frappe.db.set_value("Notification", doc.name, "enabled", 0)
			frappe.db.commit()

	def test_a_notification_that_got_past_the_rule_is_held_when_it_fires(self):
		other = outsider()
		set_mode("Monitor")
		doc = self.notification(recipients=[{"receiver_by_document_field": "email_id", "cc": other}])
		doc.insert(ignore_permissions=True)  # Monitor: a warning, saved
		set_mode("Enforce")
		try:
			lead = make_lead()
			rows = queue_of(reference_name=lead.name)
			self.assertEqual(sorted(r.status for r in rows), ["Held", "Not Sent"])
			mail.flush()
			self.assertEqual(self.sink.count(lead.email_id), 1)
			self.assertEqual(self.sink.count(other), 0)
		finally:
			frappe.db.set_value("Notification", doc.name, "enabled", 0)
			frappe.db.commit()

	def test_auto_email_report_of_leads_to_an_outside_address_is_refused(self):
		report = frappe.db.get_value("Report", {"ref_doctype": "Lead", "report_type": "Script Report"})
		if not report:
			self.skipTest("no script report on Lead on this site")
		other = outsider()
		doc = frappe.get_doc(
			{
				"doctype": "Auto Email Report",
				"report": report,
				"user": "Administrator",
				"email_to": f"{other}\n",
				"format": "CSV",
				"frequency": "Weekly",
				"enabled": 1,
			}
		)
		with self.assertRaises(frappe.PermissionError) as refused:
			doc.insert(ignore_permissions=True)
		self.assertIn(other, str(refused.exception))


class TestIntegrity(EmailTestCase):
	def test_a_mail_changed_after_its_decision_is_decided_afresh(self):
		lead, other_lead = make_lead(), make_lead()
		other = outsider()
		consent(lead.doctype, lead.name, ["Email"], recipients=[other])
		self.send(lead, [other])
		(row,) = queue_of(reference_name=lead.name)
		self.assertEqual(row.status, "Not Sent")
		# pointed at another client after the decision, as raw SQL or set_value would
		frappe.db.sql(
			"UPDATE `tabEmail Queue` SET reference_name=%s WHERE name=%s", (other_lead.name, row.name)
		)
		mail.flush()
		self.assertEqual(self.sink.count(other), 0)
		self.assertEqual(frappe.db.get_value("Email Queue", row.name, "status"), "Held")
		self.assertIn(held_for(row.name)[0].client_name, same_person(other_lead))

	def test_email_queue_class_overridden_by_another_app_suspends_sending(self):
		from unittest.mock import patch

		from frappe.email.doctype.email_queue.email_queue import EmailQueue

		self.assertTrue(email_channel.check_wiring())
		mark = audit.mark()
		try:
			with patch("frappe.model.base_document.get_controller", return_value=EmailQueue):
				self.assertFalse(email_channel.check_wiring())
			self.assertEqual(frappe.db.get_default("suspend_email_queue"), "1")
			audit.seal()
			(entry,) = audit.entries({"action": "Suspend email queue"}, since=mark)
			self.assertEqual(entry["outcome"], "Blocked")
		finally:
			frappe.db.set_default("suspend_email_queue", 0)


class TestSiteNotifications(EmailTestCase):
	def notify(self, lead, user, kind="Mention"):
		frappe.get_doc(
			{
				"doctype": "Notification Log",
				"for_user": user,
				"type": kind,
				"subject": f"You were mentioned on {lead.name}",
				"email_content": "About the session with the client",
				"document_type": lead.doctype,
				"document_name": lead.name,
				"from_user": "Administrator",
			}
		).insert(ignore_permissions=True)

	def test_a_mention_mailed_to_a_user_who_cannot_open_the_record_is_held(self):
		lead = make_lead()
		user = make_user(roles=("Blogger",))
		self.notify(lead, user)
		mail.flush()
		self.assertEqual(self.sink.count(user), 0)
		(entry,) = entries(user)
		self.assertEqual((entry["outcome"], entry["client_name"] in same_person(lead)), ("Held", True))

	def test_a_mention_mailed_to_a_user_who_reads_leads_is_sent(self):
		lead = make_lead()
		user = make_user(roles=("Sales User",))
		self.notify(lead, user)
		mail.flush()
		self.assertEqual(self.sink.count(user), 1)

	def test_following_a_record_the_user_cannot_read_by_role_is_undone_and_logged(self):
		lead = make_lead()
		reader, outsider_user = make_user(roles=("Sales User",)), make_user(roles=("Blogger",))
		for user in (reader, outsider_user):
			# as frappe.desk.form.document_follow.follow_document does (for a doctype that
			# tracks changes; Lead ships without)
			doc = frappe.new_doc("Document Follow")
			doc.update({"ref_doctype": "Lead", "ref_docname": lead.name, "user": user})
			doc.save(ignore_permissions=True)
		followers = frappe.get_all(
			"Document Follow", {"ref_doctype": "Lead", "ref_docname": lead.name}, pluck="user"
		)
		self.assertEqual(followers, [reader])
		(entry,) = entries(outsider_user, action="Follow by email")
		self.assertEqual(entry["outcome"], "Blocked")


class TestSlack(EmailTestCase):
	"""A Notification's Slack channel posts to a webhook: a real HTTP receiver on loopback."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		import http.server
		import threading

		received = cls.received = []

		class Receiver(http.server.BaseHTTPRequestHandler):
			def do_POST(self):
				received.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
				self.send_response(200)
				self.end_headers()
				self.wfile.write(b"ok")

			def log_message(self, *args):
				pass

		cls.server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
		threading.Thread(target=cls.server.serve_forever, daemon=True).start()
		cls.addClassCleanup(cls.server.shutdown)

	def notification(self):
		hook = frappe.get_doc(
			{
				"doctype": "Slack Webhook URL",
				"webhook_name": f"cf-{random_string(6)}",
				"webhook_url": f"http://127.0.0.1:{self.server.server_port}/hook",
				"show_document_link": 0,
			}
		).insert(ignore_permissions=True)
		set_mode("Monitor")  # Enforce refuses the rule itself (TestStandingRules)
		try:
			doc = frappe.get_doc(
				{
					"doctype": "Notification",
					"name": f"CF slack {random_string(6)}",
					"subject": "Lead",
					"document_type": "Lead",
					"event": "Save",
					"channel": "Slack",
					"slack_webhook_url": hook.name,
					"message": "Lead {{ doc.lead_name }} {{ doc.email_id }}",
					"enabled": 1,
				}
			).insert(ignore_permissions=True)
		finally:
			set_mode("Enforce")
		self.assertIsInstance(doc, email_channel.GatedNotification)
		self.addCleanup(self.drop_notification, doc.name)
		return doc, hook.name

	def drop_notification(self, name):
		# the rule may have been committed with other work: it must not fire after the test
		frappe.db.delete("Notification", {"name": name})
		frappe.db.commit()

	def test_slack_post_about_a_client_without_consent_is_not_posted(self):
		doc, hook = self.notification()
		lead = make_lead()
		self.received.clear()
		doc.send(lead)
		self.assertEqual(self.received, [])
		audit.seal()
		# fired by the Lead's insert (event Save) and by the explicit send: refused both times
		found = audit.entries({"channel": "Slack", "reference_name": lead.name, "recipient": f"slack:{hook}"})
		self.assertEqual([e["decision"] for e in found], ["Deny", "Deny"])

	def test_slack_post_with_an_unlimited_email_consent_is_posted(self):
		doc, _hook = self.notification()
		lead = make_lead()
		consent(lead.doctype, lead.name, ["Email"])
		self.received.clear()
		doc.send(lead)
		self.assertEqual(len(self.received), 1)
		self.assertIn(lead.email_id.encode(), self.received[0])


class TestWhatAMailIsAbout(EmailTestCase):
	def test_the_sender_header_is_not_what_the_mail_is_about(self):
		lead = make_lead()
		other = outsider()
		# a client's address as the sender (say, the office replying from a shared inbox
		# that is also on a Lead) does not make the mail about that client
		self.send(None, [other], sender=lead.email_id, message="The timetable for next term")
		rows = [r for r in queue_of() if other in recipients_of(r.name)]
		self.assertEqual([r.status for r in rows], ["Not Sent"])

	def test_a_forwarded_header_in_the_body_is(self):
		lead = make_lead()
		other = outsider()
		self.send(
			None,
			[other],
			message=f"---------- Forwarded message ---------\nFrom: {lead.email_id}\n\nMy notes",
		)
		rows = [r for r in queue_of() if other in recipients_of(r.name)]
		self.assertEqual([r.status for r in rows], ["Held"])

	def test_the_administrator_account_is_not_a_client(self):
		if not frappe.db.exists("Protected Doctype", {"document_type": "User", "enabled": 1}):
			self.skipTest("User is not protected on this site (Frappe LMS not installed)")
		other = outsider()
		# Frappe's own mails about the Administrator account (as its email tests send)
		self.send(None, [other], reference_doctype="User", reference_name="Administrator", message="hello")
		rows = [r for r in queue_of() if other in recipients_of(r.name)]
		self.assertEqual([r.status for r in rows], ["Not Sent"])
