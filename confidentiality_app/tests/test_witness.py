"""The professional body witnesses its members' logs (C2SP tlog-witness add-checkpoint), over
real HTTP: the site publishes its checkpoints to the body's endpoint and keeps the body's
cosignature; a member whose log was truncated or shown with two histories is caught (422, the
Member Organisation records it, the Ombudsman Officers are told, the refusal is logged);
replays, unknown keys, suspended members, malformed and oversized requests are refused with
a clear answer; a member silent for too long is flagged.

Here the body and the member are the same site acting in both roles (Confidentiality
Settings > This Site Is: Both), plus members whose logs the test builds and signs itself."""

from __future__ import annotations

import base64
import os
import shutil
import tempfile

import frappe
import requests
from frappe.utils import add_to_date, now_datetime, random_string

from confidentiality_app.log import anchors, audit, keys
from confidentiality_app.ombudsman import witness
from confidentiality_app.rules import merkle, note
from confidentiality_app.rules.roles import OMBUDSMAN
from confidentiality_app.tests.fixtures import ConfidentialityTestCase, live_site, make_user

ENDPOINT = "/api/method/confidentiality_app.api.witness_add_checkpoint"


class Member:
	"""A member organisation's log, built and signed by the test."""

	def __init__(self):
		self.origin = f"member-{random_string(6).lower()}.example/confidentiality-log"
		self.seed = os.urandom(32)
		self.key = note.verifier_key(self.origin, note.public_bytes(self.seed))

	def checkpoint(self, leaves: list[bytes]) -> tuple[str, bytes]:
		root = merkle.root(len(leaves), merkle.from_nodes(merkle.tree(leaves)))
		return note.sign_checkpoint(
			note.Checkpoint(self.origin, len(leaves), root), self.origin, self.seed
		), root

	def request(self, old: int, leaves: list[bytes], proof_leaves: list[bytes] | None = None) -> bytes:
		"""add-checkpoint for the tree of `leaves`, proving consistency from `old` over the tree
		of `proof_leaves` (default: the same)."""
		signed, _root = self.checkpoint(leaves)
		source = proof_leaves if proof_leaves is not None else leaves
		proof = (
			merkle.consistency_proof(old, len(source), merkle.from_nodes(merkle.tree(source)))
			if 0 < old <= len(source)
			else []
		)
		head = "\n".join([f"old {old}", *(base64.b64encode(p).decode() for p in proof)])
		return (head + "\n\n" + signed).encode()


def leaves_(n: int, tag: str = "a") -> list[bytes]:
	return [merkle.leaf_hash(f"{tag}{i}".encode()) for i in range(n)]


