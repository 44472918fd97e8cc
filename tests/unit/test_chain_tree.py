"""Unit tests for the log's v3 entries (keyed hash over the leaf), redaction and the tree and
checkpoint checks of rules.chain.verify (pure Python, no frappe)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

import pytest

from confidentiality_app.rules import chain, merkle
from confidentiality_app.rules import leaf as leaves

try:
	from hypothesis import given, settings
	from hypothesis import strategies as st

	HAVE_HYPOTHESIS = True
except ImportError:  # pragma: no cover
	HAVE_HYPOTHESIS = False

KEY = b"k" * 32
KEYS = {"k1": KEY}
T0 = datetime(2026, 12, 6, 9, 0, 0)


def sealed(n: int) -> list[dict]:
	"""n entries sealed as the sealer does: a salt seed, the leaf hash, the keyed hash over it."""
	entries, previous = [], chain.GENESIS
	for i in range(1, n + 1):
		entry = {
			"name": f"CLOG-{i:09d}",
			"sequence": i,
			"timestamp": T0 + timedelta(seconds=i),
			"user": f"coach{i % 3}@example.org",
			"action": "Share",
			"channel": "Share",
			"decision": "Deny" if i % 2 else "Allow",
			"outcome": "Blocked" if i % 2 else "Allowed",
			"mode": "Enforce",
			"reference_doctype": "Lead",
			"reference_name": f"CRM-LEAD-{i % 4}",
			"client_doctype": "Lead",
			"client_name": f"CRM-LEAD-{i % 4}",
			"recipient": f"client{i % 4}@example.org",
			"reason": "no consent",
			"basis": "",
			"context": "POST /api/method/frappe.share.add 127.0.0.1",
			"key_id": "k1",
			"chain_version": chain.V3,
			"salt_seed": leaves.new_seed(),
		}
		entry["leaf_hash"] = leaves.leaf_hash_hex(entry, leaves.derive_salts(entry["salt_seed"]))
		entry["previous_hash"] = previous
		entry["entry_hash"] = chain.entry_hash(entry, previous, KEY)
		previous = entry["entry_hash"]
		entries.append(entry)
	return entries


def head(entries, size=None) -> bytes:
	size = len(entries) if size is None else size
	nodes = merkle.tree([bytes.fromhex(e["leaf_hash"]) for e in entries[:size]])
	return merkle.root(size, merkle.from_nodes(nodes))


def redact(entry: dict, fields, when="2026-12-06 10:00:00") -> None:
	"""What log.redaction does to a row."""
	salts, committed = leaves.salts_of(entry), leaves.committed_of(entry)
	for f in fields:
		committed[f] = leaves.commitment(f, salts[f], entry[f])
		entry[f] = ""
	entry["salts"] = json.dumps({f: s for f, s in salts.items() if f not in committed})
	entry["commitments"] = json.dumps(committed)
	entry["salt_seed"] = None
	entry["redacted_on"] = when


def declare(entries: list[dict], sequences) -> None:
	"""Append the redaction's own entry (as log.redaction does)."""
	last = entries[-1]
	i = last["sequence"] + 1
	entry = dict(
		sealed(1)[0],
		name=f"CLOG-{i:09d}",
		sequence=i,
		action=chain.REDACT_ACTION,
		basis=json.dumps({"redacted": list(sequences)}),
	)
	entry["leaf_hash"] = leaves.leaf_hash_hex(entry, leaves.derive_salts(entry["salt_seed"]))
	entry["previous_hash"] = last["entry_hash"]
	entry["entry_hash"] = chain.entry_hash(entry, entry["previous_hash"], KEY)
	entries.append(entry)


def check(entries, **kwargs):
	return chain.verify(entries, keys=KEYS, tree_required=True, **kwargs)


def test_salts_derive_one_way_and_differ_by_field():
	seed = leaves.new_seed()
	salts = leaves.derive_salts(seed)
	assert set(salts) == set(leaves.PERSONAL)
	assert len(set(salts.values())) == len(leaves.PERSONAL)
	assert seed not in salts.values()
	assert leaves.derive_salts(seed) == salts


def test_a_sealed_log_verifies_and_its_tree_matches_its_checkpoint():
	entries = sealed(13)
	result = check(
		entries,
		checkpoints=[
			chain.Checkpoint(13, head(entries), "now"),
			chain.Checkpoint(5, head(entries, 5), "earlier"),
		],
	)
	assert result.ok, result.problems
	assert (result.tree_size, result.tree_root, result.checkpoints_checked) == (13, head(entries).hex(), 2)


def test_a_changed_value_is_reported_once_by_its_leaf():
	entries = sealed(6)
	entries[2]["recipient"] = "mallory@example.org"
	result = check(entries)
	assert [p.name for p in result.problems] == [entries[2]["name"]]
	assert "leaf hash" in result.problems[0].problem


def test_a_leaf_rewritten_with_its_hash_fails_the_keyed_hash_and_the_checkpoint():
	entries = sealed(6)
	published = chain.Checkpoint(6, head(entries), "published")
	entries[2]["recipient"] = "mallory@example.org"
	entries[2]["leaf_hash"] = leaves.leaf_hash_hex(entries[2], leaves.derive_salts(entries[2]["salt_seed"]))
	result = check(entries, checkpoints=[published])
	problems = [p.problem for p in result.problems]
	assert any("keyed hash" in p for p in problems), problems
	assert any("differs from the checkpoint" in p for p in problems), problems


