# Copyright (c) 2026, confidentiality_app contributors and Contributors
# See license.txt
"""Consent purposes name what a consent covers: the standard ones stay, none is renamed."""

import frappe

from confidentiality_app.decision.identity import IdentityChangeRefused
from confidentiality_app.install import STANDARD_PURPOSES
from confidentiality_app.tests.utils import ConfidentialityTestCase, log_of


class TestConsentPurpose(ConfidentialityTestCase):
	def test_standard_purposes_exist(self):
		for purpose in STANDARD_PURPOSES:
			self.assertEqual(frappe.db.get_value("Consent Purpose", purpose, "is_standard"), 1)

	def test_a_standard_purpose_cannot_be_deleted(self):
		with self.assertRaises(frappe.ValidationError):
			frappe.delete_doc("Consent Purpose", "Marketing", ignore_permissions=True)
		self.assertTrue(frappe.db.exists("Consent Purpose", "Marketing"))

	def test_no_purpose_can_be_renamed_not_even_with_force(self):
		custom = frappe.get_doc({"doctype": "Consent Purpose", "purpose_name": "Supervision"}).insert(
			ignore_permissions=True
		)
		for name in ("Share", custom.name):
			with self.assertRaises(IdentityChangeRefused):
				frappe.rename_doc("Consent Purpose", name, f"{name} (renamed)", force=True)
			self.assertTrue(frappe.db.exists("Consent Purpose", name))
		self.assertEqual(log_of("Consent Purpose", "Share", action="Rename")[0].outcome, "Blocked")

	def test_renaming_is_switched_off_in_the_doctype(self):
		self.assertFalse(frappe.get_meta("Consent Purpose").allow_rename)
