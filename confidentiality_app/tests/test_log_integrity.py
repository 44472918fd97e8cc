"""The Confidentiality Log an ombudsman can rely on, tampered with as an adversary with
database access would: keyed hashes, complete verification, anchors published outside the
database (file, email, a witness server on loopback), the accept/seal split."""

import base64
import hashlib
import os
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch

import frappe

from confidentiality_app.decision.gate import ConfidentialityBlocked
from confidentiality_app.decision.permissions import OFFICER, OMBUDSMAN
from confidentiality_app.log import anchors, audit, keys, verification
from confidentiality_app.rules import chain, merkle, note
from confidentiality_app.tests.fixtures import (
	ConfidentialityTestCase,
	consent,
	log_of,
	make_lead,
	make_user,
	set_mode,
)

LOG = "`tabConfidentiality Log`"


def rows_after(sequence: int, db) -> list[dict]:
	return db.sql(f"SELECT * FROM {LOG} WHERE sequence > %s ORDER BY sequence", (sequence,), as_dict=True)


def restore(db, rows: list[dict]):
	"""Put rows back exactly as they were (the tests tamper, then undo)."""
	for row in rows:
		db.sql(f"DELETE FROM {LOG} WHERE name = %s", (row["name"],))
		columns = ", ".join(f"`{k}`" for k in row)
		db.sql(f"INSERT INTO {LOG} ({columns}) VALUES ({', '.join(['%s'] * len(row))})", tuple(row.values()))
	db.commit()


