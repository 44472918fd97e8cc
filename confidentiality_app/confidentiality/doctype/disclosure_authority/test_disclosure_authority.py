# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt

import frappe
from frappe.utils import random_string

from confidentiality_app.install import STANDARD_AUTHORITIES
from confidentiality_app.tests.utils import ConfidentialityTestCase, logged, make_user


class TestDisclosureAuthority(ConfidentialityTestCase):
	def test_the_regulator_named_by_the_code_is_seeded(self):
		name, authority_type = STANDARD_AUTHORITIES[0][:2]
		self.assertEqual(name, "International Regulator of Coaching and Mentoring CIC")
		doc = frappe.get_doc("Disclosure Authority", name)
		self.assertEqual((doc.authority_type, doc.is_standard, doc.disabled), ("Regulator", 1, 0))

	def test_a_standard_authority_cannot_be_deleted(self):
		name = STANDARD_AUTHORITIES[0][0]
		with self.assertRaises(frappe.ValidationError):
			frappe.delete_doc("Disclosure Authority", name)
		self.assertTrue(frappe.db.exists("Disclosure Authority", name))

	def test_registering_and_changing_an_authority_is_logged(self):
		doc = frappe.get_doc(
			{
				"doctype": "Disclosure Authority",
				"authority_name": f"Safeguarding Board {random_string(5)}",
				"authority_type": "Government Body",
				"email": "board@gov.example",
			}
		).insert()
		doc.disabled = 1
		doc.save()
		entries = logged(reference_doctype="Disclosure Authority", reference_name=doc.name)
		self.assertEqual(len(entries), 2, entries)
		self.assertTrue(any("disabled: 0 -> 1" in e["reason"] for e in entries), entries)

	def test_only_the_office_maintains_the_register(self):
		user = make_user(roles=("Sales User", "Practitioner"))
		frappe.set_user(user)
		try:
			with self.assertRaises(frappe.PermissionError):
				frappe.get_doc(
					{
						"doctype": "Disclosure Authority",
						"authority_name": f"Made up {random_string(5)}",
						"authority_type": "Regulator",
					}
				).insert()
			self.assertTrue(frappe.has_permission("Disclosure Authority", "read"))
		finally:
			frappe.set_user("Administrator")
