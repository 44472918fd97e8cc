"""Disclosures on the Code's grounds, on the real site: each ground approved and refused for
the right reasons, an approved disclosure lets exactly its scope through (mail on the wire
of a real SMTP server, prints rendered) and nothing else, each use logged with the
disclosure and the Code clause as basis, the letter to the client queued with its PDF
stored, and none when ground 3 withholds it."""

from __future__ import annotations

import json

import frappe
from frappe.utils import add_days, random_string, today

from confidentiality_app import api, disclosures
from confidentiality_app.rules import policy
from confidentiality_app.tests import mail
from confidentiality_app.tests.fixtures import (
	OFFICER,
	EmailTestCase,
	approve_disclosure,
	authority_email,
	call_method,
	consent,
	evidence_file,
	government_body,
	involved,
	live_site,
	logged,
	make_lead,
	make_user,
	officer,
	pdf_text,
	queue_of,
	regulator,
	request_disclosure,
	uses,
)


class DisclosureTestCase(EmailTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.requester = officer()
		cls.approver = officer()
		frappe.db.commit()

	def request(self, lead, ground, user=None, **kw):
		return request_disclosure(lead, ground, user or self.requester, **kw)

	def approve(self, name, user=None):
		return approve_disclosure(name, user or self.approver)

	def danger(self, lead, **kw):
		authority = kw.pop("authority", None) or regulator()
		kw.setdefault("evidence", "The client said they would harm a colleague tomorrow.")
		return self.request(
			lead, policy.SERIOUS_DANGER, recipient=authority_email(authority), authority=authority, **kw
		)

	def status(self, name) -> str:
		return frappe.db.get_value("Disclosure Request", name, "status")


class TestGrounds(DisclosureTestCase):
	def test_written_consent_of_the_client_and_every_involved_party_is_approved(self):
		lead, sponsor = make_lead(), f"sponsor-{random_string(6).lower()}@employer.example"
		basis = consent("Lead", lead.name, ["Email"], recipients=[sponsor])
		name = self.request(
			lead, policy.WRITTEN_CONSENT, recipient=sponsor, involved_parties=[involved(lead)]
		)
		self.assertEqual(self.status(name), "Pending Approval")
		self.assertEqual(frappe.db.get_value("Disclosure Request", name, "client_consent"), basis)
		self.assertEqual(self.approve(name), "Approved")
		(entry,) = logged(reference_name=name, action="Approve Disclosure")
		self.assertEqual((entry["decision"], entry["outcome"]), ("Allow", "Recorded"))
		self.assertIn(policy.CLAUSE_CONSENT, entry["basis"])

	def test_one_involved_partys_missing_consent_refuses_the_approval_and_is_logged(self):
		lead, sponsor = make_lead(), f"sponsor-{random_string(6).lower()}@employer.example"
		consent("Lead", lead.name, ["Email"], recipients=[sponsor])
		name = self.request(
			lead,
			policy.WRITTEN_CONSENT,
			recipient=sponsor,
			involved_parties=[involved(lead), involved(lead, signed=False)],
		)
		with self.assertRaisesRegex(disclosures.DisclosureRefused, "has not agreed in writing"):
			self.approve(name)
		self.assertEqual(self.status(name), "Pending Approval")
		(entry,) = logged(reference_name=name, action="Approve Disclosure")
		self.assertEqual((entry["decision"], entry["outcome"]), ("Deny", "Blocked"))

	def test_an_expired_consent_is_no_ground_of_written_consent(self):
		lead, sponsor = make_lead(), f"sponsor-{random_string(6).lower()}@employer.example"
		consent(
			"Lead",
			lead.name,
			["Email"],
			recipients=[sponsor],
			valid_from=add_days(today(), -10),
			valid_until=add_days(today(), -1),
		)
		with self.assertRaisesRegex(disclosures.DisclosureRefused, "has expired"):
			self.request(lead, policy.WRITTEN_CONSENT, recipient=sponsor)
		self.assertFalse(frappe.db.exists("Disclosure Request", {"party": lead.name, "docstatus": 1}))

	def test_a_consent_not_naming_the_recipient_is_no_ground(self):
		lead = make_lead()
		consent("Lead", lead.name, ["Email"], recipients=["someone-else@employer.example"])
		with self.assertRaisesRegex(disclosures.DisclosureRefused, "does not name"):
			self.request(lead, policy.WRITTEN_CONSENT, recipient="sponsor@employer.example")

	def test_a_disclosure_beyond_the_confidentiality_agreement_is_refused(self):
		lead, sponsor = make_lead(), f"sponsor-{random_string(6).lower()}@employer.example"
		consent("Lead", lead.name, ["Email"], recipients=[sponsor])
		# the agreement made at the start: only the supervisor may ever receive anything
		agreement = frappe.get_doc(
			{
				"doctype": "Confidentiality Agreement",
				"party_type": "Lead",
				"party": lead.name,
				"boundaries": "Only my supervisor may be told anything.",
				"purposes": [{"purpose": "Email"}],
				"recipients": [{"recipient_email": "supervisor@school.example"}],
				"evidence_file": evidence_file("Lead", lead.name),
			}
		).insert()
		with self.assertRaisesRegex(disclosures.DisclosureRefused, "beyond the level of confidentiality"):
			self.request(lead, policy.WRITTEN_CONSENT, recipient=sponsor)
		# and the consent itself no longer covers that mail: it is held, naming the clause
		self.send(lead, [sponsor])
		(row,) = queue_of(reference_name=lead.name)
		self.assertEqual(row.status, "Held")
		(entry,) = logged(channel="Email", reference_name=lead.name, recipient=sponsor)
		self.assertIn(agreement.name, entry["basis"])
		self.assertIn(policy.CLAUSE_AGREEMENT, entry["reason"])
		# a new consent cannot widen it either
		with self.assertRaisesRegex(frappe.ValidationError, "beyond the Confidentiality Agreement"):
			consent("Lead", lead.name, ["Email", "Print"])

	def test_serious_danger_needs_a_second_officer(self):
		lead = make_lead()
		name = self.danger(lead)
		with self.assertRaisesRegex(disclosures.DisclosureRefused, "second Confidentiality Officer"):
			self.approve(name, user=self.requester)
		self.assertEqual(self.status(name), "Pending Approval")
		self.assertEqual(self.approve(name), "Approved")
		officers_told = frappe.get_all(
			"Notification Log",
			{"document_name": name, "subject": ["like", "%Serious danger%"]},
			pluck="for_user",
		)
		self.assertIn(self.requester, officers_told)

	def test_serious_danger_goes_only_to_a_regulator_or_government_body(self):
		lead = make_lead()
		with self.assertRaisesRegex(disclosures.DisclosureRefused, "Disclosure Authority register"):
			self.request(lead, policy.SERIOUS_DANGER, recipient="journalist@news.example", evidence="Danger.")
		authority = regulator()
		with self.assertRaisesRegex(disclosures.DisclosureRefused, "any other recipient is refused"):
			self.request(
				lead,
				policy.SERIOUS_DANGER,
				recipient="journalist@news.example",
				authority=authority,
				evidence="Danger.",
			)
		frappe.db.set_value("Disclosure Authority", authority, "disabled", 1)
		with self.assertRaisesRegex(disclosures.DisclosureRefused, "is not a Regulator or Government Body"):
			self.danger(lead, authority=authority)
		with self.assertRaisesRegex(disclosures.DisclosureRefused, "compelling evidence"):
			self.danger(lead, evidence=" ")

	def test_a_government_requirement_needs_a_government_body_and_its_reference(self):
		lead = make_lead()
		body = government_body()
		with self.assertRaisesRegex(disclosures.DisclosureRefused, "is not a Government Body"):
			self.request(
				lead,
				policy.GOVERNMENT_REQUIREMENT,
				recipient=authority_email(regulator()),
				authority=regulator(),
				authority_reference="REF-1",
				evidence="Order",
			)
		name = self.request(
			lead,
			policy.GOVERNMENT_REQUIREMENT,
			recipient=authority_email(body),
			authority=body,
			authority_reference="ORDER-2026-118",
			evidence="Production order under the Safeguarding Act",
		)
		self.assertEqual(self.approve(name), "Approved")

	def test_only_serious_danger_may_withhold_the_letter(self):
		lead = make_lead()
		body = government_body()
		with self.assertRaisesRegex(disclosures.DisclosureRefused, "always written to"):
			self.request(
				lead,
				policy.GOVERNMENT_REQUIREMENT,
				recipient=authority_email(body),
				authority=body,
				authority_reference="R",
				evidence="Order",
				client_told=0,
				not_told_reason="Rather not",
			)

	def test_a_submitted_request_changes_only_through_its_transitions(self):
		lead = make_lead()
		name = self.danger(lead)
		with self.assertRaises(frappe.PermissionError):
			call_method(
				"frappe.client.set_value",
				http_method="POST",
				doctype="Disclosure Request",
				name=name,
				fieldname="status",
				value="Approved",
			)
		self.assertEqual(self.status(name), "Pending Approval")
		# a practitioner files a request and cannot approve it, nor read others' requests
		practitioner = make_user(roles=("Practitioner", "Sales User"))
		own = self.danger(lead, user=practitioner)
		with self.assertRaisesRegex(disclosures.DisclosureRefused, "Only a Confidentiality Officer"):
			self.approve(own, user=practitioner)
		with self.assertRaises(frappe.PermissionError):
			self.approve(name, user=practitioner)
		self.assertEqual((self.status(name), self.status(own)), ("Pending Approval", "Pending Approval"))


class TestScope(DisclosureTestCase):
	"""An approved disclosure lets exactly its scope through, and nothing else."""

	def approved_danger(self, lead, **kw):
		authority = regulator()
		name = self.danger(lead, authority=authority, **kw)
		self.approve(name)
		frappe.db.commit()  # the mails are sent by the flush, which commits
		return name, authority_email(authority)

	def test_the_scoped_mail_goes_out_once_with_the_disclosure_and_clause_as_basis(self):
		lead = make_lead()
		name, to = self.approved_danger(lead, max_uses=1)
		self.send(lead, [to])
		mail.flush()
		self.assertEqual(self.sink.count(to), 1)
		(entry,) = logged(channel="Email", reference_name=lead.name, recipient=to)
		self.assertEqual((entry["decision"], entry["outcome"]), ("Allow", "Allowed"))
		self.assertEqual(entry["basis"], name)
		self.assertIn(policy.CLAUSE_DANGER, entry["reason"])
		self.assertEqual(uses(name), 1)
		# a second use is beyond the one allowed: held, never sent
		self.send(lead, [to])
		mail.flush()
		self.assertEqual(self.sink.count(to), 1)
		refused = logged(channel="Email", reference_name=lead.name, recipient=to, decision="Deny")
		self.assertEqual(len(refused), 1)
		self.assertIn(name, refused[0]["basis"])
		self.assertIn("used as many times as it allows", refused[0]["reason"])

	def test_another_recipient_another_record_another_channel_are_refused(self):
		lead, other_lead = make_lead(), make_lead()
		name, to = self.approved_danger(lead, max_uses=0)
		elsewhere = f"friend-{random_string(6).lower()}@elsewhere.example"
		self.send(lead, [elsewhere])
		self.send(other_lead, [to])
		mail.flush()
		self.assertEqual(self.sink.count(elsewhere), 0)
		self.assertEqual(self.sink.count(to), 0)
		(other,) = logged(channel="Email", reference_name=other_lead.name, recipient=to)
		self.assertEqual(other["decision"], "Deny")
		with self.assertRaises(frappe.PermissionError):
			frappe.get_print("Lead", lead.name)  # Print is not one of its channels
		(printed,) = logged(channel="Print", reference_name=lead.name)
		self.assertEqual((printed["decision"], printed["outcome"]), ("Deny", "Blocked"))

	def test_a_print_in_scope_is_made_under_the_disclosure(self):
		lead = make_lead()
		name, _to = self.approved_danger(lead, channels=["Email", "Print"], max_uses=0)
		html = frappe.get_print("Lead", lead.name)
		self.assertIn(lead.name, html)
		(printed,) = logged(channel="Print", reference_name=lead.name)
		self.assertEqual((printed["decision"], printed["basis"]), ("Allow", name))

	def export(self, *names) -> str:
		call_method(
			"frappe.desk.reportview.export_query",
			http_method="POST",
			doctype="Lead",
			file_format_type="CSV",
			title="Lead",
			fields=json.dumps(["`tabLead`.`name`"]),
			filters=json.dumps([["Lead", "name", "in", list(names)]]),
		)
		return frappe.response.get("filecontent").decode("utf-8")

	def test_an_export_in_scope_holds_only_the_disclosed_record_and_uses_it_once(self):
		lead, other = make_lead(), make_lead()
		name, _to = self.approved_danger(lead, channels=["Export"], max_uses=1)
		content = self.export(lead.name, other.name)
		self.assertIn(lead.name, content)
		self.assertNotIn(other.name, content)
		(entry,) = logged(channel="Export", reference_doctype="Lead")
		self.assertEqual(entry["basis"], f"exported=1 withheld=1 of=2 under={name}")
		self.assertIn(policy.CLAUSE_DANGER, entry["reason"])
		self.assertEqual(uses(name), 1)
		# used up: the next export holds nothing of it
		self.assertNotIn(lead.name, self.export(lead.name))

	def test_an_integration_reading_in_bulk_is_not_the_disclosures_recipient(self):
		lead = make_lead()
		self.approved_danger(lead, channels=["Export"], max_uses=0)
		reader = make_user(roles=("Sales Manager",))
		from confidentiality_app.decision import gate

		allowed = gate.allowed_rows("Lead", "Export")
		self.assertNotIn(lead.name, allowed)
		self.assertIn(lead.name, self.export(lead.name))  # a person's export is made for it
		self.assertTrue(reader)

	def test_a_share_goes_only_to_the_user_it_names(self):
		lead = make_lead()
		named, other = make_user(), make_user()
		consent("Lead", lead.name, ["Share"], recipients=[named])
		name = self.request(
			lead,
			policy.WRITTEN_CONSENT,
			recipient=named,
			channels=["Share"],
			recipient_user=named,
			max_uses=0,
		)
		self.approve(name)
		frappe.share.add("Lead", lead.name, named)
		self.assertTrue(frappe.db.exists("DocShare", {"share_name": lead.name, "user": named}))
		with self.assertRaises(frappe.PermissionError):
			frappe.share.add("Lead", lead.name, other)
		self.assertFalse(frappe.db.exists("DocShare", {"share_name": lead.name, "user": other}))
		(entry,) = logged(channel="DocShare", reference_name=lead.name, decision="Allow")
		self.assertEqual(entry["basis"], name)

	def test_the_api_check_reports_the_disclosure_as_basis(self):
		lead = make_lead()
		name, to = self.approved_danger(lead, max_uses=0)
		result = api.check("Lead", lead.name, "Email", to)
		self.assertTrue(result["allowed"])
		self.assertEqual(result["basis"], [name])

	def test_a_revoked_or_completed_disclosure_allows_nothing_more(self):
		lead = make_lead()
		name, to = self.approved_danger(
			lead, max_uses=0, client_told=0, not_told_reason="Telling would increase the danger."
		)
		frappe.get_doc("Disclosure Request", name).cancel()
		self.assertEqual(self.status(name), "Revoked")
		self.assertFalse(api.check("Lead", lead.name, "Email", to)["allowed"])
		lead2 = make_lead()
		name2, to2 = self.approved_danger(lead2, max_uses=0, client_told=0, not_told_reason="Danger.")
		api.complete_disclosure(name2)
		self.assertEqual(self.status(name2), "Completed")
		self.assertFalse(api.check("Lead", lead2.name, "Email", to2)["allowed"])


class TestLetter(DisclosureTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.live = live_site(cls, host_name=True)

	def test_completion_queues_the_letter_to_the_client_and_stores_its_pdf(self):
		lead = make_lead()
		body = government_body()
		name = self.request(
			lead,
			policy.GOVERNMENT_REQUIREMENT,
			recipient=authority_email(body),
			authority=body,
			authority_reference="ORDER-77",
			evidence="Production order",
			description="Dates and times of our sessions in March",
		)
		self.approve(name)
		result = api.complete_disclosure(name)
		self.assertEqual(result["status"], "Completed")
		self.assertEqual(result["letter_sent"], 1)
		stored = frappe.get_doc("File", {"file_url": result["letter_file"]})
		self.assertEqual((stored.attached_to_doctype, stored.attached_to_name), ("Disclosure Request", name))
		self.assertTrue(stored.is_private)
		letter = pdf_text(stored.get_content())
		for said in (
			"Dates and times of our sessions in March",  # what
			frappe.db.get_value("Disclosure Authority", body, "authority_name"),  # to whom
			"Government Requirement",  # on which ground
			"ORDER-77",
			"The client's employer funds the programme",  # why
			name,
		):
			self.assertIn(said, letter)
		queued = frappe.get_doc("Email Queue", result["letter_email"])
		self.assertEqual([r.recipient for r in queued.recipients], [lead.email_id])
		frappe.db.commit()
		mail.flush()
		(message,) = self.sink.to(lead.email_id)
		self.assertIn("What we disclosed about you", message.text)
		self.assertIn(".pdf", message.text)
		self.assertIn("Dates and times of our sessions in March", message.text)
		(entry,) = logged(channel="Disclosure", reference_name=name, action="Complete Disclosure")
		self.assertIn(lead.email_id, entry["reason"])

	def test_no_letter_when_serious_danger_withholds_it(self):
		lead = make_lead()
		name = self.danger(
			lead, client_told=0, not_told_reason="Telling the client would increase the danger."
		)
		self.approve(name)
		result = api.complete_disclosure(name)
		self.assertEqual(result["letter_sent"], 0)
		self.assertFalse(result["letter_file"])
		self.assertIn("increase the danger", result["letter_note"])
		frappe.db.commit()
		mail.flush()
		self.assertEqual(self.sink.count(lead.email_id), 0)
		self.assertEqual(queue_of(reference_name=name), [])


PASSWORD = "Cf-" + random_string(12) + "-7!"


class TestClientPageAndRegister(DisclosureTestCase):
	"""Over real HTTP: the client's page from the letter's signed link, and the register's
	export (officers only, logged)."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.live = live_site(cls)
		cls.lead = make_lead()
		body = government_body()
		frappe.set_user(cls.requester)
		cls.told = api.request_disclosure(
			"Lead",
			cls.lead.name,
			policy.GOVERNMENT_REQUIREMENT,
			recipient=authority_email(body),
			channels=["Email"],
			description="Attendance dates in April",
			purpose="A court order",
			authority=body,
			authority_reference="CO-5",
			evidence="Order",
		)
		cls.withheld = api.request_disclosure(
			"Lead",
			cls.lead.name,
			policy.SERIOUS_DANGER,
			recipient=authority_email(body),
			channels=["Email"],
			description="What the client said on 2 May",
			purpose="Danger to a colleague",
			authority=body,
			evidence="Threat recorded in session notes",
			client_told=0,
			not_told_reason="Telling the client would increase the danger.",
		)
		frappe.set_user(cls.approver)
		api.approve_disclosure(cls.told)
		api.approve_disclosure(cls.withheld)
		frappe.set_user("Administrator")
		cls.officer_login = make_user(roles=(OFFICER, "Sales User"), password=PASSWORD)
		cls.manager = make_user(roles=("System Manager", "Sales Manager"), password=PASSWORD)
		frappe.db.commit()

	def page(self, **params):
		return self.live.guest().get(f"{self.live.url}/client_disclosures", params=params)

	def test_the_signed_link_lists_what_was_disclosed_except_what_ground_3_withholds(self):
		from urllib.parse import parse_qs, urlparse

		from confidentiality_app.disclosures import client_page

		link = client_page.signed_link("Lead", self.lead.name)
		params = {k: v[0] for k, v in parse_qs(urlparse(link).query).items()}
		response = self.page(**params)
		self.assertEqual(response.status_code, 200, response.text[:300])
		self.assertIn("Attendance dates in April", response.text)
		self.assertIn(self.told, response.text)
		self.assertNotIn("What the client said on 2 May", response.text)
		self.assertNotIn(self.withheld, response.text)
		(entry,) = logged(channel="Client Page", reference_name=self.lead.name)
		self.assertEqual(entry["action"], "View Own Disclosures")
		# tampered with, or expired: nothing shown, the same answer for any client
		for bad in (
			{**params, "party": make_lead().name},
			{**params, "signature": "0" * 64},
			{**params, "expires": str(int(params["expires"]) + 1)},
		):
			refused = self.page(**bad)
			self.assertEqual(refused.status_code, 403)
			self.assertNotIn("Attendance dates in April", refused.text)
		frappe.db.rollback()

	def export(self, user):
		session = self.live.login(user, PASSWORD)
		return session.post(
			f"{self.live.url}/api/method/frappe.desk.query_report.export_query",
			data={
				"report_name": "Disclosure Register",
				"file_format_type": "CSV",
				"filters": json.dumps({"party": self.lead.name}),
				"visible_idx": json.dumps([]),
			},
		)

	def test_the_register_is_exported_by_officers_only_and_logged(self):
		response = self.export(self.officer_login)
		self.assertEqual(response.status_code, 200, response.text[:300])
		text = response.content.decode("utf-8")
		self.assertIn(self.told, text)
		self.assertIn(self.withheld, text)
		(entry,) = logged(channel="Export", reference_name="Disclosure Register", user=self.officer_login)
		self.assertEqual((entry["decision"], entry["outcome"]), ("Allow", "Allowed"))
		refused = self.export(self.manager)
		self.assertNotEqual(refused.status_code, 200)
		self.assertNotIn(self.told, refused.text)


class TestWithdrawalNotice(DisclosureTestCase):
	def test_recipients_under_a_withdrawn_consent_are_listed_and_told_without_client_data(self):
		lead = make_lead()
		sponsor = f"sponsor-{random_string(6).lower()}@employer.example"
		basis = consent("Lead", lead.name, ["Email"], recipients=[sponsor])
		frappe.db.commit()
		self.send(lead, [sponsor], message=f"Progress report for {lead.lead_name}")
		mail.flush()
		self.assertEqual(self.sink.count(sponsor), 1)
		frappe.set_user(self.approver)
		with self.assertRaisesRegex(frappe.ValidationError, "not withdrawn"):
			api.consent_recipients(basis)
		api.withdraw_consent(basis, "The client changed employer")
		(listed,) = api.consent_recipients(basis)
		self.assertEqual((listed["recipient"], listed["channels"]), (sponsor, ["Email"]))
		self.assertEqual(api.send_withdrawal_notice(basis), [sponsor])
		frappe.set_user("Administrator")
		frappe.db.commit()
		mail.flush()
		self.assertEqual(self.sink.count(sponsor), 2)
		notice = self.sink.to(sponsor)[-1].text
		self.assertIn("Consent withdrawn", notice)
		for client_data in (lead.name, lead.email_id, lead.last_name):
			self.assertNotIn(client_data, notice)
		(entry,) = logged(action="Withdrawal Notice", reference_name=basis)
		self.assertEqual(entry["recipient"], sponsor)
		# nobody else received anything under it: a notice to them is refused
		frappe.set_user(self.approver)
		with self.assertRaisesRegex(frappe.ValidationError, "received nothing"):
			api.send_withdrawal_notice(basis, ["someone@elsewhere.example"])
		frappe.set_user("Administrator")
