"""Marketing and publications on the real site: mailing lists (add_subscribers,
EmailGroup.import_from), ERPNext Email Campaigns, Newsletters sent through the real queue,
Web Pages and Blog Posts that name a client."""

from __future__ import annotations

import frappe
from frappe.utils import add_days, random_string, today

from confidentiality_app.channels import publication
from confidentiality_app.log import audit
from confidentiality_app.rules import policy
from confidentiality_app.tests import mail
from confidentiality_app.tests.fixtures import (
	ConfidentialityTestCase,
	EmailTestCase,
	consent,
	make_lead,
	queue_of,
)


def email_group() -> str:
	return (
		frappe.get_doc({"doctype": "Email Group", "title": f"CF list {random_string(6)}"})
		.insert(ignore_permissions=True)
		.name
	)


def members(group) -> list[str]:
	return frappe.get_all("Email Group Member", {"email_group": group}, pluck="email")


class TestMailingLists(ConfidentialityTestCase):
	def test_adding_a_client_without_marketing_consent_is_refused_with_the_reason(self):
		lead = make_lead()
		group = email_group()
		from frappe.email.doctype.email_group.email_group import add_subscribers

		with self.assertRaises(frappe.PermissionError) as refused:
			add_subscribers(group, lead.email_id)
		self.assertIn("Marketing", str(refused.exception))
		self.assertEqual(members(group), [])
		audit.seal()
		(entry,) = audit.entries({"channel": "Marketing", "recipient": policy.normalise(lead.email_id)})
		self.assertEqual((entry["decision"], entry["outcome"]), ("Deny", "Blocked"))

	def test_a_client_with_marketing_consent_joins_and_strangers_always_can(self):
		lead = make_lead()
		consent(lead.doctype, lead.name, ["Marketing"])
		group = email_group()
		stranger = f"someone-{random_string(6).lower()}@elsewhere.example"
		from frappe.email.doctype.email_group.email_group import add_subscribers

		add_subscribers(group, f"{lead.email_id}\n{stranger}")
		self.assertEqual(sorted(members(group)), sorted([lead.email_id, stranger]))

	def test_an_email_consent_is_not_a_marketing_consent(self):
		lead = make_lead()
		consent(lead.doctype, lead.name, ["Email"])
		group = email_group()
		member = frappe.get_doc(
			{"doctype": "Email Group Member", "email_group": group, "email": lead.email_id}
		)
		with self.assertRaises(frappe.PermissionError):
			member.insert(ignore_permissions=True)

	def test_import_from_leads_adds_only_consented_clients(self):
		consented, refused = make_lead(), make_lead()
		consent(consented.doctype, consented.name, ["Marketing"])
		group = frappe.get_doc("Email Group", email_group())
		group.import_from("Lead")
		found = members(group.name)
		self.assertIn(consented.email_id, found)
		self.assertNotIn(refused.email_id, found)

	def test_changing_a_members_address_to_a_client_is_decided(self):
		lead = make_lead()
		group = email_group()
		member = frappe.get_doc(
			{
				"doctype": "Email Group Member",
				"email_group": group,
				"email": f"x-{random_string(5)}@elsewhere.example",
			}
		).insert(ignore_permissions=True)
		member.email = lead.email_id
		with self.assertRaises(frappe.PermissionError):
			member.save(ignore_permissions=True)
		self.assertNotEqual(frappe.db.get_value("Email Group Member", member.name, "email"), lead.email_id)

	def test_email_campaign_to_a_lead_needs_marketing_consent(self):
		lead = make_lead()
		template = frappe.get_doc(
			{
				"doctype": "Email Template",
				"name": f"CF {random_string(6)}",
				"subject": "News",
				"response": "News",
			}
		).insert(ignore_permissions=True)
		campaign = frappe.get_doc(
			{
				"doctype": "Campaign",
				"campaign_name": f"CF {random_string(6)}",
				"campaign_schedules": [{"email_template": template.name, "send_after_days": 1}],
			}
		).insert(ignore_permissions=True)
		doc = frappe.get_doc(
			{
				"doctype": "Email Campaign",
				"campaign_name": campaign.name,
				"email_campaign_for": "Lead",
				"recipient": lead.name,
				"start_date": add_days(today(), 1),
			}
		)
		with self.assertRaises(frappe.PermissionError) as refused:
			doc.insert(ignore_permissions=True)
		self.assertIn("Marketing", str(refused.exception))
		consent(lead.doctype, lead.name, ["Marketing"])
		doc.insert(ignore_permissions=True)
		self.assertTrue(frappe.db.exists("Email Campaign", doc.name))