def test_removing_the_newest_entries_fails_against_an_earlier_checkpoint():
	entries = sealed(9)
	published = chain.Checkpoint(9, head(entries), "yesterday")
	result = check(entries[:7], checkpoints=[published])
	assert not result.ok
	assert "fewer than the checkpoint of 9" in result.problem


def test_two_checkpoints_of_one_size_with_different_roots_are_a_split_view():
	entries = sealed(5)
	other = sealed(5)
	result = check(
		entries,
		checkpoints=[chain.Checkpoint(5, head(entries), "file"), chain.Checkpoint(5, head(other), "witness")],
	)
	assert any(p.problem.startswith("split view: 2 checkpoints of 5 entries") for p in result.problems)


def test_a_redacted_entry_keeps_its_leaf_its_chain_and_the_tree():
	entries = sealed(8)
	published = chain.Checkpoint(8, head(entries), "before")
	redact(entries[3], ["client_name", "reference_name", "recipient", "reason", "context"])
	declare(entries, [4])
	result = check(entries, checkpoints=[published, chain.Checkpoint(9, head(entries), "after")])
	assert result.ok, result.problems
	assert result.redacted == 1
	assert leaves.entry_leaf_hash(entries[3]) == entries[3]["leaf_hash"]
	# the salt of an erased field is gone: nothing to test a guess against
	assert "client_name" not in json.loads(entries[3]["salts"])


def test_values_erased_with_no_redaction_entry_are_reported():
	entries = sealed(4)
	redact(entries[1], ["recipient"])
	result = check(entries)
	assert [p.name for p in result.problems] == [entries[1]["name"]]
	assert "no redaction entry" in result.problem


def test_a_redacted_field_given_a_value_again_is_reported():
	entries = sealed(4)
	redact(entries[1], ["recipient"])
	declare(entries, [2])
	entries[1]["recipient"] = "someone-else@example.org"  # the commitment would hide it
	result = check(entries)
	assert any("holds a value again" in p.problem for p in result.problems), result.problems


def test_a_redacted_v2_entry_is_checked_by_its_leaf():
	"""A v2 entry (keyed hash over the values) brought into the tree, then redacted."""
	entries = sealed(3)
	v2 = entries[1]
	v2["chain_version"] = None
	v2["entry_hash"] = chain.entry_hash(v2, v2["previous_hash"], KEY)
	entries[2]["previous_hash"] = v2["entry_hash"]
	entries[2]["entry_hash"] = chain.entry_hash(entries[2], entries[2]["previous_hash"], KEY)
	assert check(entries).ok
	redact(v2, ["client_name"])
	declare(entries, [2])
	assert check(entries).ok
	v2["decision"] = "Allow" if v2["decision"] == "Deny" else "Deny"
	assert [p.name for p in check(entries).problems] == [v2["name"]]


def test_an_entry_without_a_leaf_is_reported_when_the_tree_is_required():
	entries = sealed(3)
	entries[1]["leaf_hash"] = ""
	entries[1]["chain_version"] = None
	entries[1]["entry_hash"] = chain.entry_hash(entries[1], entries[1]["previous_hash"], KEY)
	entries[2]["previous_hash"] = entries[1]["entry_hash"]
	entries[2]["entry_hash"] = chain.entry_hash(entries[2], entries[2]["previous_hash"], KEY)
	assert chain.verify(entries, keys=KEYS).ok  # the pure chain alone
	result = check(entries)
	assert [p.problem for p in result.problems] == ["not in the Merkle tree (no leaf hash)"]


def test_the_streamed_builder_matches_rfc_9162_at_every_size():
	leaves_ = [hashlib.sha256(bytes([i])).digest() for i in range(40)]
	builder = merkle.Builder()
	for n, value in enumerate(leaves_, 1):
		builder.add(value)
		assert builder.root() == merkle.root(n, merkle.from_nodes(merkle.tree(leaves_[:n])))


if HAVE_HYPOTHESIS:

	@settings(max_examples=60, deadline=None)
	@given(
		st.integers(min_value=0, max_value=5),
		st.sampled_from([*leaves.CLEAR[1:], *leaves.PERSONAL]),
		st.text(min_size=1, max_size=12),
	)
	def test_changing_any_field_of_any_entry_fails(position, field, value):
		entries = sealed(6)
		original = leaves.text(entries[position][field])
		if value == original:
			return
		entries[position][field] = value
		result = check(entries)
		assert not result.ok and result.problems[0].name == entries[position]["name"]

else:  # pragma: no cover

	def test_changing_any_field_of_any_entry_fails():
		pytest.skip("hypothesis is not installed")


if HAVE_HYPOTHESIS:

	@settings(max_examples=300, deadline=None)
	@given(
		st.dictionaries(
			st.sampled_from([*leaves.CLEAR[1:], *leaves.PERSONAL]),
			st.one_of(st.none(), st.text(max_size=40), st.integers(), st.floats(allow_nan=False)),
		),
		st.integers(min_value=1, max_value=2**40),
	)
	def test_the_fast_leaf_hash_is_the_canonical_one(values, sequence):
		entry = {**values, "sequence": sequence, "salt_seed": leaves.new_seed()}
		reference = hashlib.sha256(b"\x00" + leaves.encode(leaves.fields_of(entry))).hexdigest()
		assert leaves.entry_leaf_hash(entry) == reference

else:  # pragma: no cover

	def test_the_fast_leaf_hash_is_the_canonical_one():
		pytest.skip("hypothesis is not installed")
