"""The log anyone outside the organisation can verify, on the real site: the Merkle tree kept by
the sealer, signed checkpoints, proofs over the API, evidence packs checked by the standalone
verifier in a Python that has no frappe, redaction that keeps every proof, key rotation, and
clear errors for bad input (over real HTTP, as an officer's API key and as a guest)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import frappe

import confidentiality_app
from confidentiality_app import api
from confidentiality_app.decision.gate import ConfidentialityBlocked
from confidentiality_app.decision.permissions import OFFICER
from confidentiality_app.log import anchors, audit, checkpoints, keys, tree, verification
from confidentiality_app.rules import leaf as leaves
from confidentiality_app.rules import merkle, note
from confidentiality_app.tests.fixtures import (
	ConfidentialityTestCase,
	live_site,
	make_lead,
	make_user,
	set_mode,
)

LOG = "`tabConfidentiality Log`"
APP_ROOT = str(Path(confidentiality_app.__file__).resolve().parents[1])
LOG_TABLES = (
	"Confidentiality Log",
	"Confidentiality Log Queue",
	"Confidentiality Log Node",
	"Confidentiality Log Anchor",
	"Confidentiality Log Verification",
)


def third_party_python() -> str:
	"""A Python without frappe but with `cryptography`, as an ombudsman's laptop has: the
	system one (the bench's own environment holds frappe)."""
	for candidate in ("/usr/bin/python3", shutil.which("python3") or ""):
		if candidate and os.path.realpath(candidate) != os.path.realpath(sys.executable):
			return candidate
	raise AssertionError("no Python outside the bench to run the standalone verifier")


def logverify(pack: dict | str, *verifier_keys: str) -> tuple[int, str]:
	"""Run `python -m confidentiality_app.logverify` as a third party would."""
	with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
		f.write(pack if isinstance(pack, str) else json.dumps(pack))
		path = f.name
	code = (
		"import sys; sys.path[:] = [p for p in sys.path if 'bench' not in p]; "
		f"sys.path.insert(0, {APP_ROOT!r}); "
		"import importlib.util; assert importlib.util.find_spec('frappe') is None, 'frappe found'; "
		"from confidentiality_app.logverify import main; raise SystemExit(main(sys.argv[1:]))"
	)
	args = [third_party_python(), "-I", "-c", code, path]
	for key in verifier_keys:
		args += ["--key", key]
	done = subprocess.run(args, capture_output=True, text=True, timeout=120)
	os.unlink(path)
	return done.returncode, done.stdout + done.stderr


def site_key() -> str:
	return [k["key"] for k in keys.public_keys() if k["current"]][0]


def all_keys() -> list[str]:
	return [k["key"] for k in keys.public_keys()]


class LogTreeCase(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		set_mode("Enforce")
		cls.coach = make_user("cf-tree-coach@example.com")

	def setUp(self):
		super().setUp()
		self.dir = tempfile.mkdtemp()
		self.anchor_file = os.path.join(self.dir, "anchors.jsonl")
		frappe.db.set_single_value("Confidentiality Settings", "anchor_file", self.anchor_file)
		frappe.db.set_single_value("Confidentiality Settings", "witness_url", None)
		self.db = audit.connect()

	def tearDown(self):
		frappe.db.set_single_value("Confidentiality Settings", "anchor_file", None)
		self.db.close()
		shutil.rmtree(self.dir, ignore_errors=True)
		super().tearDown()

	def refused_shares(self, lead, times=2):
		for _ in range(times):
			with self.assertRaises(ConfidentialityBlocked):
				frappe.share.add("Lead", lead.name, self.coach)
		audit.seal()

	def row(self, sequence):
		return self.db.sql(f"SELECT * FROM {LOG} WHERE sequence = %s", (sequence,), as_dict=True)[0]

	def about(self, lead) -> list[dict]:
		self.db.commit()
		return self.db.sql(
			f"SELECT * FROM {LOG} WHERE reference_doctype = 'Lead' AND reference_name = %s ORDER BY sequence",
			(lead.name,),
			as_dict=True,
		)


class TestTreeAndProofs(LogTreeCase):
	def test_the_sealer_keeps_the_tree_every_entry_a_leaf(self):
		lead = make_lead()
		self.refused_shares(lead)
		size = tree.size(self.db)
		rows = self.about(lead)
		for row in rows:
			self.assertEqual(row["chain_version"], 3)
			self.assertEqual(leaves.entry_leaf_hash(row), row["leaf_hash"])
			stored = tree.read_nodes(self.db, [(0, row["sequence"] - 1)])
			self.assertEqual(stored[(0, row["sequence"] - 1)].hex(), row["leaf_hash"])
			# no personal value in the clear in the leaf
			encoded = leaves.encode(leaves.fields_of(row)).decode()
			self.assertNotIn(lead.name, encoded)
			self.assertNotIn(self.coach, encoded)
		self.assertTrue(tree.complete(self.db, size))

	def test_an_inclusion_proof_from_the_api_verifies_against_the_signed_checkpoint(self):
		lead = make_lead()
		self.refused_shares(lead, 1)
		entry = self.about(lead)[-1]
		proof = api.log_inclusion_proof(entry["name"])
		checkpoint = checkpoints.open_(proof["checkpoint"], keys.verifiers())
		self.assertEqual(checkpoint.size, proof["tree_size"])
		self.assertTrue(
			merkle.verify_inclusion(
				merkle.leaf_hash(leaves.encode(proof["leaf"])),
				proof["index"],
				proof["tree_size"],
				[bytes.fromhex(h) for h in proof["proof"]],
				checkpoint.root,
			)
		)
		# by sequence, at an older size, too: O(log n) nodes, one query
		older = api.log_inclusion_proof(str(entry["sequence"]), tree_size=entry["sequence"])
		self.assertEqual(older["tree_size"], entry["sequence"])
		self.assertLessEqual(len(older["proof"]), entry["sequence"].bit_length())

	def test_a_clients_pack_verifies_standalone_and_a_tampered_entry_fails_naming_it(self):
		lead = make_lead()
		self.refused_shares(lead)
		anchors.publish(force=True)  # an earlier checkpoint for the pack's consistency proof
		self.refused_shares(lead, 1)
		pack = api.log_export_pack("Lead", lead.name)
		self.assertGreaterEqual(len(pack["entries"]), 3)
		self.assertIn("previous", pack)
		self.assertTrue(all(e["revealed"]["reference_name"]["value"] == lead.name for e in pack["entries"]))
		status, out = logverify(pack, site_key())
		self.assertEqual(status, 0, out)
		self.assertIn("is the beginning of the log of", out)
		self.assertIn(" 0 failed", out)
		# the export itself was logged
		self.assertTrue(
			audit.entries({"action": "Export Log Pack", "client_name": lead.name}, fields=["name"])
		)

		# an entry rewritten in the database: its exported leaf no longer has a proof
		target = self.about(lead)[1]
		try:
			self.db.sql(
				f"UPDATE {LOG} SET decision = 'Allow', outcome = 'Allowed' WHERE name = %s", (target["name"],)
			)
			self.db.commit()
			status, out = logverify(api.log_export_pack("Lead", lead.name), site_key())
			self.assertEqual(status, 1, out)
			self.assertIn(
				f"FAILED  entry {target['sequence']} (leaf {target['sequence'] - 1}): not in the checkpoint's tree",
				out,
			)
			self.assertEqual(out.count("FAILED"), 1, out)
			result = verification.verify()
			self.assertIn(target["name"], [p.name for p in result.problems])
		finally:
			self.db.sql(
				f"UPDATE {LOG} SET decision = %s, outcome = %s WHERE name = %s",
				(target["decision"], target["outcome"], target["name"]),
			)
			self.db.commit()
		self.assertTrue(verification.verify().ok)

		# the wrong key, and a malformed pack: the verifier says so and exits 2
		other = note.verifier_key("elsewhere.example/log", note.public_bytes(bytes(32)))
		status, out = logverify(pack, other)
		self.assertEqual(status, 1, out)
		self.assertIn("checkpoint: the note is signed by none of the given keys", out)
		status, out = logverify("{not json", site_key())
		self.assertEqual(status, 2, out)
		self.assertIn("cannot verify:", out)
		self.assertNotIn("Traceback", out)

	def test_deleting_the_newest_entries_fails_the_consistency_proof_against_an_earlier_checkpoint(self):
		lead = make_lead()
		self.refused_shares(lead, 3)
		published = anchors.publish(force=True)
		size = published["tree_size"]
		removed = self.db.sql(
			f"SELECT * FROM {LOG} WHERE sequence > %s ORDER BY sequence", (size - 2,), as_dict=True
		)
		try:
			# the newest two entries deleted, and the log goes on over them
			self.db.sql(f"DELETE FROM {LOG} WHERE sequence > %s", (size - 2,))
			self.db.commit()
			self.refused_shares(make_lead(), 3)
			proof = api.log_consistency_proof(size)
			new = checkpoints.open_(proof["new_checkpoint"], keys.verifiers())
			self.assertFalse(
				merkle.verify_consistency(
					size,
					new.size,
					bytes.fromhex(published["root_hash"]),
					new.root,
					[bytes.fromhex(h) for h in proof["proof"]],
				)
			)
			result = verification.verify()
			self.assertFalse(result.ok)
			self.assertTrue(
				any(
					f"the tree of the first {size} entries differs from the checkpoint" in p.problem
					for p in result.problems
				),
				result.problems,
			)
		finally:
			self.db.sql(f"DELETE FROM {LOG} WHERE sequence > %s", (size - 2,))
			for row in removed:
				columns = ", ".join(f"`{k}`" for k in row)
				self.db.sql(
					f"INSERT INTO {LOG} ({columns}) VALUES ({', '.join(['%s'] * len(row))})",
					tuple(row.values()),
				)
			tree.append(self.db, size - 2, [bytes.fromhex(r["leaf_hash"]) for r in removed])
			self.db.commit()
			audit.seal()
		self.assertTrue(verification.verify().ok, verification.verify().problems)

	def test_two_checkpoints_of_one_size_with_different_roots_are_reported_as_a_split_view(self):
		lead = make_lead()
		self.refused_shares(lead, 1)
		published = anchors.publish(force=True)
		# the same size with another root, signed with the site's key, shown to someone else
		name, seed = keys.signer()
		forged = note.sign_checkpoint(note.Checkpoint(name, published["tree_size"], bytes(32)), name, seed)
		with open(self.anchor_file, "a") as f:
			f.write(json.dumps({"checkpoint": forged}) + "\n")
		result = verification.verify()
		self.assertFalse(result.ok)
		self.assertTrue(
			any(
				p.problem.startswith(f"split view: 2 checkpoints of {published['tree_size']} entries")
				for p in result.problems
			),
			result.problems,
		)
		# and the standalone verifier, given both
		pack = api.log_export_pack("Lead", lead.name)
		pack["checkpoint"] = published["checkpoint"]
		pack["entries"] = []
		pack["previous"] = {"checkpoint": forged, "consistency": []}
		status, out = logverify(pack, site_key())
		self.assertEqual(status, 1, out)
		self.assertIn("split view", out)

	def test_a_background_verification_is_stored_and_shown(self):
		self.refused_shares(make_lead(), 1)
		name = verification.start(enqueue=False)
		last = api.log_verification()
		self.assertEqual(last["name"], name)
		self.assertEqual(last["status"], "Passed", last["problems"])
		self.assertEqual(last["entries_checked"], last["tree_size"])


class TestRedaction(LogTreeCase):
	def test_a_redacted_client_is_gone_from_every_log_table_and_every_proof_still_holds(self):
		address = f"erase-{frappe.generate_hash(length=8)}@client.example"
		lead = make_lead(email_id=address)
		other = make_lead()
		self.refused_shares(lead, 2)
		self.refused_shares(other, 1)
		# the address in the free text of an entry about something else
		audit.append(
			audit.Entry(action="Note", channel="Test", outcome="Recorded", reason=f"called back {address}")
		)
		audit.seal()
		before = anchors.publish(force=True)
		entries = self.about(lead)
		self.assertTrue(entries)
		officer = make_user(roles=(OFFICER,))
		frappe.set_user(officer)
		result = api.log_redact_client("Lead", lead.name, "Erasure request of 2026-12-06")
		frappe.set_user("Administrator")
		self.assertGreaterEqual(len(result["entries"]), len(entries) + 1)

		# nowhere in any column of any log table
		for doctype in LOG_TABLES:
			columns = [c for c in frappe.db.get_table_columns(doctype)]
			concat = ", ".join(f"IFNULL(`{c}`, '')" for c in columns)
			for needle in (address, lead.name, lead.lead_name):
				found = self.db.sql(
					f"SELECT name FROM `tab{doctype}` WHERE LOWER(CONCAT_WS('|', {concat})) LIKE %s",
					(f"%{needle.lower()}%",),
				)
				self.assertEqual(found, (), f"{needle} still in {doctype}: {found}")

		# the entry says when, by whom and why; the salts of what was erased are gone
		row = self.row(entries[0]["sequence"])
		self.assertEqual(
			(row["redacted_by"], row["redaction_reason"]), (officer, "Erasure request of 2026-12-06")
		)
		self.assertIn("client_name", json.loads(row["commitments"]))
		self.assertNotIn("client_name", json.loads(row["salts"]))
		self.assertIsNone(row["salt_seed"])
		self.assertEqual(row["leaf_hash"], entries[0]["leaf_hash"])
		self.assertEqual(row["user"], entries[0]["user"])  # who acted stays

		# the redaction is an entry, naming the entries, not the client
		redaction = audit.entries({"action": "Redact Client"}, fields=["basis", "client_name", "user"])[0]
		self.assertEqual(json.loads(redaction["basis"])["redacted"], result["entries"])
		self.assertEqual((redaction["client_name"], redaction["user"]), ("", officer))

		# the whole log, and the checkpoint published before, still verify
		verified = verification.verify()
		self.assertTrue(verified.ok, verified.problems)
		self.assertGreaterEqual(verified.redacted, len(result["entries"]))
		proof = api.log_consistency_proof(before["tree_size"])
		self.assertTrue(
			merkle.verify_consistency(
				before["tree_size"],
				proof["new_size"],
				bytes.fromhex(before["root_hash"]),
				checkpoints.open_(proof["new_checkpoint"]).root,
				[bytes.fromhex(h) for h in proof["proof"]],
			)
		)
		# a redacted entry's pack verifies, with nothing of the client to reveal
		revealed = api.log_reveal(entries[0]["name"])
		self.assertNotIn("client_name", revealed["entries"][0]["revealed"])
		self.assertEqual(revealed["entries"][0]["redacted"]["by"], officer)
		status, out = logverify(revealed, site_key())
		self.assertEqual(status, 0, out)
		# another client's reveal still verifies
		pack = api.log_export_pack("Lead", other.name)
		self.assertTrue(pack["entries"])
		self.assertEqual(pack["entries"][0]["revealed"]["client_name"]["value"], other.name)
		status, out = logverify(pack, site_key())
		self.assertEqual(status, 0, out)

	def test_a_reason_is_required(self):
		lead = make_lead()
		frappe.set_user(make_user(roles=(OFFICER,)))
		with self.assertRaises(frappe.ValidationError):
			api.log_redact_client("Lead", lead.name, "  ")
		frappe.set_user("Administrator")


class TestSigningKeys(LogTreeCase):
	def test_rotation_keeps_checkpoints_signed_before_verifiable(self):
		self.refused_shares(make_lead(), 1)
		before = anchors.publish(force=True)
		old_key = site_key()
		new_key = keys.rotate_signing()
		self.assertNotEqual(old_key, new_key)
		self.refused_shares(make_lead(), 1)
		after = anchors.publish(force=True)
		listed = api.log_public_keys()
		self.assertIn(old_key, [k["key"] for k in listed])
		self.assertEqual([k["key"] for k in listed if k["current"]], [new_key])
		# each checkpoint verifies with its own key, not the other's
		note.open_checkpoint(before["checkpoint"], [note.parse_verifier_key(old_key)])
		note.open_checkpoint(after["checkpoint"], [note.parse_verifier_key(new_key)])
		with self.assertRaises(note.NoteError):
			note.open_checkpoint(before["checkpoint"], [note.parse_verifier_key(new_key)])
		# both published checkpoints check out in the full verification
		result = verification.verify()
		self.assertTrue(result.ok, result.problems)
		self.assertGreaterEqual(result.checkpoints_checked, 2)
		# the private key is in the key file outside the site, never in the database
		seed = keys.signer()[1]
		self.assertFalse(
			os.path.realpath(frappe.local.conf.confidentiality_log_key_file).startswith(
				os.path.realpath(frappe.get_site_path())
			)
		)
		self.assertNotIn(
			note.public_bytes(seed).hex(),
			json.dumps(frappe.get_all("Confidentiality Log Anchor", fields=["*"]), default=str),
		)


class TestBadInput(LogTreeCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.live = live_site(cls)
		cls.officer = make_user(roles=(OFFICER,))
		frappe.db.commit()

	def call(self, session, method, **params):
		response = session.get(f"{self.live.url}/api/method/confidentiality_app.api.{method}", params=params)
		self.assertNotIn("Traceback", response.text)
		return response

	def message(self, response) -> str:
		body = response.json()
		return " ".join(
			json.loads(m).get("message", "") for m in json.loads(body.get("_server_messages") or "[]")
		)

	def test_every_proof_api_answers_bad_input_with_a_clear_error(self):
		before = frappe.db.get_single_value("System Settings", "allow_error_traceback")
		frappe.db.set_single_value("System Settings", "allow_error_traceback", 1)
		frappe.db.commit()
		try:
			self.refused_shares(make_lead(), 1)
			frappe.db.commit()
			officer = self.live.api_key(self.officer)
			size = tree.size(self.db)
			cases = [
				("log_inclusion_proof", {"entry": "CLOG-NOT-THERE"}, "There is no Confidentiality Log entry"),
				(
					"log_inclusion_proof",
					{"entry": "1", "tree_size": size + 1000},
					f"there is no tree of {size + 1000}",
				),
				("log_inclusion_proof", {"entry": "1", "tree_size": "twelve"}, "must be a whole number"),
				(
					"log_inclusion_proof",
					{"entry": str(size), "tree_size": 1},
					f"Entry {size} is not in the tree of 1",
				),
				(
					"log_consistency_proof",
					{"old_size": size + 5, "new_size": size},
					"from a smaller tree to a larger one",
				),
				("log_consistency_proof", {"old_size": "-3"}, "must be a whole number"),
				(
					"log_export_pack",
					{"client_doctype": "No Such Type", "client_name": "x"},
					"is not a doctype",
				),
				(
					"log_reveal",
					{"entry": "1", "fields": '["secret_field"]'},
					"is not a field that can be revealed",
				),
			]
			for method, params, expected in cases:
				response = self.call(officer, method, **params)
				self.assertGreaterEqual(response.status_code, 400, (method, params, response.text[:300]))
				self.assertIn(
					expected.lower(), self.message(response).lower(), (method, params, response.text[:500])
				)
			# a guest reads the checkpoint and the keys, nothing else
			guest = self.live.guest()
			checkpoint = self.call(guest, "log_checkpoint").json()["message"]
			parsed = checkpoints.open_(checkpoint)
			self.assertEqual(parsed.origin, keys.origin())
			self.assertTrue(self.call(guest, "log_public_keys").json()["message"])
			for method, params in (
				("log_inclusion_proof", {"entry": "1"}),
				("log_export_pack", {"client_doctype": "Lead", "client_name": "x"}),
			):
				response = self.call(guest, method, **params)
				self.assertEqual(response.status_code, 403, response.text[:300])
		finally:
			frappe.db.set_single_value("System Settings", "allow_error_traceback", before)
			frappe.db.commit()

	def test_the_commands_print_the_checkpoint_and_write_a_pack_that_verifies(self):
		lead = make_lead()
		self.refused_shares(lead, 2)
		frappe.db.commit()
		output = os.path.join(self.dir, "pack.json")

		def bench(*args):
			return subprocess.run(
				[
					sys.executable,
					"-m",
					"frappe.utils.bench_helper",
					"frappe",
					"--site",
					frappe.local.site,
					*args,
				],
				cwd=frappe.utils.get_bench_path() + "/sites",
				capture_output=True,
				text=True,
				timeout=300,
			)

		done = bench("confidentiality-log-checkpoint")
		self.assertEqual(done.returncode, 0, done.stderr[-2000:])
		checkpoints.open_(done.stdout)
		done = bench("confidentiality-log-export", "--client", "Lead", lead.name, "--output", output)
		self.assertEqual(done.returncode, 0, done.stderr[-2000:])
		with open(output) as f:
			pack = json.load(f)
		self.assertGreaterEqual(len(pack["entries"]), 2)
		self.assertTrue(
			all(
				lead.name in (e["revealed"]["client_name"]["value"], e["revealed"]["reference_name"]["value"])
				for e in pack["entries"]
			)
		)
		status, out = logverify(pack, *all_keys())
		self.assertEqual(status, 0, out)
		done = bench("confidentiality-log-export", "--client", "No Such Type", "x", "--output", output)
		self.assertEqual(done.returncode, 2, done.stdout + done.stderr)
		self.assertIn("is not a doctype", done.stderr)
		self.assertNotIn("Traceback", done.stdout + done.stderr)
