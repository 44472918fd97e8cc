"""Frappe LMS public pages are presentations: a learner (a User, the client record) is shown
on the Certified Participants page, a course's reviews or a batch's students only with
their consent for Presentation; a certificate is published only with it. The pages are
fed by guest-allowed methods, called here through their real entry point (Frappe's
`execute_cmd`, which /api/method and /api/v2/method both use) as Guest, and once over
real HTTP. Runs when Frappe LMS is installed on the site, is skipped otherwise."""

import unittest

import frappe
from frappe.utils import add_days, random_string, today

from confidentiality_app import api
from confidentiality_app.benchmarks import delete_consents
from confidentiality_app.decision.gate import ConfidentialityBlocked
from confidentiality_app.log import audit
from confidentiality_app.tests.fixtures import (
	ConfidentialityTestCase,
	call_method,
	consent,
	live_site,
	log_of,
	make_user,
	set_mode,
)

CERTIFIED = "lms.lms.api.get_certified_participants"
REVIEWS = "lms.lms.utils.get_reviews"
BATCH = "lms.lms.utils.get_batch_details"


def lms_installed():
	return "lms" in frappe.get_installed_apps()


def learner(first="Learner") -> str:
	email = f"cf-show-{random_string(8).lower()}@example.com"
	frappe.get_doc(
		{
			"doctype": "User",
			"email": email,
			"first_name": first,
			"last_name": email.split("@")[0][-8:],
			"send_welcome_email": 0,
			"user_type": "Website User",
		}
	).insert(ignore_permissions=True)
	return email


def as_guest(cmd, **kwargs):
	"""Call a whitelisted method as /api/method does for an anonymous visitor."""
	return call_as("Guest", cmd, **kwargs)


def call_as(user, cmd, **kwargs):
	"""A GET of /api/method/<cmd> as `user` (then back to Administrator)."""
	try:
		return call_method(cmd, user=user, **kwargs)
	finally:
		frappe.set_user("Administrator")


def withdraw(name):
	api.withdraw_consent(name, "The learner asked to be taken off the website")


