# Copyright (c) 2026, confidentiality_app contributors
# See license.txt

import frappe
from frappe.utils import random_string

from confidentiality_app import api
from confidentiality_app.tests.utils import ConfidentialityTestCase, consent, make_lead


def make_form(title, version, status="Draft", requires_reconsent=0):
	return frappe.get_doc(
		{
			"doctype": "Consent Form",
			"form_title": title,
			"version": version,
			"status": status,
			"requires_reconsent": requires_reconsent,
			"wording": f"<p>I agree ({version}).</p>",
		}
	).insert()


class TestConsentForm(ConfidentialityTestCase):
	def test_new_current_version_archives_the_old_one(self):
		title = f"Coaching agreement {random_string(5)}"
		v1 = make_form(title, 1, "Current")
		v2 = make_form(title, 2, "Current")
		self.assertEqual(frappe.db.get_value("Consent Form", v1.name, "status"), "Archived")
		self.assertEqual(frappe.db.get_value("Consent Form", v2.name, "status"), "Current")

	def test_published_wording_cannot_change(self):
		form = make_form(f"Form {random_string(5)}", 1, "Current")
		form.wording = "<p>Different words</p>"
		with self.assertRaises(frappe.ValidationError):
			form.save()

	def test_consent_only_on_current_version(self):
		lead = make_lead()
		draft = make_form(f"Form {random_string(5)}", 1)
		with self.assertRaises(frappe.ValidationError):
			consent("Lead", lead.name, consent_form=draft.name)

	def test_reconsent_version_supersedes_earlier_consents(self):
		title = f"Agreement {random_string(5)}"
		v1 = make_form(title, 1, "Current")
		lead = make_lead()
		name = consent("Lead", lead.name, ["Share"], consent_form=v1.name)
		self.assertTrue(api.check("Lead", lead.name, "Share")["allowed"])
		make_form(title, 2, "Current", requires_reconsent=1)
		self.assertEqual(frappe.db.get_value("Client Consent", name, "status"), "Expired")
		result = api.check("Lead", lead.name, "Share")
		self.assertFalse(result["allowed"])
		self.assertEqual(result["code"], "superseded")

	def test_new_version_without_reconsent_keeps_consents(self):
		title = f"Agreement {random_string(5)}"
		v1 = make_form(title, 1, "Current")
		lead = make_lead()
		consent("Lead", lead.name, ["Share"], consent_form=v1.name)
		make_form(title, 2, "Current", requires_reconsent=0)
		self.assertTrue(api.check("Lead", lead.name, "Share")["allowed"])
