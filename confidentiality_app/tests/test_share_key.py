"""Public view links (Document Share Key) are shares with everyone; the predictable
old-style key is refused for protected records, over real HTTP as Guest."""

import hashlib

import frappe

from confidentiality_app import api
from confidentiality_app.decision.gate import ConfidentialityBlocked
from confidentiality_app.tests.fixtures import (
	ConfidentialityTestCase,
	consent,
	live_site,
	log_of,
	make_lead,
	make_user,
	set_mode,
)


def keys_of(doctype, name):
	return frappe.get_all(
		"Document Share Key", {"reference_doctype": doctype, "reference_docname": name}, pluck="key"
	)


class TestShareKeys(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		set_mode("Enforce")
		cls.coach = make_user("cf-key-coach@example.com")

	def test_a_public_link_to_an_unconsented_client_is_refused(self):
		lead = make_lead()
		with self.assertRaises(ConfidentialityBlocked):
			lead.get_document_share_key()
		self.assertEqual(keys_of("Lead", lead.name), [])
		entry = log_of("Lead", lead.name)[0]
		self.assertEqual(
			(entry.action, entry.channel, entry.outcome), ("Public Link", "Document Share Key", "Blocked")
		)
		self.assertEqual(entry.recipient, "anyone with the link")

	def test_a_consent_limited_to_named_recipients_does_not_cover_a_public_link(self):
		lead = make_lead()
		consent("Lead", lead.name, ["Share"], recipients=[self.coach])
		with self.assertRaises(ConfidentialityBlocked):
			lead.get_document_share_key()

	def test_an_unlimited_share_consent_allows_it_and_withdrawal_deletes_it(self):
		lead = make_lead()
		name = consent("Lead", lead.name, ["Share"])
		key = lead.get_document_share_key()
		self.assertEqual(keys_of("Lead", lead.name), [key])
		self.assertEqual(log_of("Lead", lead.name)[0].outcome, "Allowed")
		api.withdraw_consent(name, "no longer")
		self.assertEqual(keys_of("Lead", lead.name), [])
		self.assertEqual(log_of("Lead", lead.name, action="Revoke Public Link")[0].outcome, "Revoked")

	def test_pointing_a_key_at_another_record_is_decided(self):
		lead = make_lead()
		consent("Lead", lead.name, ["Share"])
		lead.get_document_share_key()
		key_name = frappe.db.get_value("Document Share Key", {"reference_docname": lead.name})
		victim = make_lead()
		with self.assertRaises(ConfidentialityBlocked):
			frappe.client.set_value("Document Share Key", key_name, "reference_docname", victim.name)
		self.assertEqual(frappe.db.get_value("Document Share Key", key_name, "reference_docname"), lead.name)
		with self.assertRaises(ConfidentialityBlocked):
			frappe.get_doc("Document Share Key", key_name).db_set("reference_docname", victim.name)
		self.assertEqual(frappe.db.get_value("Document Share Key", key_name, "reference_docname"), lead.name)


class TestPublicLinksOverHTTP(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		set_mode("Enforce")
		cls.lead = make_lead(first_name="Secretive")
		cls.consented = make_lead(first_name="Open")
		# a link opens the record's print view: a share with everyone, and a print
		cls.consent = consent("Lead", cls.consented.name, ["Share", "Print"])
		cls.shared_only = make_lead(first_name="Shared")
		consent("Lead", cls.shared_only.name, ["Share"])
		cls.shared_only_key = cls.shared_only.get_document_share_key()
		cls.key = cls.consented.get_document_share_key()
		cls.old_setting = frappe.db.get_single_value("System Settings", "allow_older_web_view_links")
		frappe.db.set_single_value("System Settings", "allow_older_web_view_links", 1)
		frappe.db.commit()
		cls.addClassCleanup(cls.cleanup)
		cls.live = live_site(cls)  # stopped before cleanup runs

	@classmethod
	def cleanup(cls):
		frappe.db.rollback()
		frappe.db.set_single_value("System Settings", "allow_older_web_view_links", cls.old_setting or 0)
		for lead in (cls.consented, cls.shared_only):
			frappe.db.delete("Document Share Key", {"reference_docname": lead.name})
		frappe.db.commit()

	def view(self, name, key):
		return self.live.guest().get(
			f"{self.live.url}/printview", params={"doctype": "Lead", "name": name, "key": key}
		)

	def test_the_predictable_old_style_key_is_refused_for_a_protected_record(self):
		signature = hashlib.sha224(f"Lead:{self.lead.name}".encode()).hexdigest()
		response = self.view(self.lead.name, signature)
		self.assertNotEqual(response.status_code, 200)
		self.assertNotIn(self.lead.email_id, response.text)
		frappe.db.rollback()
		entry = log_of("Lead", self.lead.name)[0]
		self.assertEqual((entry.action, entry.outcome, entry.user), ("Open Public Link", "Blocked", "Guest"))
		self.assertEqual(entry.basis, "predictable_key")

	def test_a_key_without_print_consent_does_not_render_the_record(self):
		response = self.view(self.shared_only.name, self.shared_only_key)
		self.assertEqual(response.status_code, 403)
		self.assertNotIn(self.shared_only.email_id, response.text)
		frappe.db.rollback()
		(entry,) = log_of("Lead", self.shared_only.name, channel="Print")
		self.assertEqual((entry.user, entry.outcome), ("Guest", "Blocked"))

	def test_a_decided_key_opens_the_record_and_is_logged(self):
		response = self.view(self.consented.name, self.key)
		self.assertEqual(response.status_code, 200, response.text[:500])
		self.assertIn(self.consented.name, response.text)
		frappe.db.rollback()
		entry = log_of("Lead", self.consented.name, action="Open Public Link")[0]
		self.assertEqual((entry.outcome, entry.user), ("Allowed", "Guest"))
