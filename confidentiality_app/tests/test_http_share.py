"""A share refused over HTTP, as a logged-in non-admin user: the request is rolled back
but its log entry survives."""

import frappe
from frappe.tests.test_api import make_request
from frappe.utils import get_test_client, random_string

from confidentiality_app.tests.fixtures import (
	ConfidentialityTestCase,
	consent,
	log_of,
	make_lead,
	make_user,
	shares_of,
)

PASSWORD = "Cf-" + random_string(12) + "-9!"


class TestHTTPShare(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sharer = make_user(
			f"cf-http-{random_string(6).lower()}@example.com", roles=("Sales User",), password=PASSWORD
		)
		cls.target = make_user("cf-http-target@example.com")
		cls.lead = make_lead()
		cls.consented = make_lead()
		consent("Lead", cls.consented.name, ["Share"])
		# the WSGI app runs in another thread on its own DB connection: it must see these
		frappe.db.commit()
		cls.addClassCleanup(cls.remove_committed)
		cls.client = get_test_client()
		response = make_request(
			cls.client.post, ("/api/method/login",), {"data": {"usr": cls.sharer, "pwd": PASSWORD}}
		)
		assert response.status_code == 200, response.get_data(as_text=True)

	@classmethod
	def remove_committed(cls):
		"""Runs even when setUpClass fails after its commit."""
		frappe.db.rollback()
		frappe.set_user("Administrator")
		for lead in (cls.lead, cls.consented):
			frappe.db.delete("DocShare", {"share_doctype": "Lead", "share_name": lead.name})
		frappe.delete_doc("User", cls.sharer, force=True, ignore_permissions=True)
		frappe.db.commit()

	def share(self, lead):
		return make_request(
			self.client.post,
			("/api/method/frappe.share.add",),
			{"data": {"doctype": "Lead", "name": lead, "user": self.target, "read": 1}},
		)

	def test_blocked_share_over_http_is_logged_despite_rollback(self):
		response = self.share(self.lead.name)
		self.assertEqual(response.status_code, 403, response.get_data(as_text=True))
		self.assertIn("no consent for purpose Share", response.get_data(as_text=True))
		frappe.db.rollback()  # see what the request committed
		self.assertEqual(shares_of("Lead", self.lead.name), [])
		entries = log_of("Lead", self.lead.name)
		self.assertEqual(len(entries), 1)
		entry = entries[0]
		self.assertEqual((entry.user, entry.decision, entry.outcome), (self.sharer, "Deny", "Blocked"))
		self.assertEqual(entry.recipient, self.target)
		self.assertIn("frappe.share.add", entry.context)

	def test_consented_share_over_http_is_allowed(self):
		response = self.share(self.consented.name)
		self.assertEqual(response.status_code, 200, response.get_data(as_text=True))
		frappe.db.rollback()
		self.assertEqual([s.user for s in shares_of("Lead", self.consented.name)], [self.target])
		self.assertEqual(log_of("Lead", self.consented.name)[0].outcome, "Allowed")