class TestNewsletter(EmailTestCase):
	def test_a_real_newsletter_reaches_consented_clients_and_strangers_only(self):
		consented, refused = make_lead(), make_lead()
		consent(consented.doctype, consented.name, ["Marketing"])
		group = email_group()
		stranger = f"reader-{random_string(6).lower()}@elsewhere.example"
		for address in (consented.email_id, stranger):
			frappe.get_doc({"doctype": "Email Group Member", "email_group": group, "email": address}).insert(
				ignore_permissions=True
			)
		# a client on the list from before the app (or through raw SQL): the send decides
		frappe.db.sql(
			"INSERT INTO `tabEmail Group Member` (name, email_group, email, unsubscribed, creation, modified) VALUES (%s, %s, %s, 0, NOW(), NOW())",
			(random_string(10), group, refused.email_id),
		)
		newsletter = frappe.get_doc(
			{
				"doctype": "Newsletter",
				"subject": f"CF news {random_string(6)}",
				"sender_email": mail.SENDER,
				"content_type": "Rich Text",
				"message": "<p>Our spring programme</p>",
				"email_group": [{"email_group": group}],
			}
		).insert(ignore_permissions=True)
		newsletter.send_emails()
		mail.flush()
		self.assertEqual(self.sink.count(consented.email_id), 1)
		self.assertEqual(self.sink.count(stranger), 1)
		self.assertEqual(self.sink.count(refused.email_id), 0)
		held = [r for r in queue_of(reference_name=newsletter.name) if r.status == "Held"]
		self.assertEqual(len(held), 1)


class TestPublications(ConfidentialityTestCase):
	def web_page(self, text, published=1):
		return frappe.get_doc(
			{
				"doctype": "Web Page",
				"title": f"Our stories {random_string(6)}",
				"route": f"cf-stories-{random_string(6).lower()}",
				"published": published,
				"content_type": "Rich Text",
				"main_section": text,
			}
		)

	def test_a_page_naming_a_client_by_full_name_is_refused(self):
		lead = make_lead(first_name="Philippa", last_name=f"Quartermaine{random_string(4)}")
		page = self.web_page(f"<p>A success story: {lead.lead_name}, who changed career.</p>")
		with self.assertRaises(frappe.PermissionError) as refused:
			page.insert(ignore_permissions=True)
		self.assertIn("Presentation", str(refused.exception))
		self.assertFalse(frappe.db.exists("Web Page", {"route": page.route}))

	def test_a_page_naming_a_client_by_address_is_refused(self):
		lead = make_lead()
		page = self.web_page(f"<p>Write to {lead.email_id} for a reference.</p>")
		with self.assertRaises(frappe.PermissionError):
			page.insert(ignore_permissions=True)

	def test_a_draft_is_not_decided_but_publishing_it_is(self):
		lead = make_lead(first_name="Bartholomew", last_name=f"Fenwick{random_string(4)}")
		page = self.web_page(f"<p>{lead.lead_name}</p>", published=0).insert(ignore_permissions=True)
		page.published = 1
		with self.assertRaises(frappe.PermissionError):
			page.save(ignore_permissions=True)

	def test_with_presentation_consent_the_page_is_published(self):
		lead = make_lead(first_name="Ottoline", last_name=f"Marchbanks{random_string(4)}")
		consent(lead.doctype, lead.name, ["Presentation"])
		page = self.web_page(f"<p>{lead.lead_name} agreed to tell her story.</p>").insert(
			ignore_permissions=True
		)
		self.assertTrue(page.published)

	def test_a_blog_post_naming_a_client_is_refused(self):
		lead = make_lead(first_name="Cornelius", last_name=f"Abernethy{random_string(4)}")
		blogger = frappe.get_all("Blogger", pluck="name", limit=1) or [
			frappe.get_doc({"doctype": "Blogger", "short_name": f"cf{random_string(4)}", "full_name": "CF"})
			.insert(ignore_permissions=True)
			.name
		]
		category = frappe.get_all("Blog Category", pluck="name", limit=1) or [
			frappe.get_doc({"doctype": "Blog Category", "title": f"CF {random_string(4)}"})
			.insert(ignore_permissions=True)
			.name
		]
		post = frappe.get_doc(
			{
				"doctype": "Blog Post",
				"title": f"Coaching works {random_string(5)}",
				"blogger": blogger[0],
				"blog_category": category[0],
				"published": 1,
				"content_type": "Rich Text",
				"content": f"<p>Take {lead.lead_name}: three sessions and a new job.</p>",
			}
		)
		with self.assertRaises(frappe.PermissionError):
			post.insert(ignore_permissions=True)

	def test_a_first_name_alone_does_not_match(self):
		make_lead(first_name="Wilhelmina", last_name=f"Zed{random_string(4)}")
		self.assertEqual(publication.named_clients("<p>Wilhelmina said hello</p>"), [])
