"""Ways around the sharing gate, each tried through its real entry point: a share edited
into another share (frappe.client, REST over HTTP, Data Import), flags and calls that
skip validate, raw inserts, and access that lapses under a "no new access" share."""

import csv
import io

import frappe
from frappe.utils import random_string

from confidentiality_app.channels import share
from confidentiality_app.decision.gate import ConfidentialityBlocked
from confidentiality_app.tests.fixtures import (
	ConfidentialityTestCase,
	consent,
	live_site,
	log_of,
	make_lead,
	make_user,
	set_mode,
	set_password,
	shares_of,
)


def docshare(name):
	return frappe.db.get_value(
		"DocShare", name, ["share_doctype", "share_name", "user", "everyone", "read"], as_dict=True
	)


class TestShareEdits(ConfidentialityTestCase):
	"""A share changed into another share is a new share, and is decided."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.coach = make_user("cf-bypass-coach@example.com")
		cls.other = make_user("cf-bypass-other@example.com")
		set_mode("Enforce")

	def tearDown(self):
		frappe.set_user("Administrator")

	def consented_share(self):
		lead = make_lead()
		consent("Lead", lead.name, ["Share"])
		name = frappe.share.add("Lead", lead.name, self.coach).name
		return lead, name

	def test_set_value_moving_a_share_to_an_unconsented_record_is_refused(self):
		lead, name = self.consented_share()
		victim = make_lead()
		with self.assertRaises(ConfidentialityBlocked):
			frappe.client.set_value("DocShare", name, "share_name", victim.name)
		self.assertEqual(docshare(name).share_name, lead.name)
		self.assertEqual(shares_of("Lead", victim.name), [])
		entry = log_of("Lead", victim.name)[0]
		self.assertEqual((entry.decision, entry.outcome, entry.recipient), ("Deny", "Blocked", self.coach))

	def test_set_value_giving_a_share_to_another_user_is_decided(self):
		lead = make_lead()
		consent("Lead", lead.name, ["Share"], recipients=[self.coach])
		name = frappe.share.add("Lead", lead.name, self.coach).name
		with self.assertRaises(ConfidentialityBlocked) as ctx:
			frappe.client.set_value("DocShare", name, "user", self.other)
		self.assertIn("does not name", str(ctx.exception))
		self.assertEqual(docshare(name).user, self.coach)
		entry = log_of("Lead", lead.name, recipient=self.other)[0]
		self.assertEqual(entry.outcome, "Blocked")

	def test_set_value_turning_a_share_into_an_everyone_share_is_decided(self):
		lead = make_lead()
		consent("Lead", lead.name, ["Share"], recipients=[self.coach])
		name = frappe.share.add("Lead", lead.name, self.coach).name
		with self.assertRaises(ConfidentialityBlocked):
			frappe.client.set_value("DocShare", name, "everyone", 1)
		self.assertEqual(docshare(name).everyone, 0)

	def test_moving_a_share_to_another_doctype_is_decided(self):
		lead, name = self.consented_share()
		customer = frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": f"Cust {random_string(5)}",
				"customer_type": "Individual",
			}
		).insert(ignore_permissions=True)
		with self.assertRaises(ConfidentialityBlocked):
			frappe.client.set_value(
				"DocShare", name, {"share_doctype": "Customer", "share_name": customer.name}
			)
		self.assertEqual((docshare(name).share_doctype, docshare(name).share_name), ("Lead", lead.name))

	def test_unchanged_resave_is_not_decided_again(self):
		lead, name = self.consented_share()
		before = len(log_of("Lead", lead.name))
		frappe.get_doc("DocShare", name).save(ignore_permissions=True)
		self.assertEqual(len(log_of("Lead", lead.name)), before)


class TestFlagsThatSkipValidate(ConfidentialityTestCase):
	"""The DocShare doctype itself is the backstop when validate does not run."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.coach = make_user("cf-bypass-coach@example.com")
		set_mode("Enforce")

	def test_ignore_validate_insert_is_decided(self):
		lead = make_lead()
		with self.assertRaises(ConfidentialityBlocked):
			frappe.share.add_docshare(
				"Lead",
				lead.name,
				self.coach,
				flags={"ignore_validate": True, "ignore_share_permission": True},
			)
		self.assertEqual(shares_of("Lead", lead.name), [])
		entry = log_of("Lead", lead.name)[0]
		self.assertEqual((entry.outcome, entry.channel), ("Blocked", "DocShare (validation skipped)"))

	def test_ignore_validate_insert_with_consent_is_allowed_and_logged(self):
		lead = make_lead()
		consent("Lead", lead.name, ["Share"])
		frappe.share.add_docshare("Lead", lead.name, self.coach, flags={"ignore_validate": True})
		self.assertEqual([s.user for s in shares_of("Lead", lead.name)], [self.coach])
		self.assertEqual(log_of("Lead", lead.name)[0].outcome, "Allowed")

	def test_ignore_validate_save_moving_a_share_is_decided(self):
		lead = make_lead()
		consent("Lead", lead.name, ["Share"])
		name = frappe.share.add("Lead", lead.name, self.coach).name
		victim = make_lead()
		doc = frappe.get_doc("DocShare", name)
		doc.share_name = victim.name
		doc.flags.ignore_validate = True
		with self.assertRaises(ConfidentialityBlocked):
			doc.save(ignore_permissions=True)
		self.assertEqual(docshare(name).share_name, lead.name)

	def test_db_set_moving_a_share_is_refused_before_the_write(self):
		lead = make_lead()
		consent("Lead", lead.name, ["Share"])
		name = frappe.share.add("Lead", lead.name, self.coach).name
		victim = make_lead()
		with self.assertRaises(ConfidentialityBlocked):
			frappe.get_doc("DocShare", name).db_set("share_name", victim.name)
		self.assertEqual(docshare(name).share_name, lead.name)
		self.assertEqual(log_of("Lead", victim.name)[0].outcome, "Blocked")

	def test_raw_insert_is_removed_by_the_sweep_and_logged(self):
		"""db_insert (like raw SQL) runs no hook: the daily sweep finds and revokes it."""
		lead = make_lead()
		doc = frappe.get_doc(
			{
				"doctype": "DocShare",
				"share_doctype": "Lead",
				"share_name": lead.name,
				"user": self.coach,
				"read": 1,
			}
		)
		doc.set_new_name()
		doc.db_insert()
		self.assertEqual(len(shares_of("Lead", lead.name)), 1)  # the app cannot stop this
		removed = share.sweep()
		self.assertIn(doc.name, removed)
		self.assertEqual(shares_of("Lead", lead.name), [])
		entry = log_of("Lead", lead.name)[0]
		self.assertEqual(
			(entry.action, entry.outcome, entry.channel), ("Revoke Share", "Revoked", "Share Sweep")
		)

	def test_sweep_removes_a_share_left_behind_by_a_raw_delete(self):
		"""Otherwise a new record taking the deleted one's name would inherit the share."""
		lead = make_lead()
		consent("Lead", lead.name, ["Share"])
		name = frappe.share.add("Lead", lead.name, self.coach).name
		frappe.db.delete("Lead", {"name": lead.name})  # raw: Frappe's delete_doc removes shares
		self.assertIn(name, share.sweep())
		self.assertFalse(frappe.db.exists("DocShare", name))
		entry = log_of("Lead", lead.name, action="Revoke Share")[0]
		self.assertEqual((entry.outcome, entry.basis), ("Revoked", "record_missing"))

	def test_sweep_keeps_consented_shares(self):
		lead = make_lead()
		consent("Lead", lead.name, ["Share"])
		name = frappe.share.add("Lead", lead.name, self.coach).name
		self.assertNotIn(name, share.sweep())
		self.assertEqual(len(shares_of("Lead", lead.name)), 1)

	def test_sweep_in_monitor_mode_reports_without_removing(self):
		lead = make_lead()
		doc = frappe.get_doc(
			{
				"doctype": "DocShare",
				"share_doctype": "Lead",
				"share_name": lead.name,
				"user": self.coach,
				"read": 1,
			}
		)
		doc.set_new_name()
		doc.db_insert()
		set_mode("Monitor")
		try:
			self.assertEqual(share.sweep(), [])
		finally:
			set_mode("Enforce")
		self.assertEqual(len(shares_of("Lead", lead.name)), 1)
		self.assertEqual(log_of("Lead", lead.name)[0].outcome, "Monitored")


