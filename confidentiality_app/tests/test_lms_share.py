"""Frappe LMS: a learner's User is a client; sharing their enrollment or a batch they are
in needs their consent (every student's for a batch). Runs when Frappe LMS is installed
on the site, is skipped otherwise."""

import unittest

import frappe
from frappe.utils import add_days, random_string, today

from confidentiality_app.decision.gate import ConfidentialityBlocked
from confidentiality_app.tests.fixtures import ConfidentialityTestCase, consent, log_of, make_user, shares_of


def lms_installed():
	return "lms" in frappe.get_installed_apps()


class TestLMSShare(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		if not lms_installed():
			raise unittest.SkipTest("Frappe LMS is not installed on this site")
		cls.instructor = make_user("cf-lms-instructor@example.com", roles=("Course Creator",))
		# staff whose roles read no enrolment (LMS gives every new user LMS Student, which
		# reads them all: make_user takes it away again)
		cls.staff = make_user("cf-lms-staff@example.com", roles=("Sales User",))

	def learner(self):
		email = f"cf-learner-{random_string(8).lower()}@example.com"
		frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": "Learner",
				"last_name": email.split("@")[0][-8:],
				"send_welcome_email": 0,
				"user_type": "Website User",
			}
		).insert(ignore_permissions=True)
		return email

	def course(self):
		return frappe.get_doc(
			{
				"doctype": "LMS Course",
				"title": f"Coaching Basics {random_string(8)}",
				"description": "<p>How coaching works.</p>",
				"short_introduction": "How coaching works.",
				"image": "/files/cf-lms-course.png",
				"instructors": [{"instructor": self.instructor}],
			}
		).insert(ignore_permissions=True)

	def enrollment(self, member):
		return frappe.get_doc(
			{"doctype": "LMS Enrollment", "course": self.course().name, "member": member}
		).insert(ignore_permissions=True)

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
				"instructors": [{"instructor": self.instructor}],
				"students": [{"student": s} for s in students],
			}
		).insert(ignore_permissions=True)

	def test_lms_doctypes_are_protected_by_default(self):
		rows = {
			(r.document_type, r.client_field or "")
			for r in frappe.get_single("Confidentiality Settings").protected_doctypes
		}
		self.assertIn(("User", ""), rows)
		self.assertIn(("LMS Enrollment", "member"), rows)
		self.assertIn(("LMS Batch", "students.student"), rows)

	def test_new_user_is_shared_with_themself_without_consent(self):
		# User.on_update shares a new user's own record with them (share_with_self): sharing
		# a client's record with the client needs no consent.
		learner = self.learner()
		self.assertTrue(frappe.db.exists("User", learner))
		self.assertEqual([s.user for s in shares_of("User", learner)], [learner])
		entry = log_of("User", learner)[0]
		self.assertEqual((entry.decision, entry.outcome), ("Allow", "Allowed"))
		self.assertEqual(entry.recipient, learner)
		self.assertEqual(entry.basis, "to_client")

		# sharing the learner's User with staff is a disclosure
		with self.assertRaises(ConfidentialityBlocked):
			frappe.share.add("User", learner, self.staff)
		self.assertEqual([s.user for s in shares_of("User", learner)], [learner])

	def test_enrollment_share_needs_the_learners_consent(self):
		learner = self.learner()
		enrollment = self.enrollment(learner)

		with self.assertRaises(ConfidentialityBlocked) as ctx:
			frappe.share.add("LMS Enrollment", enrollment.name, self.staff)
		self.assertIn(learner, str(ctx.exception))
		self.assertIn("no consent for purpose Share", str(ctx.exception))
		self.assertEqual(shares_of("LMS Enrollment", enrollment.name), [])
		entry = log_of("LMS Enrollment", enrollment.name)[0]
		self.assertEqual((entry.decision, entry.outcome), ("Deny", "Blocked"))
		self.assertEqual((entry.client_doctype, entry.client_name), ("User", learner))
		self.assertEqual(entry.recipient, self.staff)

		# the learner themself may always be given their own enrollment
		frappe.share.add("LMS Enrollment", enrollment.name, learner)

		name = consent("User", learner, ["Share"])
		frappe.share.add("LMS Enrollment", enrollment.name, self.staff)
		self.assertEqual(
			sorted(s.user for s in shares_of("LMS Enrollment", enrollment.name)),
			sorted([learner, self.staff]),
		)
		entry = log_of("LMS Enrollment", enrollment.name)[0]
		self.assertEqual((entry.decision, entry.outcome, entry.basis), ("Allow", "Allowed", name))

	def test_batch_share_needs_every_students_consent(self):
		first, second = self.learner(), self.learner()
		batch = self.batch([first, second])

		consent("User", first, ["Share"])
		with self.assertRaises(ConfidentialityBlocked) as ctx:
			frappe.share.add("LMS Batch", batch.name, self.staff)
		self.assertIn(second, str(ctx.exception))
		self.assertEqual(shares_of("LMS Batch", batch.name), [])
		entry = log_of("LMS Batch", batch.name)[0]
		self.assertEqual(entry.outcome, "Blocked")
		self.assertEqual((entry.client_doctype, entry.client_name), ("User", second))

		consent("User", second, ["Share"])
		frappe.share.add("LMS Batch", batch.name, self.staff)
		self.assertEqual([s.user for s in shares_of("LMS Batch", batch.name)], [self.staff])
		self.assertEqual(log_of("LMS Batch", batch.name)[0].outcome, "Allowed")
