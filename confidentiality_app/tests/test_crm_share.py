"""Frappe CRM: the agent auto-share and consent following CRM Lead -> CRM Deal.
Runs when Frappe CRM is installed on the site, is skipped otherwise."""

import unittest

import frappe
from frappe.utils import random_string

from confidentiality_app.decision.gate import ConfidentialityBlocked
from confidentiality_app.tests.fixtures import ConfidentialityTestCase, consent, log_of, make_user, shares_of


def crm_installed():
	return "crm" in frappe.get_installed_apps()


class TestCRMShare(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		if not crm_installed():
			raise unittest.SkipTest("Frappe CRM is not installed on this site")
		cls.agent = make_user("cf-crm-agent@example.com", roles=("Sales User",))
		# an agent whose roles do not read CRM Leads: a share gives them something new
		cls.outsider = make_user("cf-crm-outsider@example.com")

	def crm_lead(self):
		suffix = random_string(6).lower()
		return frappe.get_doc(
			{
				"doctype": "CRM Lead",
				"first_name": "Crm",
				"last_name": suffix,
				"email": f"crm-{suffix}@example.com",
			}
		).insert(ignore_permissions=True)

	def test_crm_doctypes_are_protected_by_default(self):
		rows = {
			(r.document_type, r.client_field or "")
			for r in frappe.get_single("Confidentiality Settings").protected_doctypes
		}
		self.assertIn(("CRM Lead", ""), rows)
		self.assertIn(("CRM Deal", ""), rows)

	def test_agent_auto_share_to_an_agent_who_reads_leads_is_no_new_access(self):
		"""Frappe CRM shares every lead with its agent; an agent whose roles already read CRM
		Leads gets nothing new, so assignment works without consent (logged as such)."""
		lead = self.crm_lead()
		lead.lead_owner = self.agent
		lead.save(ignore_permissions=True)
		self.assertIn(self.agent, [s.user for s in shares_of("CRM Lead", lead.name)])
		entry = log_of("CRM Lead", lead.name, recipient=self.agent)[0]
		self.assertEqual((entry.decision, entry.outcome, entry.basis), ("Allow", "Allowed", "no_new_access"))
		self.assertIn("already read it through their own roles", entry.reason)

	def test_agent_auto_share_to_an_outsider_needs_consent(self):
		lead = self.crm_lead()
		lead.lead_owner = self.outsider
		with self.assertRaises(ConfidentialityBlocked):
			lead.save(ignore_permissions=True)
		self.assertEqual(shares_of("CRM Lead", lead.name), [])
		self.assertEqual(log_of("CRM Lead", lead.name)[0].outcome, "Blocked")

		consent("CRM Lead", lead.name, ["Share"])
		lead.reload()
		lead.lead_owner = self.outsider
		lead.save(ignore_permissions=True)
		self.assertIn(self.outsider, [s.user for s in shares_of("CRM Lead", lead.name)])

	def test_consent_on_crm_lead_covers_its_deal(self):
		lead = self.crm_lead()
		deal = frappe.get_doc({"doctype": "CRM Deal", "lead": lead.name, "email": lead.email}).insert(
			ignore_permissions=True
		)
		with self.assertRaises(ConfidentialityBlocked):
			frappe.share.add("CRM Deal", deal.name, self.outsider)
		consent("CRM Lead", lead.name, ["Share"])
		frappe.share.add("CRM Deal", deal.name, self.outsider)
		self.assertEqual([s.user for s in shares_of("CRM Deal", deal.name)], [self.outsider])
