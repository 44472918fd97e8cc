"""The standalone verifier (`python -m confidentiality_app.logverify`), run as a third party
would: in a subprocess whose Python cannot import frappe, on packs made from the log's leaf
encoding, tree and signed checkpoints. A pack verifies; a changed entry, a revealed value
that does not match, a proof cut short, another key, and an earlier checkpoint the log does
not extend each fail, naming the entry."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from confidentiality_app.rules import leaf as leaves
from confidentiality_app.rules import merkle, note

ROOT = Path(__file__).resolve().parents[2]
NAME = "coaching.example/confidentiality-log"
SEED = bytes(range(32))
VKEY = note.verifier_key(NAME, note.public_bytes(SEED))


def entry(sequence: int, client: str) -> dict:
	return {
		"sequence": sequence,
		"timestamp": f"2026-12-06 10:{sequence % 60:02d}:00.000000",
		"user": "coach@coaching.example",
		"action": "Print",
		"channel": "Print",
		"decision": "Deny" if sequence % 3 else "Allow",
		"outcome": "Blocked" if sequence % 3 else "Allowed",
		"mode": "Enforce",
		"reference_doctype": "Lead",
		"reference_name": f"CRM-LEAD-2026-{sequence:05d}",
		"client_doctype": "Lead",
		"client_name": client,
		"recipient": "",
		"reason": f"Print of Lead for {client}",
		"basis": "",
		"context": "",
	}


ENTRIES = [entry(i + 1, f"client-{i % 4}@example.com") for i in range(20)]
SALTS = [leaves.new_salts() for _ in ENTRIES]
FIELDS = [leaves.leaf_fields(e, s) for e, s in zip(ENTRIES, SALTS, strict=True)]
NODES = merkle.tree([merkle.leaf_hash(leaves.encode(f)) for f in FIELDS])
GET = merkle.from_nodes(NODES)


def checkpoint(size: int) -> str:
	return note.sign_checkpoint(note.Checkpoint(NAME, size, merkle.root(size, GET)), NAME, SEED)


def pack(indexes=(2, 5, 17), size=20, reveal=("client_name",), previous=None) -> dict:
	result = {
		"format": "confidentiality-log-pack/1",
		"checkpoint": checkpoint(size),
		"entries": [
			{
				"index": i,
				"leaf": FIELDS[i],
				"revealed": {f: {"value": ENTRIES[i][f], "salt": SALTS[i][f]} for f in reveal},
				"proof": [p.hex() for p in merkle.inclusion_proof(i, size, GET)],
			}
			for i in indexes
		],
	}
	if previous:
		result["previous"] = {
			"checkpoint": checkpoint(previous),
			"consistency": [p.hex() for p in merkle.consistency_proof(previous, size, GET)],
		}
	return result


def run(tmp_path, data, key=VKEY):
	path = tmp_path / "pack.json"
	path.write_text(json.dumps(data) if not isinstance(data, str) else data)
	# a third party's Python: this checkout only, and no frappe anywhere on the path
	code = (
		"import sys; sys.path[:] = [p for p in sys.path if 'bench' not in p]; "
		f"sys.path.insert(0, {str(ROOT)!r}); "
		"import importlib.util; assert importlib.util.find_spec('frappe') is None, 'frappe found'; "
		"from confidentiality_app.logverify import main; raise SystemExit(main(sys.argv[1:]))"
	)
	done = subprocess.run(
		[sys.executable, "-c", code, str(path), "--key", key], capture_output=True, text=True, timeout=60
	)
	return done.returncode, done.stdout + done.stderr


def test_a_pack_verifies(tmp_path):
	status, out = run(tmp_path, pack(previous=7))
	assert status == 0, out
	assert "5 verified, 0 failed" in out, out  # checkpoint, 3 entries, the earlier checkpoint
	assert "the log of 7 entries is the beginning of the log of 20" in out


def test_the_leaf_holds_no_personal_value_in_the_clear():
	encoded = leaves.encode(FIELDS[2]).decode()
	for field in leaves.PERSONAL:
		if ENTRIES[2][field]:
			assert str(ENTRIES[2][field]) not in encoded, field
	assert "Print" in encoded and '"sequence":3' in encoded


def test_a_changed_entry_is_named(tmp_path):
	data = pack()
	allowed = data["entries"][1]["leaf"]["decision"] == "Allow"
	data["entries"][1]["leaf"]["decision"] = "Deny" if allowed else "Allow"  # the entry rewritten
	status, out = run(tmp_path, data)
	assert status == 1
	assert "FAILED  entry 6 (leaf 5): not in the checkpoint's tree" in out
	assert "3 verified, 1 failed" in out  # the checkpoint and the two other entries


def test_a_revealed_value_that_is_not_the_entrys_fails(tmp_path):
	data = pack()
	data["entries"][0]["revealed"]["client_name"]["value"] = "someone-else@example.com"
	status, out = run(tmp_path, data)
	assert status == 1 and "entry 3 (leaf 2): revealed client_name do not match" in out


def test_one_revealed_salt_opens_no_other_field():
	salt = SALTS[2]["client_name"]
	assert not leaves.opens(FIELDS[2], "recipient", ENTRIES[2]["recipient"], salt)
	assert not leaves.opens(FIELDS[2], "user", ENTRIES[2]["user"], salt)
	assert leaves.opens(FIELDS[2], "user", ENTRIES[2]["user"], SALTS[2]["user"])


def test_a_proof_cut_short_fails(tmp_path):
	data = pack()
	data["entries"][2]["proof"] = data["entries"][2]["proof"][:-1]
	status, out = run(tmp_path, data)
	assert status == 1 and "entry 18 (leaf 17): not in the checkpoint's tree" in out


def test_removed_entries_fail_against_an_earlier_checkpoint(tmp_path):
	data = pack(indexes=(2,), size=12)
	# the log had 16 entries when this checkpoint was published; it now claims 12
	data["previous"] = {"checkpoint": checkpoint(16), "consistency": []}
	status, out = run(tmp_path, data)
	assert status == 1 and "is not the beginning of the latest" in out


def test_another_key_fails_and_says_so(tmp_path):
	other = note.verifier_key(NAME, note.public_bytes(bytes(32)))
	status, out = run(tmp_path, pack(), key=other)
	assert status == 1 and "FAILED  checkpoint: the note is signed by none of the given keys" in out


@pytest.mark.parametrize(
	"bad",
	[
		"not json",
		json.dumps({"format": "something else"}),
		json.dumps({"format": "confidentiality-log-pack/1"}),
	],
)
def test_a_malformed_pack_is_refused_with_a_message(tmp_path, bad):
	data = copy.deepcopy(bad)
	status, out = run(tmp_path, data)
	assert status in (1, 2), out
	assert "Traceback" not in out


def test_a_malformed_key_is_refused_with_a_message(tmp_path):
	status, out = run(tmp_path, pack(), key="not+a+key")
	assert status == 2 and "cannot verify:" in out and "Traceback" not in out


def test_two_signed_checkpoints_of_one_size_with_different_roots_are_a_split_view(tmp_path):
	data = pack(indexes=(2,), size=12)
	forged = note.sign_checkpoint(note.Checkpoint(NAME, 12, bytes(32)), NAME, SEED)
	data["previous"] = {"checkpoint": forged, "consistency": []}
	status, out = run(tmp_path, data)
	assert status == 1 and "split view: two checkpoints of 12 entries with different roots" in out
