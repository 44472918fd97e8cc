# Copyright (c) 2026, confidentiality_app contributors and Contributors
# See license.txt
"""Configuration changes: only Confidentiality Officers make them, each one is logged with
before and after, and a configuration that protects nothing is refused."""

import frappe

from confidentiality_app.confidentiality.doctype.confidentiality_settings.confidentiality_settings import (
	SettingsChangeRefused,
)
from confidentiality_app.decision.gate import ConfidentialityBlocked
from confidentiality_app.decision.permissions import OFFICER
from confidentiality_app.tests.utils import (
	ConfidentialityTestCase,
	log_of,
	make_lead,
	make_user,
	set_mode,
	shares_of,
)

SETTINGS = "Confidentiality Settings"


def settings_log(**filters):
	return log_of(SETTINGS, SETTINGS, **filters)


def lead_row(doc):
	return next(r for r in doc.protected_doctypes if r.document_type == "Lead" and not r.client_field)


class TestConfidentialitySettings(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		set_mode("Enforce")
		cls.sysman = make_user("cf-settings-sysman@example.com", roles=("System Manager",))
		cls.officer = make_user("cf-settings-officer@example.com", roles=(OFFICER,))
		cls.coach = make_user("cf-settings-coach@example.com")

	def setUp(self):
		super().setUp()
		frappe.db.savepoint("cf_settings_test")

	def tearDown(self):
		frappe.set_user("Administrator")
		# settings changes of a test do not leak into the next one
		frappe.db.rollback(save_point="cf_settings_test")
		frappe.clear_document_cache(SETTINGS, SETTINGS)
		set_mode("Enforce")

	def test_a_system_manager_alone_cannot_change_the_mode(self):
		frappe.set_user(self.sysman)
		with self.assertRaises(frappe.PermissionError):
			frappe.client.set_value(SETTINGS, SETTINGS, "mode", "Monitor")
		frappe.set_user("Administrator")
		self.assertEqual(frappe.db.get_single_value(SETTINGS, "mode"), "Enforce")

	def test_a_system_manager_saving_without_permission_checks_is_refused_and_logged(self):
		frappe.set_user(self.sysman)
		doc = frappe.get_single(SETTINGS)
		lead_row(doc).enabled = 0
		with self.assertRaises(SettingsChangeRefused):
			doc.save(ignore_permissions=True)
		frappe.set_user("Administrator")
		entry = settings_log()[0]
		self.assertEqual((entry.user, entry.outcome), (self.sysman, "Blocked"))
		self.assertIn("Protected doctype Lead: disabled", entry.reason)
		self.assertTrue(lead_row(frappe.get_single(SETTINGS)).enabled)

	def test_an_officer_disabling_a_protected_doctype_is_logged_with_before_and_after(self):
		frappe.set_user(self.officer)
		doc = frappe.get_single(SETTINGS)
		lead_row(doc).enabled = 0
		doc.save()
		frappe.set_user("Administrator")
		entry = settings_log(action="Change Settings")[0]
		self.assertEqual((entry.user, entry.outcome), (self.officer, "Recorded"))
		self.assertIn("Protected doctype Lead: disabled", entry.reason)
		# and kept as a Version outside tests (Frappe skips Versions while testing)
		self.assertTrue(frappe.get_meta(SETTINGS).track_changes)

	def test_mode_and_office_member_changes_are_logged(self):
		frappe.set_user(self.officer)
		doc = frappe.get_single(SETTINGS)
		doc.mode = "Monitor"
		doc.append("office_members", {"user": self.coach})
		doc.save()
		frappe.set_user("Administrator")
		entry = settings_log(action="Change Mode")[0]
		self.assertIn("Mode: Enforce -> Monitor", entry.reason)
		self.assertIn(f"Office member added: {self.coach}", entry.reason)

	def test_making_a_client_optional_is_logged(self):
		doc = frappe.get_single(SETTINGS)
		lead_row(doc).client_optional = 1
		doc.save()
		self.assertIn("Protected doctype Lead: client optional 0 -> 1", settings_log()[0].reason)

	def test_an_empty_protected_list_is_refused(self):
		doc = frappe.get_single(SETTINGS)
		doc.set("protected_doctypes", [])
		with self.assertRaises(frappe.ValidationError):
			doc.save()
		doc = frappe.get_single(SETTINGS)
		for row in doc.protected_doctypes:
			row.enabled = 0
		with self.assertRaises(frappe.ValidationError):
			doc.save()

	def test_re_enabling_a_doctype_decides_the_shares_made_while_it_was_off(self):
		doc = frappe.get_single(SETTINGS)
		lead_row(doc).enabled = 0
		doc.save()
		lead = make_lead()
		frappe.share.add("Lead", lead.name, self.coach)  # not protected: no decision
		self.assertEqual(len(shares_of("Lead", lead.name)), 1)
		doc = frappe.get_single(SETTINGS)
		lead_row(doc).enabled = 1
		doc.save()
		self.assertEqual(shares_of("Lead", lead.name), [])
		self.assertEqual(log_of("Lead", lead.name)[0].outcome, "Revoked")
		with self.assertRaises(ConfidentialityBlocked):
			frappe.share.add("Lead", lead.name, self.coach)

	def test_rows_that_cannot_name_a_client_are_refused(self):
		doc = frappe.get_single(SETTINGS)
		doc.append(
			"protected_doctypes", {"document_type": "Lead", "client_field": "no_such_field", "enabled": 1}
		)
		with self.assertRaises(frappe.ValidationError):
			doc.save()
