"""Ombudsman cases on the real site: the public complaint over real HTTP creates exactly one
case, acknowledges the complainant and reveals nothing; the evidence pack holds the right
log entries and no others; the determination rules (valid reason or none, duty of care, a
sanction required to close); stages change only through their actions; deadlines and
escalation with frozen time; who may read a case, and every opening logged."""

from __future__ import annotations

import json

import frappe
from frappe.utils import add_days, now_datetime, random_string

from confidentiality_app import api, logverify, ombudsman
from confidentiality_app.log import keys
from confidentiality_app.tests.fixtures import (
	OMBUDSMAN,
	EmailTestCase,
	call_method,
	complaint_case,
	consent,
	forget_rate_limit,
	live_site,
	logged,
	make_lead,
	make_user,
	pdf_text,
	practitioner,
)


class TestPublicComplaint(EmailTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.live = live_site(cls)

	def setUp(self):
		super().setUp()
		forget_rate_limit()

	def tearDown(self):
		forget_rate_limit()
		super().tearDown()

	def complain(self, **form):
		return self.live.guest().post(
			f"{self.live.url}/api/method/confidentiality_app.api.file_complaint", data=form
		)

	def test_a_complaint_creates_one_case_acknowledges_and_reveals_nothing(self):
		lead = make_lead()
		coach = practitioner(name=f"Known Coach {random_string(5)}")
		frappe.db.commit()
		email = f"complainant-{random_string(6).lower()}@example.com"
		response = self.complain(
			complainant_name="A. Client",
			complainant_email=email,
			about="My notes were sent to my employer",
			description="My coach emailed my session notes to my manager.",
			respondent=frappe.db.get_value("Practitioner", coach, "practitioner_name"),
			client_reference=lead.name,
		)
		self.assertEqual(response.status_code, 200, response.text[:300])
		case = response.json()["message"]
		frappe.db.commit()  # read what the server committed
		self.assertEqual(frappe.get_all("Ombudsman Case", {"complainant_email": email}, pluck="name"), [case])
		doc = frappe.get_doc("Ombudsman Case", case)
		self.assertEqual((doc.status, doc.intake_channel, doc.respondents), ("Received", "Web Form", []))
		self.assertIsNotNone(doc.due_on)
		# the answer names the case and nothing else
		for secret in (lead.name, lead.email_id, coach):
			self.assertNotIn(secret, response.text)
		(ack,) = frappe.get_all(
			"Email Queue", {"reference_doctype": "Ombudsman Case", "reference_name": case}, pluck="name"
		)
		self.assertEqual(frappe.get_all("Email Queue Recipient", {"parent": ack}, pluck="recipient"), [email])
		(entry,) = logged(channel="Ombudsman", reference_name=case, action="Complaint Received")
		self.assertEqual(entry["user"], "Guest")
		# the complainant (a guest) sees nothing of the case
		guest = self.live.guest().get(f"{self.live.url}/api/resource/Ombudsman Case/{case}")
		self.assertEqual(guest.status_code, 403)
		self.assertNotIn("session notes", guest.text)

	def test_a_complaint_is_kept_when_no_acknowledgement_can_be_sent(self):
		"""A site without an outgoing mail account still takes the complaint: the owed
		acknowledgement is logged, nothing is lost."""
		accounts = frappe.get_all(
			"Email Account", {"enable_outgoing": 1}, ["name", "default_outgoing"], ignore_ifnull=True
		)
		frappe.db.sql("UPDATE `tabEmail Account` SET enable_outgoing = 0, default_outgoing = 0")
		frappe.db.commit()  # the site's server sees no outgoing account

		def restore():
			for row in accounts:
				frappe.db.set_value(
					"Email Account",
					row.name,
					{"enable_outgoing": 1, "default_outgoing": row.default_outgoing},
				)
			frappe.db.commit()
			frappe.local.outgoing_email_account = {}

		self.addCleanup(restore)
		email = f"no-mail-{random_string(6).lower()}@example.com"
		response = self.complain(
			complainant_name="A. Client",
			complainant_email=email,
			about="My notes were shared",
			description="My coach shared my notes.",
		)
		self.assertEqual(response.status_code, 200, response.text[:500])
		case = response.json()["message"]
		frappe.db.commit()  # read what the server committed
		self.assertEqual(frappe.get_all("Ombudsman Case", {"complainant_email": email}, pluck="name"), [case])
		(owed,) = logged(channel="Ombudsman", reference_name=case, action="Acknowledgement Not Sent")
		self.assertEqual(owed["recipient"], email)
		self.assertEqual(
			len(logged(channel="Ombudsman", reference_name=case, action="Complaint Received")), 1
		)

	def test_bad_input_is_refused_clearly_and_creates_nothing(self):
		tag = random_string(8)
		response = self.complain(
			complainant_name=f"X {tag}", complainant_email="not-an-address", about="a", description="b"
		)
		self.assertEqual(response.status_code, 417)
		self.assertIn("not a valid email address", response.text)
		response = self.complain(
			complainant_name=f"X {tag}", complainant_email="x@example.com", about="", description="b"
		)
		self.assertEqual(response.status_code, 417)
		self.assertIn("is required", response.text)
		frappe.db.rollback()  # see what the server committed
		self.assertFalse(frappe.db.exists("Ombudsman Case", {"complainant_name": f"X {tag}"}))

	def test_the_public_form_is_rate_limited(self):
		form = dict(complainant_name="Y", complainant_email="y@example.com", about="Spam", description="Spam")
		codes = [self.complain(**form).status_code for _ in range(6)]
		self.assertEqual(codes[:5], [200] * 5)
		self.assertEqual(codes[5], 429)

	def test_the_public_page_is_served_to_a_guest(self):
		page = self.live.guest().get(f"{self.live.url}/complaint", headers={"Accept": "text/html"})
		self.assertEqual(page.status_code, 200)
		self.assertIn("confidentiality_app.api.file_complaint", page.text)


class CaseTestCase(EmailTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.live = live_site(cls, host_name=True)  # wkhtmltopdf loads the letters' assets from the site's URL
		cls.officer = make_user(roles=(OMBUDSMAN,))
		frappe.db.commit()

	def as_officer(self):
		frappe.set_user(self.officer)

	def tearDown(self):
		frappe.set_user("Administrator")
		super().tearDown()

	def case(self, lead, respondents=(), **kw) -> str:
		return complaint_case(lead, respondents, **kw)

	def investigate(self, case):
		self.as_officer()
		api.move_case(case, "Acknowledged")
		api.move_case(case, "Under Investigation")

	def releases(self):
		"""A client, a respondent coach with an account, a colleague, and what they released."""
		lead, other_lead = make_lead(), make_lead()
		employer = f"hr-{random_string(6).lower()}@employer.example"
		consent("Lead", lead.name, ["Email"], recipients=[employer])
		consent("Lead", other_lead.name, ["Email"], recipients=[employer])
		coach_user = make_user(roles=("Sales User",))
		colleague = make_user(roles=("Sales User",))
		coach = practitioner(user=coach_user)
		frappe.db.commit()
		frappe.set_user(coach_user)
		self.send(lead, [employer], subject=f"Notes {random_string(4)}")  # the release at issue
		self.send(lead, [f"friend-{random_string(5).lower()}@elsewhere.example"])  # held: not released
		self.send(other_lead, [employer])  # another client
		frappe.set_user(colleague)
		self.send(lead, [employer])  # not by the respondent
		frappe.set_user("Administrator")
		frappe.db.commit()  # the releases happened: their entries are in the log
		released = logged(channel="Email", reference_name=lead.name, user=coach_user, outcome="Allowed")
		self.assertEqual(len(released), 1)
		return lead, coach, released[0]


class TestEvidenceAndDetermination(CaseTestCase):
	def test_the_evidence_pack_holds_the_respondents_releases_of_the_client_and_no_others(self):
		lead, coach, release = self.releases()
		case = self.case(lead, [coach], incident_from=add_days(now_datetime(), -1).date())
		self.as_officer()
		pack = api.evidence_pack(case)
		self.assertEqual([e["name"] for e in pack["log"]], [release["name"]])
		self.assertEqual(len(pack["consents"]), 1)
		# the same entries as a pack anyone with the site's public key can check, with proofs
		verifiable = pack["verifiable"]
		self.assertEqual([e["entry"] for e in verifiable["entries"]], [release["name"]])
		self.assertEqual(verifiable["entries"][0]["revealed"]["recipient"]["value"], release["recipient"])
		checked, failed = logverify.verify_pack(verifiable, keys.verifiers())
		self.assertEqual(failed, [])
		self.assertIn(
			f"entry {release['sequence']} (leaf {release['sequence'] - 1}): included", "\n".join(checked)
		)
		# outside the period: nothing
		frappe.set_user("Administrator")
		later = self.case(lead, [coach], incident_from=add_days(now_datetime(), 1).date())
		self.as_officer()
		self.assertEqual(api.evidence_pack(later)["log"], [])

	def test_a_release_without_a_valid_reason_is_a_breach_of_duty_of_care_and_needs_a_sanction(self):
		lead, coach, release = self.releases()
		case = self.case(lead, [coach])
		self.investigate(case)
		with self.assertRaisesRegex(ombudsman.CaseRefused, "not a release in this case's evidence"):
			api.determine(case, [{"log_entry": "999999999", "valid_reason": 0}])
		with self.assertRaisesRegex(ombudsman.CaseRefused, "ground_missing"):
			api.determine(case, [{"log_entry": release["name"], "valid_reason": 1}])
		result = api.determine(
			case, [{"log_entry": release["name"], "valid_reason": 0, "notes": "No consent covered HR."}]
		)
		self.assertTrue(result["breach_of_confidentiality"] and result["breach_of_duty_of_care"])
		(breach,) = result["breaches"]
		self.assertEqual(
			frappe.db.get_value("Confidentiality Breach", breach, ["practitioner", "log_entry", "case"]),
			(coach, release["name"], case),
		)
		doc = frappe.get_doc("Ombudsman Case", case)
		self.assertEqual((doc.status, doc.breach_of_duty_of_care), ("Determination", 1))
		with self.assertRaisesRegex(ombudsman.CaseRefused, "raise at least one sanction"):
			api.move_case(case, "Closed")
		api.move_case(case, "Sanctions")
		frappe.get_doc(
			{"doctype": "Sanction", "sanction_type": "Suspension", "practitioner": coach, "case": case}
		).insert()
		self.assertEqual(frappe.db.get_value("Practitioner", coach, "status"), "Suspended")
		self.assertEqual(api.move_case(case, "Closed"), "Closed")
		(entry,) = logged(channel="Ombudsman", reference_name=case, action="Determine Case")
		self.assertEqual(entry["decision"], "Deny")
		# the determination letter says what was released, without a valid reason, and the
		# breach of duty of care; printing it is logged
		letter = frappe.get_print("Ombudsman Case", case, print_format="Case Determination")
		self.assertIn(release["recipient"], letter)
		self.assertIn("breach of the duty of care", letter)
		self.assertEqual(len(logged(channel="Ombudsman", reference_name=case, action="Print Case")), 1)

	def test_a_release_on_a_valid_ground_within_the_agreement_closes_without_a_sanction(self):
		lead, coach, release = self.releases()
		case = self.case(lead, [coach])
		self.investigate(case)
		result = api.determine(
			case, [{"log_entry": release["name"], "valid_reason": 1, "ground": "Written Consent"}]
		)
		self.assertFalse(result["breach_of_confidentiality"])
		self.assertEqual(result["breaches"], [])
		self.assertEqual(api.move_case(case, "Closed"), "Closed")


class TestLettersAndReferral(CaseTestCase):
	def letters(self, case) -> dict[str, str]:
		"""The letters kept on the case: file name -> the PDF's text."""
		return {
			f.file_name: pdf_text(frappe.get_doc("File", f.name).get_content())
			for f in frappe.get_all(
				"File",
				{"attached_to_doctype": "Ombudsman Case", "attached_to_name": case},
				["name", "file_name"],
			)
		}

	def queued_to(self, case) -> list[str]:
		return sorted(
			r.recipient
			for q in frappe.get_all(
				"Email Queue", {"reference_doctype": "Ombudsman Case", "reference_name": case}, pluck="name"
			)
			for r in frappe.get_doc("Email Queue", q).recipients
		)

	def test_letters_at_acknowledgement_and_determination_tell_only_the_client_what_was_released(self):
		lead, coach, release = self.releases()
		coach_address = frappe.db.get_value(
			"User", frappe.db.get_value("Practitioner", coach, "user"), "email"
		)
		friend = f"friend-{random_string(6).lower()}@elsewhere.example"
		by_client = self.case(lead, [coach])
		by_friend = self.case(lead, [coach], complainant_email=friend, complainant_is_client=1)
		for case in (by_client, by_friend):
			self.investigate(case)  # Acknowledged: the acknowledgement letters
			api.determine(case, [{"log_entry": release["name"], "valid_reason": 0}])
		frappe.set_user("Administrator")

		self.assertEqual(self.queued_to(by_client), sorted([lead.email_id, coach_address] * 2))
		self.assertEqual(self.queued_to(by_friend), sorted([friend, coach_address] * 2))
		letters = self.letters(by_client)
		self.assertEqual(len(letters), 4, sorted(letters))
		(to_client,) = [
			t for n, t in letters.items() if n.startswith("CaseDetermination") and "(client)" in n
		]
		(to_coach,) = [
			t for n, t in letters.items() if n.startswith("CaseDetermination") and "(respondent)" in n
		]
		(acknowledged,) = [
			t for n, t in letters.items() if n.startswith("CaseAcknowledgement") and "(client)" in n
		]
		self.assertIn(by_client, acknowledged)
		self.assertIn(release["recipient"], to_client)
		self.assertIn(release["recipient"], to_coach)
		# a complainant who is not the client at the client's own address (whatever the tick
		# says) is told the outcome, not what was released or to whom
		(to_friend,) = [
			t
			for n, t in self.letters(by_friend).items()
			if n.startswith("CaseDetermination") and "(complainant)" in n
		]
		self.assertNotIn(release["recipient"], to_friend)
		self.assertIn("breach of the duty of care", to_friend)
		sent = logged(channel="Ombudsman", reference_name=by_friend, action="Send Letter")
		self.assertEqual(sorted(e["recipient"] for e in sent), sorted([friend, coach_address] * 2))
		# the letters are logged as letters, not as prints
		self.assertEqual(logged(channel="Ombudsman", reference_name=by_friend, action="Print Case"), [])

	def test_a_letter_that_cannot_be_made_is_logged_and_the_stage_still_moves(self):
		lead = make_lead()
		case = self.case(lead)
		site = frappe.local.conf.host_name
		frappe.local.conf.host_name = "http://nowhere.invalid"  # wkhtmltopdf cannot load the letter
		try:
			self.as_officer()
			api.move_case(case, "Acknowledged")
		finally:
			frappe.local.conf.host_name = site
		self.assertEqual(frappe.db.get_value("Ombudsman Case", case, "status"), "Acknowledged")
		self.assertEqual(self.queued_to(case), [])
		(entry,) = logged(channel="Ombudsman", reference_name=case, action="Letter Not Sent")
		self.assertEqual(entry["recipient"], lead.email_id)
		self.assertIn("print it from the case and post it", entry["reason"])

	def test_a_referral_is_a_disclosure_the_office_approves_before_the_case_goes_and_goes_once(self):
		lead, coach, release = self.releases()
		case = self.case(lead, [coach])
		self.investigate(case)
		api.determine(case, [{"log_entry": release["name"], "valid_reason": 0}])
		regulator = f"cases-{random_string(6).lower()}@regulator.example"
		authority = (
			frappe.get_doc(
				{
					"doctype": "Disclosure Authority",
					"authority_name": f"Coaching Regulator {random_string(5)}",
					"authority_type": "Regulator",
					"email": regulator,
				}
			)
			.insert(ignore_permissions=True)
			.name
		)
		with self.assertRaisesRegex(ombudsman.CaseRefused, "government requirement or for serious danger"):
			api.refer_case(case, authority, "Written Consent", "Repeated releases")
		request = api.refer_case(
			case, authority, "Serious Danger", "The coach keeps releasing clients' notes."
		)
		dr = frappe.get_doc("Disclosure Request", request)
		self.assertEqual(
			(dr.status, dr.party, dr.recipient_email), ("Pending Approval", lead.name, regulator)
		)
		self.assertIn(("Lead", lead.name), [(r.reference_doctype, r.reference_name) for r in dr.records])
		self.assertEqual(frappe.db.get_value("Ombudsman Case", case, "referral"), request)

		def to_regulator():
			return [
				q
				for q in frappe.get_all(
					"Email Queue",
					{"reference_doctype": "Lead", "reference_name": lead.name},
					["name", "status"],
				)
				if regulator in [r.recipient for r in frappe.get_doc("Email Queue", q.name).recipients]
			]

		with self.assertRaisesRegex(ombudsman.CaseRefused, "approves it before"):
			api.send_referral(case)
		self.assertEqual(to_regulator(), [])
		# the Confidentiality Office approves it (not the Ombudsman Officer who asked)
		frappe.set_user("Administrator")
		frappe.set_user(make_user(roles=("Confidentiality Officer",)))
		api.approve_disclosure(request)
		self.as_officer()
		api.send_referral(case)
		self.assertEqual([q.status for q in to_regulator()], ["Not Sent"])
		frappe.db.commit()
		(allowed,) = logged(channel="Email", reference_name=lead.name, recipient=regulator, outcome="Allowed")
		self.assertIn(request, allowed["reason"])
		self.assertEqual(frappe.db.get_value("Disclosure Request", request, "uses"), 1)
		# the referral allowed one use: a second sending is held, not sent
		api.send_referral(case)
		self.assertEqual(sorted(q.status for q in to_regulator()), ["Held", "Not Sent"])
		self.assertEqual(len(logged(channel="Ombudsman", reference_name=case, action="Send Referral")), 2)


class TestCaseRules(CaseTestCase):
	def test_stages_change_only_through_their_actions(self):
		case = self.case(make_lead())
		self.as_officer()
		with self.assertRaisesRegex(ombudsman.CaseRefused, "cannot move"):
			api.move_case(case, "Closed")
		with self.assertRaises(frappe.PermissionError):
			call_method(
				"frappe.client.set_value",
				http_method="POST",
				doctype="Ombudsman Case",
				name=case,
				fieldname="status",
				value="Closed",
			)
		self.assertEqual(frappe.db.get_value("Ombudsman Case", case, "status"), "Received")

	def test_an_overdue_stage_is_escalated_once_with_frozen_time(self):
		case = self.case(make_lead())
		with self.freeze_time(add_days(now_datetime(), 1)):
			self.assertNotIn(case, ombudsman.escalate_overdue())
		with self.freeze_time(add_days(now_datetime(), 3)):
			self.assertIn(case, ombudsman.escalate_overdue())
			self.assertNotIn(case, ombudsman.escalate_overdue())  # once per stage
		self.assertEqual(frappe.db.get_value("Ombudsman Case", case, "escalated"), 1)
		self.assertTrue(
			frappe.db.exists("Notification Log", {"document_name": case, "for_user": self.officer})
		)
		# moving on starts the next stage's clock
		self.investigate(case)
		self.assertEqual(frappe.db.get_value("Ombudsman Case", case, "escalated"), 0)

	def test_a_practitioner_cannot_read_a_case_about_them_and_every_opening_is_logged(self):
		coach_user = make_user(roles=("Practitioner", "Sales User"))
		case = self.case(make_lead(), [practitioner(user=coach_user)])
		frappe.set_user(coach_user)
		with self.assertRaises(frappe.PermissionError):
			call_method("frappe.desk.form.load.getdoc", doctype="Ombudsman Case", name=case)
		self.assertFalse(frappe.has_permission("Ombudsman Case", "read", case))
		self.as_officer()
		call_method("frappe.desk.form.load.getdoc", doctype="Ombudsman Case", name=case)
		(entry,) = logged(channel="Ombudsman", reference_name=case, action="Open Case")
		self.assertEqual(entry["user"], self.officer)

	def test_every_export_of_cases_is_logged_case_by_case(self):
		a, b, c = (self.case(make_lead()) for _ in range(3))
		self.as_officer()
		call_method(
			"frappe.desk.reportview.export_query",
			http_method="POST",
			doctype="Ombudsman Case",
			file_format_type="CSV",
			title="Ombudsman Case",
			fields=json.dumps(["`tabOmbudsman Case`.`name`", "`tabOmbudsman Case`.`about`"]),
			filters=json.dumps([["Ombudsman Case", "name", "in", [a, b]]]),
		)
		content = frappe.response.get("filecontent").decode("utf-8")
		self.assertIn(a, content)
		self.assertNotIn(c, content)
		exported = logged(channel="Ombudsman", action="Export Case")
		self.assertEqual(sorted(e["reference_name"] for e in exported), sorted([a, b]))
		self.assertEqual({e["user"] for e in exported}, {self.officer})
		# the Data Export tool (as the Administrator, who has it): likewise
		frappe.set_user("Administrator")
		call_method(
			"frappe.core.doctype.data_export.exporter.export_data",
			http_method="POST",
			doctype="Ombudsman Case",
			select_columns=json.dumps({"Ombudsman Case": ["name", "about"]}),
			with_data=1,
			all_doctypes=0,
			file_type="CSV",
			filters=json.dumps({"name": ["in", [c]]}),
		)
		(entry,) = logged(channel="Ombudsman", action="Export Case", user="Administrator")
		self.assertEqual((entry["reference_name"], entry["basis"]), (c, "Data Export"))

	def test_outcomes_and_breaches_by_channel_count_what_was_determined(self):
		from frappe.desk.query_report import run

		def outcomes():
			return {
				(r["intake_channel"], r["outcome"]): r["cases"]
				for r in run("Case Outcomes", {})["result"]
				if isinstance(r, dict)
			}

		def breaches():
			return {
				(r["channel"], r["category"]): r["breaches"]
				for r in run("Breaches By Channel", {})["result"]
				if isinstance(r, dict)
			}

		self.as_officer()
		before, breaches_before = outcomes(), breaches()
		frappe.set_user("Administrator")
		lead, coach, release = self.releases()
		found, cleared, still_open = self.case(lead, [coach]), self.case(lead, [coach]), self.case(lead)
		self.investigate(found)
		api.determine(found, [{"log_entry": release["name"], "valid_reason": 0}])
		self.investigate(cleared)
		api.determine(
			cleared, [{"log_entry": release["name"], "valid_reason": 1, "ground": "Written Consent"}]
		)
		after, breaches_after = outcomes(), breaches()

		def grew(old, new, key):
			return new.get(key, 0) - old.get(key, 0)

		self.assertEqual(grew(before, after, ("Desk", "Breach Found")), 1)
		self.assertEqual(grew(before, after, ("Desk", "No Breach Found")), 1)
		self.assertEqual(grew(before, after, ("Desk", "Open")), 1)
		self.assertEqual(grew(breaches_before, breaches_after, ("Email", "Coach")), 1)
		self.assertTrue(still_open)
		# a practitioner without the Ombudsman roles cannot run them
		frappe.set_user("Administrator")
		frappe.set_user(make_user(roles=("Sales User",)))
		with self.assertRaises(frappe.PermissionError):
			run("Breaches By Channel", {})

	def test_only_an_ombudsman_officer_raises_a_sanction(self):
		coach = practitioner()
		case = self.case(make_lead(), [coach])
		frappe.set_user("Administrator")
		frappe.set_user(make_user(roles=("Confidentiality Officer",)))
		with self.assertRaises(frappe.PermissionError):
			frappe.get_doc(
				{"doctype": "Sanction", "sanction_type": "Warning", "practitioner": coach, "case": case}
			).insert(ignore_permissions=True)
		self.assertEqual(frappe.db.count("Sanction", {"case": case}), 0)


class TestSanctionsAct(CaseTestCase):
	def test_a_suspended_practitioners_egress_is_held_for_an_officer_until_it_ends(self):
		from confidentiality_app.decision import gate

		lead = make_lead()
		employer = f"hr-{random_string(6).lower()}@employer.example"
		consent("Lead", lead.name, ["Email", "Print"])
		coach_user = make_user(roles=("Sales User",))
		coach = practitioner(user=coach_user)
		case = self.case(lead, [coach])
		self.as_officer()
		sanction = frappe.get_doc(
			{"doctype": "Sanction", "sanction_type": "Suspension", "practitioner": coach, "case": case}
		).insert()
		frappe.set_user(coach_user)
		self.send(lead, [employer])
		(row,) = frappe.get_all(
			"Email Queue", {"reference_doctype": "Lead", "reference_name": lead.name}, ["name", "status"]
		)
		self.assertEqual(row.status, "Held")
		(held,) = frappe.get_all("Held Email", {"email_queue": row.name}, ["name", "reason"])
		self.assertIn(sanction.name, held.reason)
		# a Confidentiality Officer reviews it and releases it: that is the review, it goes
		# (and is not held again when it is sent)
		frappe.set_user("Administrator")
		frappe.set_user(make_user(roles=("Confidentiality Officer",)))
		api.release_held_email(held.name)
		self.assertEqual(frappe.db.get_value("Email Queue", row.name, "status"), "Sent")
		self.assertEqual(self.sink.count(employer), 1)
		frappe.set_user(coach_user)
		with self.assertRaises(gate.ConfidentialityBlocked):
			frappe.get_print("Lead", lead.name)
		(printed,) = logged(channel="Print", reference_name=lead.name)
		self.assertEqual(printed["basis"], sanction.name)
		# the sanction ends: the practitioner's releases are decided as anyone's again
		self.as_officer()
		sanction.status = "Ended"
		sanction.save()
		frappe.set_user(coach_user)
		self.assertIn(lead.name, frappe.get_print("Lead", lead.name))

	def test_a_mail_queued_before_a_suspension_is_held_when_the_scheduler_sends_it(self):
		from confidentiality_app.tests import mail

		lead = make_lead()
		employer = f"hr-{random_string(6).lower()}@employer.example"
		consent("Lead", lead.name, ["Email"])
		coach_user = make_user(roles=("Sales User",))
		coach = practitioner(user=coach_user)
		case = self.case(lead, [coach])
		frappe.set_user(coach_user)
		self.send(lead, [employer])  # allowed and queued: the coach is not sanctioned yet
		(row,) = frappe.get_all(
			"Email Queue", {"reference_doctype": "Lead", "reference_name": lead.name}, ["name", "status"]
		)
		self.assertEqual(row.status, "Not Sent")
		self.as_officer()
		sanction = frappe.get_doc(
			{"doctype": "Sanction", "sanction_type": "Suspension", "practitioner": coach, "case": case}
		).insert()
		frappe.set_user("Administrator")  # the scheduler
		frappe.local.confidentiality_review = {}
		frappe.db.commit()
		mail.flush()
		self.assertEqual(frappe.db.get_value("Email Queue", row.name, "status"), "Held")
		self.assertEqual(self.sink.count(employer), 0)
		(held,) = frappe.get_all("Held Email", {"email_queue": row.name}, ["name", "reason"])
		self.assertIn(sanction.name, held.reason)
		# a Confidentiality Officer reviews it and releases it: that is the review, it goes
		frappe.set_user(make_user(roles=("Confidentiality Officer",)))
		api.release_held_email(held.name)
		frappe.set_user("Administrator")
		self.assertEqual(frappe.db.get_value("Email Queue", row.name, "status"), "Sent")
		self.assertEqual(self.sink.count(employer), 1)


def set_setting(field, value):
	frappe.db.set_single_value("Confidentiality Settings", field, value)
	frappe.clear_document_cache("Confidentiality Settings", "Confidentiality Settings")


class TestIntakeRoutes(CaseTestCase):
	def tearDown(self):
		set_setting("ombudsman_inbox", None)
		set_setting("ombudsman_issue_type", None)
		set_setting("ombudsman_ticket_type", None)
		frappe.db.commit()  # never leave an intake route set for later suites
		super().tearDown()

	def test_mail_received_by_the_complaints_inbox_opens_one_case_and_acknowledges(self):
		from confidentiality_app.tests import mail

		set_setting("ombudsman_inbox", mail.ACCOUNT)
		sender = f"unhappy-{random_string(6).lower()}@example.com"
		received = frappe.get_doc(
			{
				"doctype": "Communication",
				"communication_type": "Communication",
				"communication_medium": "Email",
				"sent_or_received": "Received",
				"email_account": mail.ACCOUNT,
				"sender": sender,
				"sender_full_name": "Unhappy Client",
				"subject": "My coach told my manager",
				"content": "<p>My coach told my manager what I said.</p>",
			}
		).insert(ignore_permissions=True)
		(case,) = frappe.get_all(
			"Ombudsman Case",
			{"source_doctype": "Communication", "source_name": received.name},
			["name", "intake_channel", "complainant_email"],
		)
		self.assertEqual((case.intake_channel, case.complainant_email), ("Email", sender))
		self.assertTrue(
			frappe.db.exists(
				"Email Queue", {"reference_doctype": "Ombudsman Case", "reference_name": case.name}
			)
		)
		(entry,) = logged(channel="Ombudsman", reference_name=case.name, action="Complaint Received")
		self.assertIn("Email", entry["reason"])
		# mail to another account opens nothing
		frappe.get_doc(
			{
				"doctype": "Communication",
				"communication_type": "Communication",
				"sent_or_received": "Received",
				"sender": sender,
				"subject": "Another matter",
			}
		).insert(ignore_permissions=True)
		self.assertEqual(frappe.db.count("Ombudsman Case", {"complainant_email": sender}), 1)

	def test_an_issue_of_the_complaint_type_opens_a_linked_case_that_reports_back(self):
		if not frappe.db.exists("DocType", "Issue"):
			self.skipTest("ERPNext is not installed")
		issue_type = "Confidentiality Complaint"
		if not frappe.db.exists("Issue Type", issue_type):
			frappe.get_doc({"doctype": "Issue Type", "__newname": issue_type}).insert(ignore_permissions=True)
		set_setting("ombudsman_issue_type", issue_type)
		issue = frappe.get_doc(
			{
				"doctype": "Issue",
				"subject": "Complaint about my mentor",
				"raised_by": f"mentee-{random_string(6).lower()}@example.com",
				"issue_type": issue_type,
				"description": "My mentor shared my file.",
			}
		).insert(ignore_permissions=True)
		(case,) = frappe.get_all(
			"Ombudsman Case", {"source_doctype": "Issue", "source_name": issue.name}, pluck="name"
		)
		self.assertEqual(frappe.db.get_value("Ombudsman Case", case, "intake_channel"), "Issue")
		self.as_officer()
		api.move_case(case, "Acknowledged")
		comments = frappe.get_all(
			"Comment", {"reference_doctype": "Issue", "reference_name": issue.name}, pluck="content"
		)
		self.assertTrue(any(case in c and "Acknowledged" in c for c in comments), comments)
		# another issue type opens nothing
		frappe.set_user("Administrator")
		other = frappe.get_doc(
			{"doctype": "Issue", "subject": "Printer broken", "raised_by": "it@example.com"}
		).insert(ignore_permissions=True)
		self.assertFalse(frappe.db.exists("Ombudsman Case", {"source_name": other.name}))

	def test_a_helpdesk_ticket_of_the_complaint_type_opens_a_linked_case_that_reports_back(self):
		if "helpdesk" not in frappe.get_installed_apps():
			self.skipTest("Frappe Helpdesk is not installed on this site")
		ticket_type = "Confidentiality Complaint"
		if not frappe.db.exists("HD Ticket Type", ticket_type):
			frappe.get_doc({"doctype": "HD Ticket Type", "name": ticket_type}).insert(ignore_permissions=True)
		set_setting("ombudsman_ticket_type", ticket_type)
		mentee = f"mentee-{random_string(6).lower()}@example.com"
		ticket = frappe.get_doc(
			{
				"doctype": "HD Ticket",
				"subject": "Complaint about my mentor",
				"raised_by": mentee,
				"ticket_type": ticket_type,
				"description": "My mentor shared my file.",
			}
		).insert(ignore_permissions=True)
		(case,) = frappe.get_all(
			"Ombudsman Case", {"source_doctype": "HD Ticket", "source_name": str(ticket.name)}, pluck="name"
		)
		doc = frappe.get_doc("Ombudsman Case", case)
		self.assertEqual((doc.intake_channel, doc.complainant_email), ("Helpdesk", mentee))
		self.assertEqual(
			frappe.get_all(
				"Email Queue", {"reference_doctype": "Ombudsman Case", "reference_name": case}, pluck="name"
			).__len__(),
			1,
		)  # acknowledged
		self.as_officer()
		api.move_case(case, "Acknowledged")

		def conversation():
			return frappe.get_all(
				"HD Ticket Comment", {"reference_ticket": str(ticket.name)}, pluck="content"
			)

		self.assertTrue(any(case in c and "opened" in c for c in conversation()), conversation())
		self.assertTrue(any(case in c and "Acknowledged" in c for c in conversation()), conversation())
		(entry,) = logged(channel="Ombudsman", reference_name=case, action="Complaint Received")
		self.assertIn("Helpdesk", entry["reason"])
		# another ticket type opens nothing
		frappe.set_user("Administrator")
		other = frappe.get_doc(
			{
				"doctype": "HD Ticket",
				"subject": "Login broken",
				"raised_by": "it@example.com",
				"description": "x",
			}
		).insert(ignore_permissions=True)
		self.assertFalse(
			frappe.db.exists(
				"Ombudsman Case", {"source_doctype": "HD Ticket", "source_name": str(other.name)}
			)
		)