class LMSCase(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		if not lms_installed():
			raise unittest.SkipTest("Frappe LMS is not installed on this site")
		cls.instructor = make_user("cf-lms-instructor@example.com", roles=("Course Creator",))

	def setUp(self):
		super().setUp()
		set_mode("Enforce")
		self.mark = audit.mark()

	def course(self):
		return frappe.get_doc(
			{
				"doctype": "LMS Course",
				"title": f"Coaching Basics {random_string(8)}",
				"description": "<p>How coaching works.</p>",
				"short_introduction": "How coaching works.",
				"image": "/files/cf-lms-course.png",
				"instructors": [{"instructor": self.instructor}],
				"published": 1,
			}
		).insert(ignore_permissions=True)

	def certificate(self, member, course, published=1):
		return frappe.get_doc(
			{
				"doctype": "LMS Certificate",
				"member": member,
				"course": course,
				"issue_date": today(),
				"template": "Certificate",
				"published": published,
			}
		).insert(ignore_permissions=True)

	def review(self, author, course, text):
		frappe.set_user(author)
		try:
			return frappe.get_doc(
				{"doctype": "LMS Course Review", "course": course, "review": text, "rating": 0.8}
			).insert(ignore_permissions=True)
		finally:
			frappe.set_user("Administrator")

	def batch(self, students):
		return frappe.get_doc(
			{
				"doctype": "LMS Batch",
				"title": f"Cohort {random_string(8)}",
				"description": "A coaching cohort.",
				"batch_details": "<p>Weekly sessions.</p>",
				"start_date": today(),
				"end_date": add_days(today(), 30),
				"start_time": "10:00:00",
				"end_time": "11:00:00",
				"timezone": "Europe/London",
				"seat_count": 10,
				"published": 1,
				"instructors": [{"instructor": self.instructor}],
				"students": [{"student": s} for s in students],
			}
		).insert(ignore_permissions=True)


class TestLMSPresentation(LMSCase):
	def test_publishing_a_certificate_needs_presentation_consent(self):
		member, course = learner(), self.course().name
		with self.assertRaises(ConfidentialityBlocked) as refused:
			self.certificate(member, course)
		self.assertIn("Presentation", str(refused.exception))
		self.assertFalse(frappe.db.exists("LMS Certificate", {"member": member, "published": 1}))
		(entry,) = audit.entries({"channel": "Presentation", "client_name": member}, since=self.mark)
		self.assertEqual(
			(entry["outcome"], entry["action"], entry["reference_doctype"]),
			("Blocked", "Publish", "LMS Certificate"),
		)
		# an unpublished certificate is the learner's own, not a presentation
		self.assertTrue(self.certificate(member, course, published=0).name)

	def test_a_share_consent_does_not_publish_a_certificate(self):
		member = learner()
		consent("User", member, ["Share"])
		with self.assertRaises(ConfidentialityBlocked):
			self.certificate(member, self.course().name)

	def test_certified_participants_lists_only_learners_who_consent(self):
		shown, withdrawn, course = learner(), learner(), self.course().name
		consent("User", shown, ["Presentation"])
		given = consent("User", withdrawn, ["Presentation"])
		self.certificate(shown, course)
		self.certificate(withdrawn, course)  # published while the consent stood
		withdraw(given)
		listed = {row["name"] for row in as_guest(CERTIFIED)}
		self.assertIn(shown, listed)
		self.assertNotIn(withdrawn, listed)
		entries = [e for e in log_of("Web Page", "certified-participants") if e.client_name == withdrawn]
		self.assertEqual(len(entries), 1)
		self.assertEqual((entries[0].outcome, entries[0].decision), ("Withheld", "Deny"))
		self.assertFalse([e for e in log_of("Web Page", "certified-participants") if e.client_name == shown])

	def test_a_page_viewed_again_is_logged_once(self):
		member, course = learner(), self.course().name
		given = consent("User", member, ["Presentation"])
		self.certificate(member, course)
		withdraw(given)
		for _ in range(3):
			self.assertNotIn(member, {row["name"] for row in as_guest(CERTIFIED)})
		entries = [e for e in log_of("Web Page", "certified-participants") if e.client_name == member]
		self.assertEqual(len(entries), 1)

	def test_course_reviews_show_only_authors_who_consent(self):
		course = self.course().name
		quiet, open_ = learner(), learner()
		consent("User", open_, ["Presentation"])
		self.review(quiet, course, "Private thoughts about my coaching")
		self.review(open_, course, "Happy to be quoted")
		reviews = as_guest(REVIEWS, course=course)
		self.assertEqual([r["review"] for r in reviews], ["Happy to be quoted"])
		entry = log_of("LMS Course", course)[0]
		self.assertEqual((entry.client_name, entry.outcome), (quiet, "Withheld"))
		# the author sees their own review
		mine = call_as(quiet, REVIEWS, course=course)
		self.assertEqual(
			sorted(r["review"] for r in mine), ["Happy to be quoted", "Private thoughts about my coaching"]
		)

	def test_a_batch_page_names_only_students_who_consent(self):
		quiet, open_ = learner(), learner()
		consent("User", open_, ["Presentation"])
		batch = self.batch([quiet, open_])
		details = as_guest(BATCH, batch=batch.name)
		self.assertEqual(details["students"], [open_])
		self.assertEqual(details["seats_left"], 8)  # seats are still counted on every student
		self.assertEqual(log_of("LMS Batch", batch.name)[0].client_name, quiet)

	def test_monitor_mode_shows_the_learner_and_logs_it(self):
		quiet = learner()
		batch = self.batch([quiet])
		set_mode("Monitor")
		self.assertEqual(as_guest(BATCH, batch=batch.name)["students"], [quiet])
		entry = log_of("LMS Batch", batch.name)[0]
		self.assertEqual((entry.client_name, entry.outcome, entry.decision), (quiet, "Monitored", "Deny"))


class TestLMSPresentationOverHTTP(LMSCase):
	"""A visitor's browser asks the site over real HTTP, by both API versions."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.quiet, cls.open = learner(), learner()
		cls.consents = [consent("User", cls.open, ["Presentation"])]
		cls.course_name = LMSCase.course(cls).name
		LMSCase.review(cls, cls.quiet, cls.course_name, "Not for the website")
		LMSCase.review(cls, cls.open, cls.course_name, "For the website")
		frappe.db.commit()  # the server answers on its own connections
		cls.addClassCleanup(cls.remove_committed)
		cls.site = live_site(cls)

	@classmethod
	def remove_committed(cls):
		frappe.db.rollback()
		frappe.set_user("Administrator")
		frappe.db.delete("LMS Course Review", {"course": cls.course_name})
		delete_consents(cls.consents)
		frappe.db.delete("LMS Course", cls.course_name)
		for user in (cls.quiet, cls.open):
			# the consent's evidence file is kept by the app; this test made it, it goes
			frappe.db.delete("File", {"attached_to_doctype": "User", "attached_to_name": user})
			frappe.delete_doc("User", user, force=True, ignore_permissions=True)
		frappe.db.commit()

	def test_a_visitor_reads_only_consented_reviews_by_either_api(self):
		guest = self.site.guest()
		for path in (f"/api/method/{REVIEWS}", f"/api/v2/method/{REVIEWS}"):
			response = guest.get(f"{self.site.url}{path}", params={"course": self.course_name})
			self.assertEqual(response.status_code, 200, response.text)
			body = response.json()
			reviews = body.get("message", body.get("data"))
			self.assertEqual([r["review"] for r in reviews], ["For the website"], path)
			self.assertNotIn(self.quiet, response.text)


class TestLearnersAreNotColleagues(LMSCase):
	def test_a_learner_made_a_system_user_by_lms_is_still_the_client(self):
		from confidentiality_app.decision import clients

		member = learner()
		user = frappe.get_doc("User", member)
		# Frappe LMS gives every new user "LMS Student", a desk role: a System User
		self.assertEqual((user.user_type, [r.role for r in user.roles]), ("System User", ["LMS Student"]))
		self.assertEqual(clients.desk_users([member], remember=False), {})
		self.assertIn(("User", member), clients.clients_by_address([member]).get(member, []))
		user.add_roles("Sales User")  # now they are staff
		self.assertEqual(clients.desk_users([member], remember=False), {member: member})