class Tampering(ConfidentialityTestCase):
	"""Each test writes a few entries, tampers with them on a raw connection, checks what
	verification reports, and restores them."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		set_mode("Enforce")
		cls.coach = make_user("cf-integrity-coach@example.com")

	def setUp(self):
		super().setUp()
		self.db = audit.connect()
		self.start = audit.head_sequence()
		for _ in range(4):
			lead = make_lead()
			with self.assertRaises(ConfidentialityBlocked):
				frappe.share.add("Lead", lead.name, self.coach)
		audit.seal()
		self.original = rows_after(self.start, self.db)
		self.assertEqual(len(self.original), 4)

	def tearDown(self):
		self.db.sql(f"DELETE FROM {LOG} WHERE sequence > %s OR sequence <= 0", (self.start,))
		restore(self.db, self.original)
		self.db.close()
		self.assertTrue(verification.verify(anchors=[]).ok)
		super().tearDown()

	def test_entries_are_sealed_with_the_sites_key(self):
		key_id, _key = keys.current()
		self.assertEqual({r["key_id"] for r in self.original}, {key_id})

	def test_blocked_rewritten_as_allowed_with_every_later_hash_recomputed_fails_without_the_key(self):
		target = self.original[1]
		previous = target["previous_hash"]
		for row in self.original[1:]:
			if row["name"] == target["name"]:
				row = dict(row, decision="Allow", outcome="Allowed")
			content = {k: row[k] for k in chain.HASHED_FIELDS}
			forged = hashlib.sha256((previous + "\n" + chain.canonical(content)).encode()).hexdigest()
			self.db.sql(
				f"UPDATE {LOG} SET decision = %s, outcome = %s, previous_hash = %s, entry_hash = %s WHERE name = %s",
				(row["decision"], row["outcome"], previous, forged, row["name"]),
			)
			previous = forged
		self.db.commit()
		result = verification.verify(anchors=[])
		self.assertFalse(result.ok)
		self.assertEqual(result.first_bad, target["name"])
		self.assertEqual(
			{p.name for p in result.problems}, {r["name"] for r in self.original[1:]}
		)  # every rewritten entry is reported, not only the first

	def test_two_tampered_entries_are_both_reported(self):
		for row in (self.original[0], self.original[2]):
			self.db.sql(f"UPDATE {LOG} SET recipient = 'mallory@example.org' WHERE name = %s", (row["name"],))
		self.db.commit()
		result = verification.verify(anchors=[])
		self.assertEqual(
			[p.name for p in result.problems], [self.original[0]["name"], self.original[2]["name"]]
		)

	def test_a_forged_row_with_sequence_zero_is_reported(self):
		forged = dict(
			self.original[0], name="CLOG-FORGED", sequence=0, previous_hash="f" * 64, entry_hash="e" * 64
		)
		columns = ", ".join(f"`{k}`" for k in forged)
		self.db.sql(
			f"INSERT INTO {LOG} ({columns}) VALUES ({', '.join(['%s'] * len(forged))})",
			tuple(forged.values()),
		)
		self.db.commit()
		result = verification.verify(anchors=[])
		self.assertFalse(result.ok)
		self.assertIn("CLOG-FORGED", [p.name for p in result.problems])

	def test_deleting_the_newest_entries_fails_against_the_last_anchor(self):
		head = chain.Anchor(
			self.original[-1]["sequence"], self.original[-1]["entry_hash"], "now", keys.current()[0]
		)
		anchor = head.signed(keys.current()[1])
		self.db.sql(f"DELETE FROM {LOG} WHERE sequence > %s", (self.start + 2,))
		self.db.commit()
		self.assertTrue(verification.verify(anchors=[]).ok)  # a shorter chain is still a valid chain...
		result = verification.verify(anchors=[anchor])  # ...but not against its published head
		self.assertFalse(result.ok)
		self.assertIn(f"shorter than the head {anchor.sequence}", result.problem)

	def test_verification_reports_entries_left_unsealed_past_the_bound(self):
		from frappe.utils import add_to_date, now_datetime

		row = audit._row(audit.Entry(action="Stale", channel="Test", user="Administrator", context="test"))
		row["timestamp"] = add_to_date(now_datetime(), hours=-1)
		audit._insert(self.db, row)
		self.db.commit()
		with patch.object(keys, "current", side_effect=keys.KeyUnavailable("no key")):
			result = verification.verify(anchors=[])  # the sealer cannot run without its key
		self.assertFalse(result.ok)
		self.assertIn("still unsealed", result.problems[-1].problem)
		self.assertGreaterEqual(audit.seal(), 1)  # with the key back, it is sealed (tearDown removes it)


class TestAcceptAndSeal(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		set_mode("Enforce")
		cls.coach = make_user("cf-integrity-coach@example.com")

	def test_an_allowed_share_entry_commits_with_the_share(self):
		lead = make_lead()
		consent("Lead", lead.name, ["Share"])
		frappe.share.add("Lead", lead.name, self.coach)
		entry = log_of("Lead", lead.name)[0]
		self.assertEqual((entry.outcome, entry.sequence), ("Allowed", None))  # in this transaction
		frappe.db.rollback()  # the share never happened...
		self.assertEqual(log_of("Lead", lead.name), [])  # ...and the log does not claim it

	def test_a_refusal_survives_the_rollback(self):
		lead = make_lead()
		with self.assertRaises(ConfidentialityBlocked):
			frappe.share.add("Lead", lead.name, self.coach)
		frappe.db.rollback()
		entries = log_of("Lead", lead.name)
		self.assertEqual([(e.outcome, bool(e.sequence)) for e in entries], [("Blocked", True)])

	def test_sealing_twice_changes_nothing(self):
		audit.append(audit.Entry(action="Seal Twice", channel="Test"), seal=False)
		self.assertGreaterEqual(audit.seal(), 1)
		self.assertEqual(audit.seal(), 0)
		self.assertEqual(audit.pending_count(), 0)


WITNESS_NAME = "witness.example/cf-test"
WITNESS_SEED = bytes(range(32, 64))


class WitnessHandler(BaseHTTPRequestHandler):
	"""A witness as C2SP tlog-witness describes one: takes `add-checkpoint` requests and
	answers with its cosignature (an Ed25519 signature line on the checkpoint's text)."""

	received: list = []
	status = 200

	def do_POST(self):
		body = self.rfile.read(int(self.headers["Content-Length"])).decode()
		WitnessHandler.received.append((body, dict(self.headers)))
		self.send_response(WitnessHandler.status)
		self.end_headers()
		if WitnessHandler.status == 200:
			checkpoint = body.split("\n\n", 1)[1]
			text = checkpoint.split("\n\n", 1)[0] + "\n"
			self.wfile.write(note.signature_line(WITNESS_NAME, WITNESS_SEED, text.encode()).encode())
		else:
			self.wfile.write(b"unavailable")

	def log_message(self, *args):
		pass


class TestAnchors(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.officer = make_user("cf-anchor-officer@example.com", roles=(OFFICER,))
		cls.ombudsman = make_user("cf-anchor-ombudsman@example.com", roles=(OMBUDSMAN,))
		cls.server = ThreadingHTTPServer(("127.0.0.1", 0), WitnessHandler)
		threading.Thread(target=cls.server.serve_forever, daemon=True).start()
		cls.witness = f"http://127.0.0.1:{cls.server.server_port}/anchors"

	@classmethod
	def tearDownClass(cls):
		cls.server.shutdown()
		super().tearDownClass()

	def setUp(self):
		super().setUp()
		if not frappe.db.exists("Email Account", "cf-anchor-outgoing"):
			# outgoing mail is only queued here (Email Queue), never sent
			frappe.get_doc(
				{
					"doctype": "Email Account",
					"email_account_name": "cf-anchor-outgoing",
					"email_id": "confidentiality@example.com",
					"enable_outgoing": 1,
					"default_outgoing": 1,
					"smtp_server": "127.0.0.1",
					"smtp_port": 1,
					"no_smtp_authentication": 1,
				}
			).insert(ignore_permissions=True)
		else:
			# on a site reused by earlier runs, the mail tests made another account the default
			frappe.db.set_value(
				"Email Account", "cf-anchor-outgoing", {"default_outgoing": 1, "enable_outgoing": 1}
			)
			frappe.local.outgoing_email_account = {}
		self.dir = tempfile.mkdtemp()
		self.file = os.path.join(self.dir, "anchors.jsonl")
		frappe.db.set_single_value("Confidentiality Settings", "anchor_file", self.file)
		frappe.db.set_single_value("Confidentiality Settings", "witness_url", self.witness)
		WitnessHandler.received, WitnessHandler.status = [], 200
		audit.append(audit.Entry(action="Anchored", channel="Test"))

	def tearDown(self):
		frappe.db.set_single_value("Confidentiality Settings", "anchor_file", None)
		frappe.db.set_single_value("Confidentiality Settings", "witness_url", None)
		frappe.db.set_single_value("Confidentiality Settings", "witness_key", None)
		super().tearDown()

	def test_publish_writes_the_file_mails_the_officers_and_posts_to_the_witness(self):
		frappe.db.set_single_value(
			"Confidentiality Settings",
			"witness_key",
			note.verifier_key(WITNESS_NAME, note.public_bytes(WITNESS_SEED)),
		)
		result = anchors.publish(force=True)
		published = anchors.read(self.file)
		self.assertEqual(published[-1].sequence, result["sequence"])
		self.assertEqual(published[-1].sequence, audit.head_sequence())
		self.assertTrue(published[-1].signature_ok(keys.keys()[published[-1].key_id]))
		# the file holds the signed checkpoint of the tree at that head
		checkpoint, _signatures = note.open_checkpoint(
			anchors.published_checkpoints(self.file)[-1], keys.verifiers()
		)
		self.assertEqual((checkpoint.size, checkpoint.root.hex()), (result["sequence"], result["root_hash"]))
		# emailed to the officers and the ombudsman officers
		self.assertIn(self.officer, result["emailed_to"])
		self.assertIn(self.ombudsman, result["emailed_to"])
		queued = frappe.get_all(
			"Email Queue Recipient",
			filters={"recipient": ["in", [self.officer, self.ombudsman]]},
			fields=["recipient", "parent"],
		)
		self.assertEqual({q.recipient for q in queued}, {self.officer, self.ombudsman})
		# received by the witness as a C2SP add-checkpoint request, with a consistency proof
		# from the size it last acknowledged; its cosignature is checked and kept
		body, headers = WitnessHandler.received[-1]
		request, sent = body.split("\n\n", 1)
		self.assertTrue(request.startswith("old "), request)
		self.assertEqual(sent, result["checkpoint"])
		self.assertEqual(headers["X-Confidentiality-Signature"], published[-1].signature)
		record = frappe.get_last_doc("Confidentiality Log Anchor")
		self.assertEqual((record.sequence, record.witness_status), (result["sequence"], "Sent"))
		self.assertIn(f"\u2014 {WITNESS_NAME} ", record.cosignatures or "", record.witness_response)
		self.assertIn("cosignature verified", record.witness_response)
		# a second publication proves consistency from the first
		audit.append(audit.Entry(action="Anchored again", channel="Test"))
		second = anchors.publish(force=True)
		request = WitnessHandler.received[-1][0].split("\n\n", 1)[0].split("\n")
		self.assertEqual(request[0], f"old {result['sequence']}")
		proof = [base64.b64decode(line) for line in request[1:]]
		self.assertTrue(
			merkle.verify_consistency(
				result["sequence"],
				second["sequence"],
				bytes.fromhex(result["root_hash"]),
				bytes.fromhex(second["root_hash"]),
				proof,
			)
		)

	def test_a_failing_witness_is_retried_and_alerted(self):
		WitnessHandler.status = 500
		result = anchors.publish(force=True)
		self.assertFalse(result["witness_ok"])
		self.assertEqual(len(WitnessHandler.received), anchors.WITNESS_ATTEMPTS)
		self.assertTrue(
			frappe.db.exists(
				"Notification Log",
				{"for_user": self.officer, "subject": "Confidentiality Log anchor not published"},
			)
		)
		self.assertEqual(frappe.get_last_doc("Confidentiality Log Anchor").witness_status, "Failed")
		# the file still has the head: a witness outage loses nothing
		self.assertEqual(anchors.read(self.file)[-1].sequence, result["sequence"])

	def test_verify_reads_the_published_heads(self):
		anchors.publish(force=True)
		result = verification.verify()
		self.assertTrue(result.ok, result.problems)
		self.assertGreaterEqual(result.anchors_checked, 1)

	def test_an_anchor_file_emptied_behind_the_sites_back_is_reported(self):
		anchors.publish(force=True)
		audit.append(audit.Entry(action="Anchored again", channel="Test"))
		anchors.publish(force=True)
		with open(self.file) as f:
			first = f.readline()
		with open(self.file, "w") as f:
			f.write(first)  # the newest head removed, as someone covering a truncation would
		result = verification.verify()
		self.assertFalse(result.ok)
		self.assertTrue(any("replaced or truncated" in p.problem for p in result.problems), result.problems)

	def test_an_unchanged_head_is_not_published_again(self):
		anchors.publish(force=True)
		self.assertFalse(anchors.publish()["published"])


class TestKeyRotation(ConfidentialityTestCase):
	def test_entries_under_an_old_and_a_new_key_both_verify(self):
		"""Rotation keeps the old keys (in the site config, as in production): entries sealed
		before and after it both verify."""
		old_id = keys.current()[0]
		mark = audit.mark()
		audit.append(audit.Entry(action="Before Rotation", channel="Rotation Test"))
		audit.seal()  # an entry is sealed with the key that is current when it is sealed
		new_id = keys.rotate()
		self.assertNotEqual(old_id, new_id)
		self.assertEqual(set(keys.keys()) >= {old_id, new_id}, True)
		audit.append(audit.Entry(action="After Rotation", channel="Rotation Test"))
		audit.seal()
		ids = {
			e.action: e.key_id
			for e in audit.entries({"channel": "Rotation Test"}, fields=["action", "key_id"], since=mark)
		}
		self.assertEqual((ids["Before Rotation"], ids["After Rotation"]), (old_id, new_id))
		self.assertTrue(verification.verify(anchors=[]).ok)


class TestKeyCustody(ConfidentialityTestCase):
	def test_the_key_is_outside_the_site_directory_and_not_in_its_config(self):
		"""Frappe copies site_config.json into every backup, which a System Manager can
		download: the key lives in a file outside the site, readable by its owner only."""
		path = frappe.local.conf.get("confidentiality_log_key_file")
		self.assertTrue(path and os.path.isabs(path), path)
		site_dir = os.path.realpath(frappe.get_site_path())
		self.assertFalse(os.path.realpath(path).startswith(site_dir + os.sep), path)
		self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
		key_id, key = keys.current()
		with open(os.path.join(frappe.get_site_path(), "site_config.json")) as f:
			site_config = f.read()
		self.assertNotIn("confidentiality_log_keys", site_config)
		self.assertNotIn(base64.b64encode(key).decode(), site_config)
		self.assertIn(key_id, keys.keys())
