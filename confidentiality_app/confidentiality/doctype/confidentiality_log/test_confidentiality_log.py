# Copyright (c) 2026, confidentiality_app contributors
# See license.txt
"""The log is append-only, hash-chained, never forks and survives rollbacks."""

import frappe

from confidentiality_app import api
from confidentiality_app.log import audit, verification
from confidentiality_app.tests.utils import ConfidentialityTestCase, log_of, make_lead, make_user


class TestConfidentialityLog(ConfidentialityTestCase):
	def tearDown(self):
		frappe.set_user("Administrator")

	def blocked_entry(self):
		lead = make_lead()
		user = make_user("cf-log-target@example.com")
		with self.assertRaises(frappe.PermissionError):
			frappe.share.add("Lead", lead.name, user)
		return log_of("Lead", lead.name)[0]

	def test_no_one_can_create_change_or_delete_an_entry(self):
		entry = self.blocked_entry()
		frappe.db.rollback()  # a new transaction sees the entry the log connection committed
		for user in (
			"Administrator",
			make_user("cf-log-sysman@example.com", roles=("System Manager", "Confidentiality Officer")),
		):
			frappe.set_user(user)
			doc = frappe.get_doc("Confidentiality Log", entry.name)
			doc.reason = "nothing happened"
			with self.assertRaises(frappe.PermissionError):
				doc.save(ignore_permissions=True)
			with self.assertRaises(frappe.PermissionError):
				frappe.delete_doc("Confidentiality Log", entry.name, ignore_permissions=True, force=True)
			with self.assertRaises(frappe.PermissionError):
				frappe.get_doc({"doctype": "Confidentiality Log", "action": "Forged"}).insert(
					ignore_permissions=True
				)
			with self.assertRaises(frappe.PermissionError):
				frappe.client.set_value("Confidentiality Log", entry.name, "decision", "Allow")
		frappe.set_user("Administrator")
		self.assertEqual(frappe.db.get_value("Confidentiality Log", entry.name, "reason"), entry.reason)

	def test_chain_verifies(self):
		self.blocked_entry()
		result = api.verify_log()
		self.assertTrue(result["ok"], result)
		self.assertGreater(result["entries"], 0)
		self.assertIsNone(result["first_bad"])

	def test_verification_detects_an_entry_changed_in_the_database(self):
		entry = self.blocked_entry()
		self.blocked_entry()  # the tampered entry is not the last one
		db = audit.connect()
		try:
			db.sql("UPDATE `tabConfidentiality Log` SET outcome = 'Allowed' WHERE name = %s", entry.name)
			db.commit()
			result = api.verify_log()
			self.assertFalse(result["ok"])
			self.assertEqual(result["first_bad"], entry.name)
		finally:
			db.sql(
				"UPDATE `tabConfidentiality Log` SET outcome = %s WHERE name = %s",
				(entry.outcome, entry.name),
			)
			db.commit()
			db.close()
		self.assertTrue(api.verify_log()["ok"])

	def test_verification_detects_a_removed_entry(self):
		entry = self.blocked_entry()
		self.blocked_entry()
		db = audit.connect()
		row = db.sql("SELECT * FROM `tabConfidentiality Log` WHERE name = %s", entry.name, as_dict=True)[0]
		try:
			db.sql("DELETE FROM `tabConfidentiality Log` WHERE name = %s", entry.name)
			db.commit()
			result = api.verify_log()
			self.assertFalse(result["ok"])
			self.assertEqual(result["first_bad"], f"CLOG-{row.sequence + 1:09d}")
		finally:
			columns = ", ".join(f"`{k}`" for k in row)
			db.sql(
				f"INSERT INTO `tabConfidentiality Log` ({columns}) VALUES ({', '.join(['%s'] * len(row))})",
				tuple(row.values()),
			)
			db.commit()
			db.close()
		self.assertTrue(api.verify_log()["ok"])

	def test_daily_verification_alerts_officers_when_broken(self):
		from confidentiality_app.tasks import verify_log_and_alert

		officer = make_user("cf-log-officer@example.com", roles=("Confidentiality Officer",))
		entry = self.blocked_entry()
		self.blocked_entry()
		db = audit.connect()
		try:
			db.sql("UPDATE `tabConfidentiality Log` SET reason = 'edited' WHERE name = %s", entry.name)
			db.commit()
			result = verify_log_and_alert()
		finally:
			db.sql(
				"UPDATE `tabConfidentiality Log` SET reason = %s WHERE name = %s", (entry.reason, entry.name)
			)
			db.commit()
			db.close()
		self.assertFalse(result.ok)
		self.assertTrue(
			frappe.db.exists(
				"Notification Log",
				{"for_user": officer, "document_type": "Confidentiality Log", "document_name": entry.name},
			)
		)

	def test_entry_survives_the_rollback_of_the_refused_transaction(self):
		lead = make_lead()
		user = make_user("cf-log-target@example.com")
		with self.assertRaises(frappe.PermissionError):
			frappe.share.add("Lead", lead.name, user)
		frappe.db.rollback()  # what the request or job does when it fails
		self.assertFalse(frappe.db.exists("Lead", lead.name))
		entries = log_of("Lead", lead.name)
		self.assertEqual([(e.action, e.outcome) for e in entries], [("Share", "Blocked")])

	def test_concurrent_appends_from_several_processes_never_fork(self):
		"""Four processes, each with its own site connection, accept entries as fast as they
		can while sealing in between: every entry is sealed once, in one unforked chain."""
		import multiprocessing

		context = multiprocessing.get_context("spawn")
		before = audit.head_sequence()
		with context.Pool(4) as pool:
			counts = pool.starmap(_writer, [(frappe.local.site, n, 25) for n in range(4)])
		self.assertEqual(counts, [25] * 4)
		audit.seal()
		result = verification.verify()
		self.assertTrue(result.ok, result.problems)
		rows = audit.entries(
			{"action": "Concurrency Test"}, fields=["sequence", "previous_hash", "channel"], since=before
		)
		self.assertEqual(len(rows), 100)
		self.assertEqual(len({r.previous_hash for r in rows}), 100)
		self.assertEqual(len({r.sequence for r in rows}), 100)

	def test_log_unavailable_fails_closed(self):
		"""Even a share that consent allows is refused when the attempt cannot be logged."""
		from unittest.mock import patch

		from confidentiality_app.tests.utils import consent

		lead = make_lead()
		consent("Lead", lead.name, ["Share"])
		user = make_user("cf-log-target@example.com")
		with patch.object(audit, "_insert", side_effect=RuntimeError("database gone")):
			with self.assertRaises(frappe.PermissionError) as ctx:
				frappe.share.add("Lead", lead.name, user)
		self.assertIn("log cannot be written", str(ctx.exception))
		self.assertFalse(frappe.db.exists("DocShare", {"share_name": lead.name}))


def _writer(site: str, n: int, count: int) -> int:
	"""One process of the concurrency test (spawned: a fresh interpreter)."""
	frappe.init(site=site)
	frappe.connect()
	try:
		frappe.set_user("Administrator")
		for i in range(count):
			audit.append(
				audit.Entry(action="Concurrency Test", channel=f"process {n}", reason=str(i)), seal=False
			)
			if i % 10 == 0:
				audit.seal()
		return count
	finally:
		audit.close_connection()
		frappe.destroy()