class TestNoNewAccess(ConfidentialityTestCase):
	"""Sharing with a user who can already read the record through their roles releases
	nothing: allowed and logged as such, and re-decided when that access goes."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		set_mode("Enforce")

	def test_share_with_a_user_who_reads_by_role_is_allowed_without_consent(self):
		colleague = make_user(f"cf-nna-{random_string(6).lower()}@example.com", roles=("Sales User",))
		lead = make_lead()
		frappe.share.add("Lead", lead.name, colleague)
		self.assertEqual([s.user for s in shares_of("Lead", lead.name)], [colleague])
		entry = log_of("Lead", lead.name)[0]
		self.assertEqual((entry.decision, entry.outcome, entry.basis), ("Allow", "Allowed", "no_new_access"))

	def test_assign_to_a_user_who_reads_by_role_creates_no_share_and_works(self):
		from frappe.desk.form import assign_to

		colleague = make_user(f"cf-nna-{random_string(6).lower()}@example.com", roles=("Sales User",))
		lead = make_lead()
		assign_to.add({"doctype": "Lead", "name": lead.name, "assign_to": [colleague]})
		self.assertEqual(shares_of("Lead", lead.name), [])
		self.assertTrue(frappe.db.exists("ToDo", {"reference_name": lead.name, "allocated_to": colleague}))

	def test_losing_the_role_revokes_the_share(self):
		colleague = make_user(f"cf-nna-{random_string(6).lower()}@example.com", roles=("Sales User",))
		lead = make_lead()
		frappe.share.add("Lead", lead.name, colleague)
		frappe.get_doc("User", colleague).remove_roles("Sales User")
		self.assertEqual(shares_of("Lead", lead.name), [])
		entry = log_of("Lead", lead.name)[0]
		self.assertEqual(
			(entry.action, entry.outcome, entry.recipient), ("Revoke Share", "Revoked", colleague)
		)
		self.assertIn("lost roles", entry.reason)

	def test_losing_the_role_keeps_a_consented_share(self):
		colleague = make_user(f"cf-nna-{random_string(6).lower()}@example.com", roles=("Sales User",))
		lead = make_lead()
		consent("Lead", lead.name, ["Share"])
		frappe.share.add("Lead", lead.name, colleague)
		frappe.get_doc("User", colleague).remove_roles("Sales User")
		self.assertEqual([s.user for s in shares_of("Lead", lead.name)], [colleague])

	def test_a_user_permission_restriction_revokes_the_share(self):
		colleague = make_user(f"cf-nna-{random_string(6).lower()}@example.com", roles=("Sales User",))
		lead = make_lead()
		other = make_lead()
		frappe.share.add("Lead", lead.name, colleague)
		# restrict the colleague to another lead: they can no longer read this one by role
		frappe.get_doc(
			{"doctype": "User Permission", "user": colleague, "allow": "Lead", "for_value": other.name}
		).insert(ignore_permissions=True)
		self.assertEqual(shares_of("Lead", lead.name), [])
		self.assertEqual(log_of("Lead", lead.name)[0].outcome, "Revoked")


class TestShareEditsOverTheWire(ConfidentialityTestCase):
	"""REST PUT as a System Manager over real HTTP, and Data Import update."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		set_mode("Enforce")
		cls.admin = make_user(f"cf-sysman-{random_string(6).lower()}@example.com", roles=("System Manager",))
		cls.password = set_password(cls.admin)
		cls.coach = make_user("cf-bypass-coach@example.com")
		cls.lead = make_lead()
		consent("Lead", cls.lead.name, ["Share"])
		cls.victim = make_lead()
		cls.share = frappe.share.add("Lead", cls.lead.name, cls.coach).name
		frappe.db.commit()
		cls.addClassCleanup(cls.cleanup)
		cls.live = live_site(cls)  # stopped before cleanup runs

	@classmethod
	def cleanup(cls):
		frappe.db.rollback()
		frappe.set_user("Administrator")
		for lead in (cls.lead, cls.victim):
			frappe.db.delete("DocShare", {"share_doctype": "Lead", "share_name": lead.name})
		frappe.delete_doc("User", cls.admin, force=True, ignore_permissions=True)
		frappe.db.commit()

	def test_rest_put_moving_a_share_is_refused(self):
		for session in (self.live.login(self.admin, self.password), self.live.api_key(self.admin)):
			response = session.put(
				f"{self.live.url}/api/resource/DocShare/{self.share}",
				json={"share_name": self.victim.name},
			)
			self.assertEqual(response.status_code, 403, response.text)
			self.assertIn("no consent for purpose Share", response.text)
			frappe.db.rollback()
			self.assertEqual(docshare(self.share).share_name, self.lead.name)
			self.assertEqual(shares_of("Lead", self.victim.name), [])
			entry = log_of("Lead", self.victim.name)[0]
			self.assertEqual((entry.user, entry.outcome), (self.admin, "Blocked"))
			self.assertIn("PUT /api/resource/DocShare", entry.context)

	def test_frappe_client_set_value_over_http_is_refused(self):
		session = self.live.login(self.admin, self.password)
		response = session.post(
			f"{self.live.url}/api/method/frappe.client.set_value",
			data={
				"doctype": "DocShare",
				"name": self.share,
				"fieldname": "share_name",
				"value": self.victim.name,
			},
		)
		self.assertEqual(response.status_code, 403, response.text)
		frappe.db.rollback()
		self.assertEqual(docshare(self.share).share_name, self.lead.name)

	def test_data_import_update_moving_a_share_is_refused(self):
		out = io.StringIO()
		writer = csv.writer(out)
		writer.writerow(["ID", "Document Name"])
		writer.writerow([self.share, self.victim.name])
		file = frappe.get_doc(
			{
				"doctype": "File",
				"file_name": f"docshare-update-{random_string(5)}.csv",
				"content": out.getvalue().encode(),
				"is_private": 1,
			}
		).insert(ignore_permissions=True)
		data_import = frappe.get_doc(
			{
				"doctype": "Data Import",
				"reference_doctype": "DocShare",
				"import_type": "Update Existing Records",
				"import_file": file.file_url,
			}
		).insert(ignore_permissions=True)
		frappe.set_user(self.admin)
		try:
			data_import.start_import()
		finally:
			frappe.set_user("Administrator")
		frappe.db.rollback()
		self.assertEqual(docshare(self.share).share_name, self.lead.name)
		self.assertEqual(shares_of("Lead", self.victim.name), [])
		log = frappe.get_all(
			"Data Import Log", {"data_import": data_import.name}, ["success", "messages", "exception"]
		)
		self.assertTrue(log and not log[0].success, log)
		self.assertIn("no consent for purpose Share", (log[0].messages or "") + (log[0].exception or ""))
		self.assertEqual(log_of("Lead", self.victim.name)[0].outcome, "Blocked")
		frappe.db.delete("Data Import Log", {"data_import": data_import.name})
		frappe.delete_doc("Data Import", data_import.name, force=True, ignore_permissions=True)
		frappe.db.commit()
