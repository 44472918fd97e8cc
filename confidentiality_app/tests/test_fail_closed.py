"""When the decision cannot be made, the action is blocked and the attempt logged."""

from unittest.mock import patch

import frappe
import redis

from confidentiality_app.decision.gate import ConfidentialityBlocked
from confidentiality_app.tests.fixtures import (
	ConfidentialityTestCase,
	consent,
	log_of,
	make_lead,
	make_user,
	set_mode,
	shares_of,
)


class TestFailClosed(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.coach = make_user("cf-fail-coach@example.com")
		set_mode("Enforce")

	def tearDown(self):
		set_mode("Enforce")

	def test_cache_down_blocks_even_a_consented_share(self):
		lead = make_lead()
		consent("Lead", lead.name, ["Share"])  # bumps the epoch: nothing cached for this lead
		with patch.object(redis.Redis, "mget", side_effect=redis.exceptions.ConnectionError("redis down")):
			with self.assertRaises(ConfidentialityBlocked) as ctx:
				frappe.share.add("Lead", lead.name, self.coach)
		self.assertIn("could not be made", str(ctx.exception))
		self.assertEqual(shares_of("Lead", lead.name), [])
		entry = log_of("Lead", lead.name)[0]
		self.assertEqual((entry.decision, entry.outcome), ("Deny", "Blocked"))
		self.assertIn("ConnectionError", entry.basis)

	def test_cache_down_blocks_in_monitor_mode_too(self):
		lead = make_lead()
		set_mode("Monitor")
		with patch.object(redis.Redis, "mget", side_effect=redis.exceptions.ConnectionError("redis down")):
			with self.assertRaises(ConfidentialityBlocked):
				frappe.share.add("Lead", lead.name, self.coach)
		self.assertEqual(shares_of("Lead", lead.name), [])

	def test_bad_configuration_blocks_with_a_clear_message(self):
		settings = frappe.get_single("Confidentiality Settings")
		settings.append(
			"protected_doctypes", {"document_type": "ToDo", "client_field": "no_such_field", "enabled": 1}
		)
		settings.flags.ignore_validate = True
		settings.save()
		try:
			todo = frappe.get_doc({"doctype": "ToDo", "description": "x"}).insert()
			with self.assertRaises(ConfidentialityBlocked) as ctx:
				frappe.share.add("ToDo", todo.name, self.coach)
			self.assertIn("could not be made", str(ctx.exception))
			self.assertIn("no_such_field", str(ctx.exception))
			self.assertEqual(shares_of("ToDo", todo.name), [])
			self.assertEqual(log_of("ToDo", todo.name)[0].outcome, "Blocked")
		finally:
			settings.reload()
			settings.set(
				"protected_doctypes", [r for r in settings.protected_doctypes if r.document_type != "ToDo"]
			)
			settings.save()

	def test_settings_refuse_a_rule_that_cannot_resolve(self):
		settings = frappe.get_single("Confidentiality Settings")
		settings.append(
			"protected_doctypes", {"document_type": "ToDo", "client_field": "description", "enabled": 1}
		)
		with self.assertRaises(frappe.ValidationError) as ctx:
			settings.save()
		self.assertIn("ToDo", str(ctx.exception))

	def test_unknown_mode_is_enforced(self):
		lead = make_lead()
		set_mode("Bogus")
		with self.assertRaises(ConfidentialityBlocked):
			frappe.share.add("Lead", lead.name, self.coach)
		self.assertEqual(log_of("Lead", lead.name)[0].mode, "Enforce")