class WitnessCase(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.live = live_site(cls)
		cls.ombudsman = make_user(roles=(OMBUDSMAN,))
		frappe.db.set_single_value("Confidentiality Settings", "site_role", "Both")
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		frappe.db.set_single_value("Confidentiality Settings", "site_role", "Member Organisation")
		frappe.db.commit()
		super().tearDownClass()

	def register(self, origin: str, keys_text: str, **kw) -> str:
		doc = frappe.get_doc(
			{
				"doctype": "Member Organisation",
				"organisation_name": f"Member {random_string(6)}",
				"log_origin": origin,
				"checkpoint_keys": keys_text,
				"contact_email": "officer@member.example",
				**kw,
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		self.addCleanup(
			lambda: (frappe.delete_doc("Member Organisation", doc.name, force=True), frappe.db.commit())
		)
		return doc.name

	def post(self, body: bytes) -> requests.Response:
		response = requests.post(
			f"{self.live.url}{ENDPOINT}",
			data=body,
			headers={"Content-Type": "text/plain; charset=utf-8", "X-Frappe-Site-Name": self.live.site},
			timeout=30,
		)
		self.assertNotIn("Traceback", response.text)
		return response


class TestSiteWitnessedByTheBody(WitnessCase):
	def setUp(self):
		super().setUp()
		self.dir = tempfile.mkdtemp()
		frappe.db.set_single_value(
			"Confidentiality Settings", "anchor_file", os.path.join(self.dir, "a.jsonl")
		)
		frappe.db.set_single_value("Confidentiality Settings", "witness_url", self.live.url + ENDPOINT)
		frappe.db.set_single_value("Confidentiality Settings", "witness_key", keys.witness_public_key())
		self.member = self.register(keys.origin(), "\n".join(k["key"] for k in keys.public_keys()))

	def tearDown(self):
		for field in ("anchor_file", "witness_url", "witness_key"):
			frappe.db.set_single_value("Confidentiality Settings", field, None)
		frappe.db.commit()
		shutil.rmtree(self.dir, ignore_errors=True)
		super().tearDown()

	def test_each_published_checkpoint_is_witnessed_and_the_cosignature_kept(self):
		audit.append(audit.Entry(action="Witnessed", channel="Test"))
		first = anchors.publish(force=True)
		self.assertTrue(first["witness_ok"], first["witness"])
		self.assertIn(f"\u2014 {keys.witness_signer()[0]} ", first["cosignatures"])
		self.assertIn("cosignature verified", first["witness"])
		frappe.db.commit()  # a read view that sees what the body's request committed
		member = frappe.get_doc("Member Organisation", self.member)
		self.assertEqual(
			(member.witnessed_size, member.witnessed_root), (first["tree_size"], first["root_hash"])
		)
		# the checkpoint and the body's cosignature, together, verify with both keys
		cosigned = first["checkpoint"] + first["cosignatures"]
		_text, signatures = note.open_note(
			cosigned,
			[*keys.verifiers(), note.parse_verifier_key(keys.witness_public_key())],
		)
		self.assertEqual(len(signatures), 2)

		audit.append(audit.Entry(action="Witnessed again", channel="Test"))
		second = anchors.publish(force=True)
		self.assertTrue(second["witness_ok"], second["witness"])
		self.assertGreater(second["tree_size"], first["tree_size"])
		frappe.db.commit()
		self.assertEqual(
			frappe.db.get_value("Member Organisation", self.member, "witnessed_size"), second["tree_size"]
		)


class TestMembersCheckedByTheBody(WitnessCase):
	def test_growth_is_cosigned_and_a_replay_is_told_the_size_held(self):
		member = Member()
		name = self.register(member.origin, member.key)
		response = self.post(member.request(0, leaves_(5)))
		self.assertEqual(response.status_code, 200, response.text)
		signed, _root = member.checkpoint(leaves_(5))
		_text, signatures = note.open_note(
			signed + response.text, [note.parse_verifier_key(keys.witness_public_key())]
		)
		self.assertEqual(len(signatures), 1)
		# the same request again (a replay, or a member that lost track): the size held
		response = self.post(member.request(0, leaves_(5)))
		self.assertEqual((response.status_code, response.text), (409, "5"))
		response = self.post(member.request(5, leaves_(8)))
		self.assertEqual(response.status_code, 200, response.text)
		self.assertEqual(frappe.db.get_value("Member Organisation", name, "witnessed_size"), 8)

	def test_a_rewritten_truncated_or_forked_log_is_caught_and_told(self):
		member = Member()
		name = self.register(member.origin, member.key)
		self.assertEqual(self.post(member.request(0, leaves_(8))).status_code, 200)
		other = leaves_(3) + leaves_(7, "forged")  # the first 8 are not the ones witnessed
		cases = [
			(member.request(8, other, other), "a rollback or a rewritten history"),
			(member.request(8, leaves_(8, "forged")), "a split view"),
			(member.request(8, leaves_(6)), "fewer than the 8 already witnessed"),
		]
		for body, expected in cases:
			response = self.post(body)
			self.assertEqual(response.status_code, 422, response.text)
			self.assertIn(expected, response.text)
			frappe.db.rollback()
			doc = frappe.get_doc("Member Organisation", name)
			self.assertIn(expected, doc.witness_alert)
			self.assertEqual(doc.witnessed_size, 8)  # what was witnessed stands
		self.assertTrue(
			frappe.db.exists(
				"Notification Log",
				{"for_user": self.ombudsman, "document_name": name, "subject": ["like", "Member log alert%"]},
			)
		)
		alerts = audit.entries(
			{"action": "Witness Alert", "reference_name": name}, fields=["outcome", "reason"]
		)
		self.assertEqual(len(alerts), 3)
		self.assertEqual({a["outcome"] for a in alerts}, {"Blocked"})

	def test_unknown_keys_suspended_members_and_bad_requests_are_refused(self):
		member = Member()
		stranger = Member()
		stranger.origin = member.origin  # claims the member's log, with another key
		stranger.key = note.verifier_key(stranger.origin, note.public_bytes(stranger.seed))
		name = self.register(member.origin, member.key)
		response = self.post(stranger.request(0, leaves_(3)))
		self.assertEqual(response.status_code, 403, response.text)
		self.assertIn("not signed by a key of an active member organisation", response.text)
		frappe.db.set_value("Member Organisation", name, "status", "Suspended")
		frappe.db.commit()
		self.assertEqual(self.post(member.request(0, leaves_(3))).status_code, 403)
		for body, status in (
			(b"hello", 400),
			(b"old x\n\nnot a checkpoint", 400),
			(b"old 0\n\n" + b"a" * (witness.MAX_BODY + 1), 413),
		):
			response = self.post(body)
			self.assertEqual(response.status_code, status, response.text)
		refusals = audit.entries({"action": "Witness Refused"}, fields=["outcome"], since=0)
		self.assertTrue(refusals)
		frappe.db.set_single_value("Confidentiality Settings", "site_role", "Member Organisation")
		frappe.db.commit()
		try:
			self.assertEqual(self.post(member.request(0, leaves_(3))).status_code, 404)
		finally:
			frappe.db.set_single_value("Confidentiality Settings", "site_role", "Both")
			frappe.db.commit()

	def test_a_member_silent_for_too_long_is_flagged(self):
		member = Member()
		name = self.register(
			member.origin, member.key, joined_on=add_to_date(now_datetime(), days=-10).date()
		)
		self.assertEqual(self.post(member.request(0, leaves_(2))).status_code, 200)
		frappe.db.set_value(
			"Member Organisation", name, "witnessed_on", add_to_date(now_datetime(), hours=-72)
		)
		frappe.db.commit()
		witness.flag_silent()
		self.assertEqual(frappe.db.get_value("Member Organisation", name, "silent"), 1)
		self.assertTrue(
			frappe.db.exists(
				"Notification Log",
				{
					"for_user": self.ombudsman,
					"document_name": name,
					"subject": ["like", "Member log silent%"],
				},
			)
		)
		# the next checkpoint clears it
		self.assertEqual(self.post(member.request(2, leaves_(4))).status_code, 200)
		frappe.db.rollback()
		self.assertEqual(frappe.db.get_value("Member Organisation", name, "silent"), 0)

	def test_what_the_witness_recorded_cannot_be_edited_and_keys_must_name_the_log(self):
		member = Member()
		name = self.register(member.origin, member.key)
		doc = frappe.get_doc("Member Organisation", name)
		doc.witnessed_size = 999
		with self.assertRaises(frappe.PermissionError):
			doc.save(ignore_permissions=True)
		other = Member()
		with self.assertRaises(frappe.ValidationError):
			self.register(member.origin, other.key)
		with self.assertRaises(frappe.ValidationError):
			self.register(member.origin, "not a key")
