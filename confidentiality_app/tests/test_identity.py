"""Who a record is about must not move under a consent: renames and merges (Frappe rewrites
links with raw SQL) and edits of what identifies a client, through their real entry
points (frappe.rename_doc, frappe.client.set_value, document saves as desk users)."""

import frappe
from frappe.utils import random_string

from confidentiality_app.decision.gate import ConfidentialityBlocked
from confidentiality_app.decision.identity import IdentityChangeRefused
from confidentiality_app.decision.permissions import OFFICER
from confidentiality_app.log import audit, verification
from confidentiality_app.tests.fixtures import (
	ConfidentialityTestCase,
	consent,
	log_of,
	make_contact,
	make_customer,
	make_lead,
	make_user,
	set_mode,
	shares_of,
)

SALES = ("Sales User", "Sales Manager", "Sales Master Manager")


def log_rows_naming(name):
	"""Every log row that names `name` anywhere a rename could rewrite it."""
	rows = []
	for field in ("reference_name", "client_name", "user"):
		rows += audit.entries({field: name}, fields=["name", "entry_hash", field])
	return sorted((str(r["name"]), r.get("entry_hash") or "") for r in rows)


class TestRenameAndMerge(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.coach = make_user("cf-id-coach@example.com")
		set_mode("Enforce")

	def tearDown(self):
		frappe.set_user("Administrator")

	def test_rename_of_a_client_keeps_the_consent_with_the_person_and_the_log_unchanged(self):
		customer = make_customer()
		old = customer.name
		name = consent("Customer", old, ["Share"])
		frappe.share.add("Customer", old, self.coach)
		audit.flush_pending()
		logged = log_rows_naming(old)
		self.assertTrue(logged)

		new = f"{old}-renamed"
		frappe.rename_doc("Customer", old, new)

		# the consent follows the person it was given by (the same record, renamed)
		self.assertEqual(frappe.db.get_value("Client Consent", name, "party"), new)
		self.assertEqual([s.user for s in shares_of("Customer", new)], [self.coach])
		# the log is evidence of what happened under the old name: never rewritten
		self.assertEqual(log_rows_naming(old), logged)
		self.assertTrue(verification.verify().ok)
		entry = log_of("Customer", new, action="Rename")[0]
		self.assertEqual(entry.basis, f"{old} -> {new}")

	def test_a_new_record_taking_a_renamed_clients_old_name_is_not_covered(self):
		customer = make_customer()
		old = customer.name
		consent("Customer", old, ["Share"])
		frappe.share.add("Customer", old, self.coach)  # caches the old name's consents
		frappe.rename_doc("Customer", old, f"{old}-moved")
		impostor = frappe.get_doc(
			{"doctype": "Customer", "customer_name": "Impostor", "customer_type": "Individual"}
		)
		impostor.insert(ignore_permissions=True, set_name=old)
		self.assertEqual(impostor.name, old)
		with self.assertRaises(ConfidentialityBlocked):
			frappe.share.add("Customer", old, self.coach)

	def test_merging_a_consented_client_is_refused(self):
		consented, other = make_customer(), make_customer()
		name = consent("Customer", consented.name, ["Share"])
		for old, new in ((other.name, consented.name), (consented.name, other.name)):
			with self.assertRaises(IdentityChangeRefused) as ctx:
				frappe.rename_doc("Customer", old, new, merge=True)
			self.assertIn(name, str(ctx.exception))
			entry = log_of("Customer", old, action="Merge")[0]
			self.assertEqual((entry.decision, entry.outcome), ("Deny", "Blocked"))
		self.assertTrue(frappe.db.exists("Customer", other.name))
		self.assertEqual(frappe.db.get_value("Client Consent", name, "party"), consented.name)

	def test_merging_a_client_whose_lead_consented_is_refused(self):
		lead = make_lead()
		consent("Lead", lead.name, ["Share"])
		converted, other = make_customer(lead=lead.name), make_customer()
		with self.assertRaises(IdentityChangeRefused):
			frappe.rename_doc("Customer", other.name, converted.name, merge=True)

	def test_merge_without_consent_re_decides_the_shares_that_moved(self):
		keep, merged = make_customer(), make_customer()
		raw = frappe.get_doc(
			{
				"doctype": "DocShare",
				"share_doctype": "Customer",
				"share_name": merged.name,
				"user": self.coach,
				"read": 1,
			}
		)
		raw.set_new_name()
		raw.db_insert()  # an undecided share (as raw SQL would leave)
		frappe.rename_doc("Customer", merged.name, keep.name, merge=True)
		self.assertFalse(frappe.db.exists("Customer", merged.name))
		self.assertEqual(shares_of("Customer", keep.name), [])
		self.assertEqual(log_of("Customer", keep.name, action="Revoke Share")[0].outcome, "Revoked")
		self.assertEqual(log_of("Customer", keep.name, action="Merge")[0].outcome, "Recorded")

	def test_a_consent_purpose_cannot_be_renamed(self):
		with self.assertRaises(IdentityChangeRefused):
			frappe.rename_doc("Consent Purpose", "Email", "E-mail", force=True)
		self.assertTrue(frappe.db.exists("Consent Purpose", "Email"))

	def test_the_signed_evidence_of_a_consent_cannot_be_deleted(self):
		lead = make_lead()
		name = consent("Lead", lead.name, ["Share"])
		url = frappe.db.get_value("Client Consent", name, "evidence_file")
		file_name = frappe.db.get_value("File", {"file_url": url})
		with self.assertRaises(IdentityChangeRefused):
			frappe.delete_doc("File", file_name, ignore_permissions=True)
		self.assertTrue(frappe.db.exists("File", file_name))

	def test_a_user_named_by_a_consent_cannot_be_renamed(self):
		recipient = make_user(f"cf-id-named-{random_string(5).lower()}@example.com")
		lead = make_lead()
		name = consent("Lead", lead.name, ["Share"], recipients=[recipient])
		with self.assertRaises(IdentityChangeRefused) as ctx:
			frappe.rename_doc("User", recipient, f"x-{recipient}", force=True)
		self.assertIn(name, str(ctx.exception))
		self.assertTrue(frappe.db.exists("User", recipient))


class TestRenameOfAUser(ConfidentialityTestCase):
	"""Frappe's User rename rewrites `owner` in every table with a full-table UPDATE, which
	locks the whole log table until that transaction ends: the refusal's log entry is
	written when it does (rolled back here), and the log rows themselves are never
	rewritten (they are owned by no user)."""

	def test_a_rename_that_skips_before_rename_is_refused_after_it(self):
		from frappe.model.rename_doc import rename_doc

		recipient = make_user(f"cf-id-named-{random_string(5).lower()}@example.com")
		lead = make_lead()
		name = consent("Lead", lead.name, ["Share"], recipients=[recipient])
		frappe.db.commit()
		self.addCleanup(self.remove, lead.name, name, recipient)
		mark = audit.head_sequence()
		with self.assertRaises(IdentityChangeRefused):
			rename_doc("User", recipient, f"x-{recipient}", force=True, validate=False)
		frappe.db.rollback()  # what the request or job does on the error
		self.assertEqual(
			frappe.db.get_value("Consent Recipient", {"parent": name}, "recipient_user"), recipient
		)
		refused = audit.entries({"action": "Rename", "reference_name": recipient}, since=mark)
		self.assertEqual([(e["decision"], e["outcome"]) for e in refused], [("Deny", "Blocked")])
		owners = {e["owner"] for e in audit.entries(fields=["owner"], since=mark)}
		self.assertEqual(owners, {"Administrator"})
		self.assertTrue(verification.verify().ok)

	def remove(self, lead, consent_name, user):
		frappe.db.rollback()
		frappe.db.delete("Consent Recipient", {"parent": consent_name})
		frappe.db.delete("Client Consent Purpose", {"parent": consent_name})
		frappe.db.delete("Client Consent", {"name": consent_name})
		frappe.db.delete("Lead", {"name": lead})
		frappe.delete_doc("User", user, force=True, ignore_permissions=True)
		frappe.db.commit()


class TestIdentityEdits(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		set_mode("Enforce")
		cls.coach = make_user("cf-id-coach@example.com")
		cls.sales = make_user("cf-id-sales@example.com", roles=SALES)
		cls.officer = make_user("cf-id-officer@example.com", roles=(*SALES, OFFICER))

	def tearDown(self):
		frappe.set_user("Administrator")

	def test_pointing_a_customer_at_a_consented_lead_is_refused_for_sales(self):
		lead = make_lead()
		consent("Lead", lead.name, ["Share"])
		customer = make_customer()
		frappe.set_user(self.sales)
		with self.assertRaises(IdentityChangeRefused) as ctx:
			frappe.client.set_value("Customer", customer.name, "lead_name", lead.name)
		self.assertIn("Confidentiality office", str(ctx.exception))
		frappe.set_user("Administrator")
		self.assertFalse(frappe.db.get_value("Customer", customer.name, "lead_name"))
		entry = log_of("Customer", customer.name, action="Identity Change")[0]
		self.assertEqual((entry.decision, entry.outcome, entry.user), ("Deny", "Blocked", self.sales))
		# and the earlier refusal stays a refusal
		with self.assertRaises(ConfidentialityBlocked):
			frappe.share.add("Customer", customer.name, self.coach)

	def test_the_office_may_link_them_and_it_is_logged(self):
		lead = make_lead()
		consent("Lead", lead.name, ["Share"])
		customer = make_customer()
		frappe.set_user(self.officer)
		frappe.client.set_value("Customer", customer.name, "lead_name", lead.name)
		frappe.set_user("Administrator")
		entry = log_of("Customer", customer.name, action="Identity Change")[0]
		self.assertEqual((entry.outcome, entry.user), ("Recorded", self.officer))
		self.assertIn(f"lead_name: - -> {lead.name}", entry.reason)
		frappe.share.add("Customer", customer.name, self.coach)
		self.assertEqual(len(shares_of("Customer", customer.name)), 1)

	def test_linking_a_contact_to_a_consented_customer_is_refused_for_sales(self):
		alice = make_customer()
		consent("Customer", alice.name, ["Share"])
		bob_contact = make_contact(links=[("Customer", make_customer().name)])
		frappe.set_user(self.sales)
		doc = frappe.get_doc("Contact", bob_contact.name)
		doc.append("links", {"link_doctype": "Customer", "link_name": alice.name})
		with self.assertRaises(IdentityChangeRefused):
			doc.save()
		frappe.set_user("Administrator")
		self.assertEqual(len(frappe.get_doc("Contact", bob_contact.name).links), 1)

	def test_adding_a_colleagues_address_to_a_client_is_refused(self):
		colleague = make_user(f"cf-id-colleague-{random_string(4).lower()}@example.com")
		lead = make_lead()
		frappe.set_user(self.sales)
		with self.assertRaises(IdentityChangeRefused) as ctx:
			frappe.client.set_value("Lead", lead.name, "email_id", colleague)
		self.assertIn("belongs to someone else", str(ctx.exception))
		frappe.set_user("Administrator")
		self.assertNotEqual(frappe.db.get_value("Lead", lead.name, "email_id"), colleague)

	def test_adding_another_clients_address_is_refused(self):
		other = make_contact(links=[("Customer", make_customer().name)])
		lead = make_lead()
		frappe.set_user(self.sales)
		with self.assertRaises(IdentityChangeRefused) as ctx:
			frappe.client.set_value("Lead", lead.name, "email_id", other.email_id)
		self.assertIn(other.email_id, str(ctx.exception))

	def test_changing_a_clients_address_re_decides_shares_with_the_client_themself(self):
		lead = make_lead(email_id=f"cf-own-{random_string(5).lower()}@example.com")
		portal = make_user(lead.email_id, roles=(), website=True)
		frappe.share.add("Lead", lead.name, portal)  # the client themself: no consent needed
		self.assertEqual(log_of("Lead", lead.name)[0].basis, "to_client")
		frappe.set_user(self.sales)
		frappe.client.set_value(
			"Lead", lead.name, "email_id", f"cf-new-{random_string(5).lower()}@example.com"
		)
		frappe.set_user("Administrator")
		self.assertEqual(shares_of("Lead", lead.name), [])
		revoked = log_of("Lead", lead.name, action="Revoke Share")[0]
		self.assertEqual((revoked.outcome, revoked.recipient), ("Revoked", portal))
		self.assertEqual(log_of("Lead", lead.name, action="Identity Change")[0].outcome, "Recorded")

	def test_changing_the_client_of_a_document_revokes_shares_the_new_client_does_not_allow(self):
		alice, bob = make_lead(), make_lead()
		consent("Lead", alice.name, ["Share"])
		opportunity = frappe.get_doc(
			{"doctype": "Opportunity", "opportunity_from": "Lead", "party_name": alice.name}
		).insert(ignore_permissions=True)
		frappe.share.add("Opportunity", opportunity.name, self.coach)
		frappe.set_user(self.officer)
		doc = frappe.get_doc("Opportunity", opportunity.name)
		doc.party_name = bob.name
		doc.save()
		frappe.set_user("Administrator")
		self.assertEqual(shares_of("Opportunity", opportunity.name), [])
		self.assertEqual(log_of("Opportunity", opportunity.name, action="Revoke Share")[0].outcome, "Revoked")

	def test_replacing_the_client_of_a_document_is_refused_for_sales(self):
		alice, bob = make_lead(), make_lead()
		consent("Lead", bob.name, ["Share"])
		opportunity = frappe.get_doc(
			{"doctype": "Opportunity", "opportunity_from": "Lead", "party_name": alice.name}
		).insert(ignore_permissions=True)
		frappe.set_user(self.sales)
		doc = frappe.get_doc("Opportunity", opportunity.name)
		doc.party_name = bob.name
		with self.assertRaises(IdentityChangeRefused):
			doc.save()

	def test_converting_a_lead_to_a_customer_is_not_an_identity_change_to_refuse(self):
		"""ERPNext links the lead's contact to the new customer: the same person, no new consent."""
		from erpnext.crm.doctype.lead.lead import make_customer as lead_to_customer

		lead = make_lead()
		consent("Lead", lead.name, ["Share"])
		contact_name = (
			frappe.db.get_value(
				"Dynamic Link",
				{"parenttype": "Contact", "link_doctype": "Lead", "link_name": lead.name},
				"parent",
			)
			or make_contact(links=[("Lead", lead.name)]).name
		)
		frappe.set_user(self.sales)
		customer = lead_to_customer(lead.name)
		customer.customer_group = customer.customer_group or frappe.db.get_value(
			"Customer Group", {"is_group": 0}
		)
		customer.territory = customer.territory or frappe.db.get_value("Territory", {"is_group": 0})
		customer.insert()
		frappe.set_user("Administrator")
		links = {(r.link_doctype, r.link_name) for r in frappe.get_doc("Contact", contact_name).links}
		self.assertIn(("Customer", customer.name), links)
		frappe.share.add("Customer", customer.name, self.coach)  # the lead's consent covers it
