"""Unit tests for confidentiality_app.rules.chain (pure Python, no frappe)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta

import pytest

from confidentiality_app.rules.chain import GENESIS, HASHED_FIELDS, Anchor, canonical, entry_hash, verify

try:
	from hypothesis import given, settings
	from hypothesis import strategies as st

	HAVE_HYPOTHESIS = True
except ImportError:  # pragma: no cover - hypothesis is optional
	HAVE_HYPOTHESIS = False

T0 = datetime(2024, 6, 15, 12, 0, 0)


def content(sequence: int) -> dict:
	"""Hashed fields of one log entry, every one of them non-empty."""
	return {
		"sequence": sequence,
		"timestamp": T0 + timedelta(seconds=sequence, microseconds=sequence * 7),
		"user": f"user{sequence}@example.org",
		"action": "share",
		"channel": "DocShare",
		"decision": "Deny" if sequence % 2 else "Allow",
		"outcome": "Blocked" if sequence % 2 else "Allowed",
		"mode": "Enforce",
		"reference_doctype": "Customer",
		"reference_name": f"CUST-{sequence:04d}",
		"client_doctype": "Customer",
		"client_name": f"CUST-{sequence:04d}",
		"recipient": "bob@example.org",
		"reason": "no_consent" if sequence % 2 else "granted",
		"basis": "" if sequence % 2 else "CONS-1",
		"context": json.dumps({"n": sequence, "note": "café"}),
	}


def seal(entries: list[dict], previous: str = GENESIS) -> list[dict]:
	"""(Re)compute previous_hash and entry_hash of `entries` in place, as the writer does."""
	for entry in entries:
		entry["previous_hash"] = previous
		entry["entry_hash"] = entry_hash(entry, previous)
		previous = entry["entry_hash"]
	return entries


def build_chain(n: int) -> list[dict]:
	return seal([{"name": f"LOG-{i}", **content(i)} for i in range(1, n + 1)])


def changed(field: str, value):
	"""A different value of the same kind for `field`."""
	if field == "sequence":
		return value + 1
	if field == "timestamp":
		return value + timedelta(seconds=1)
	return str(value) + "x"


# --------------------------------------------------------------------------- canonical / entry_hash


class TestEntryHash:
	def test_is_sha256_hex(self):
		h = entry_hash(content(1), GENESIS)
		assert re.fullmatch(r"[0-9a-f]{64}", h)

	def test_genesis(self):
		assert GENESIS == "0" * 64

	def test_deterministic(self):
		assert entry_hash(content(1), GENESIS) == entry_hash(content(1), GENESIS)
		assert entry_hash(content(1), GENESIS) == entry_hash(dict(content(1)), GENESIS)

	def test_independent_of_key_order(self):
		forward = content(3)
		backward = dict(reversed(list(forward.items())))
		assert list(forward) != list(backward)
		assert entry_hash(forward, GENESIS) == entry_hash(backward, GENESIS)

	@pytest.mark.parametrize("field", HASHED_FIELDS)
	def test_changes_when_a_hashed_field_changes(self, field):
		entry = content(2)
		other = dict(entry, **{field: changed(field, entry[field])})
		assert entry_hash(other, GENESIS) != entry_hash(entry, GENESIS)

	@pytest.mark.parametrize("field", HASHED_FIELDS)
	def test_changes_when_a_hashed_field_is_cleared(self, field):
		entry = content(2)
		other = dict(entry, **{field: None})
		assert entry_hash(other, GENESIS) != entry_hash(entry, GENESIS)

	def test_changes_when_previous_hash_changes(self):
		entry = content(2)
		assert entry_hash(entry, GENESIS) != entry_hash(entry, "1" + GENESIS[1:])
		assert entry_hash(entry, "a" * 64) != entry_hash(entry, "b" * 64)

	@pytest.mark.parametrize(
		"extra", ["name", "previous_hash", "entry_hash", "owner", "modified", "creation"]
	)
	def test_unhashed_fields_do_not_matter(self, extra):
		entry = content(2)
		assert entry_hash(dict(entry, **{extra: "anything"}), GENESIS) == entry_hash(entry, GENESIS)

	def test_missing_and_none_and_empty_hash_alike(self):
		# the database may return NULL or "" for an empty optional field
		entry = content(2)
		missing = {k: v for k, v in entry.items() if k != "basis"}
		assert entry_hash(missing, GENESIS) == entry_hash(dict(entry, basis=None), GENESIS)
		assert entry_hash(missing, GENESIS) == entry_hash(dict(entry, basis=""), GENESIS)

	def test_datetime_without_microseconds_hashes_like_the_stored_string(self):
		when = datetime(2024, 6, 15, 9, 5, 7)
		assert when.microsecond == 0
		as_datetime = dict(content(1), timestamp=when)
		as_string = dict(content(1), timestamp="2024-06-15 09:05:07.000000")
		assert canonical(as_datetime) == canonical(as_string)
		assert entry_hash(as_datetime, GENESIS) == entry_hash(as_string, GENESIS)

	def test_datetime_with_microseconds_hashes_like_the_stored_string(self):
		as_datetime = dict(content(1), timestamp=datetime(2024, 6, 15, 9, 5, 7, 42))
		as_string = dict(content(1), timestamp="2024-06-15 09:05:07.000042")
		assert entry_hash(as_datetime, GENESIS) == entry_hash(as_string, GENESIS)

	def test_an_integer_record_name_hashes_like_the_stored_text(self):
		# autoincrement doctypes (Frappe CRM's CRM Task) have integer names; the log stores
		# them as text: the hash written must be the hash read back
		as_written = {**content(1), "reference_name": 7, "client_name": 12}
		as_read = {**content(1), "reference_name": "7", "client_name": "12"}
		assert entry_hash(as_written, GENESIS) == entry_hash(as_read, GENESIS)

	def test_the_sequence_stays_a_number(self):
		assert '"sequence":1' in canonical(content(1))

	def test_microseconds_are_hashed(self):
		a = dict(content(1), timestamp=datetime(2024, 6, 15, 9, 5, 7, 1))
		b = dict(content(1), timestamp=datetime(2024, 6, 15, 9, 5, 7, 2))
		assert entry_hash(a, GENESIS) != entry_hash(b, GENESIS)

	def test_canonical_is_compact_sorted_json_of_every_hashed_field(self):
		text = canonical(dict(content(4), user="josé@example.org", owner="ignored"))
		data = json.loads(text)
		assert set(data) == set(HASHED_FIELDS)
		assert list(data) == sorted(data)
		assert data["sequence"] == 4  # kept as a number
		assert data["timestamp"] == "2024-06-15 12:00:04.000028"
		assert data["context"] == content(4)["context"]
		# compact separators, sorted keys, non-ASCII kept as is
		assert text == json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
		assert "josé" in text

	def test_canonical_is_not_fooled_by_separators_in_values(self):
		# values that look like field boundaries cannot collide with other splits
		a = dict(content(1), user='a","action":"b', action="share")
		b = dict(content(1), user="a", action='b","action":"share')
		assert canonical(a) != canonical(b)
		assert entry_hash(a, GENESIS) != entry_hash(b, GENESIS)

	def test_missing_fields_are_hashed_as_empty(self):
		assert json.loads(canonical({})) == {f: "" for f in HASHED_FIELDS}


# --------------------------------------------------------------------------- verify


class TestVerify:
	def test_well_built_chain(self):
		result = verify(build_chain(5))
		assert (result.ok, result.entries, result.problems) == (True, 5, ())
		assert result.first_bad is None
		assert result.problem == ""

	def test_empty_chain(self):
		assert (verify([]).ok, verify([]).entries) == (True, 0)

	def test_single_entry(self):
		result = verify(build_chain(1))
		assert (result.ok, result.entries, result.head_sequence) == (True, 1, 1)

	def test_accepts_any_iterable(self):
		assert verify(iter(build_chain(5))).ok
		assert verify(e for e in build_chain(3)).ok

	def test_first_entry_links_to_genesis(self):
		chain = build_chain(2)
		assert chain[0]["previous_hash"] == GENESIS
		assert chain[1]["previous_hash"] == chain[0]["entry_hash"]

	@pytest.mark.parametrize("field", HASHED_FIELDS)
	def test_tampered_field_of_entry_3(self, field):
		chain = build_chain(5)
		chain[2][field] = changed(field, chain[2][field])
		result = verify(chain)
		assert result.ok is False
		assert result.first_bad == "LOG-3"
		assert result.entries == 5  # every entry is read
		assert result.problem

	@pytest.mark.parametrize("field", [f for f in HASHED_FIELDS if f != "sequence"])
	def test_tampered_content_is_reported_as_hash_mismatch(self, field):
		chain = build_chain(5)
		chain[2][field] = changed(field, chain[2][field])
		assert "hash" in verify(chain).problem

	def test_tampered_and_rehashed_entry_breaks_the_next_link(self):
		chain = build_chain(5)
		chain[2]["user"] = "mallory@example.org"
		chain[2]["entry_hash"] = entry_hash(chain[2], chain[2]["previous_hash"])
		result = verify(chain)
		assert result.ok is False
		assert result.first_bad == "LOG-4"
		assert "previous hash" in result.problem

	def test_tampered_entry_hash(self):
		chain = build_chain(5)
		chain[4]["entry_hash"] = "f" * 64
		result = verify(chain)
		assert (result.ok, result.first_bad) == (False, "LOG-5")

	def test_tampered_previous_hash(self):
		chain = build_chain(5)
		chain[3]["previous_hash"] = "f" * 64
		result = verify(chain)
		assert (result.ok, result.first_bad) == (False, "LOG-4")

	def test_deleted_entry_3(self):
		chain = build_chain(5)
		del chain[2]
		result = verify(chain)
		assert result.ok is False
		assert result.first_bad == "LOG-4"
		assert result.entries == 4
		assert "sequence gap" in result.problem

	def test_deleted_entry_3_with_renumbering(self):
		# renumbering hides the gap but not the broken link
		chain = build_chain(5)
		del chain[2]
		for i, entry in enumerate(chain, start=1):
			entry["sequence"] = i
		result = verify(chain)
		assert (result.ok, result.first_bad) == (False, "LOG-4")

	def test_deleted_first_entry(self):
		chain = build_chain(5)
		del chain[0]
		result = verify(chain)
		assert (result.ok, result.first_bad) == (False, "LOG-2")

	def test_swapped_entries(self):
		chain = build_chain(5)
		chain[1], chain[3] = chain[3], chain[1]
		result = verify(chain)
		assert result.ok is False
		assert result.first_bad == "LOG-4"

	def test_swapped_adjacent_entries(self):
		chain = build_chain(5)
		chain[2], chain[3] = chain[3], chain[2]
		result = verify(chain)
		assert (result.ok, result.first_bad) == (False, "LOG-4")

	def test_swapped_entries_with_swapped_sequences(self):
		chain = build_chain(5)
		chain[1], chain[3] = chain[3], chain[1]
		chain[1]["sequence"], chain[3]["sequence"] = 2, 4
		result = verify(chain)
		assert result.ok is False
		assert result.first_bad == "LOG-4"

	def test_inserted_entry(self):
		chain = build_chain(5)
		intruder = {"name": "LOG-X", **content(3)}
		seal([intruder], previous=chain[1]["entry_hash"])
		chain.insert(2, intruder)
		result = verify(chain)
		assert (result.ok, result.first_bad) == (False, "LOG-3")
		assert "appears twice" in result.problem

	def test_wrong_genesis(self):
		chain = seal([{"name": f"LOG-{i}", **content(i)} for i in range(1, 6)], previous="1" * 64)
		result = verify(chain)
		assert result.ok is False
		assert result.first_bad == "LOG-1"
		assert result.entries == 5
		assert "previous hash" in result.problem

	@pytest.mark.parametrize("previous", [None, "", "1" * 64, "0" * 63, "0" * 65])
	def test_bad_previous_hash_on_first_entry(self, previous):
		chain = build_chain(3)
		chain[0]["previous_hash"] = previous
		assert (verify(chain).ok, verify(chain).first_bad) == (False, "LOG-1")

	@pytest.mark.parametrize("sequence", [0, 2, None])
	def test_first_entry_must_have_sequence_1(self, sequence):
		chain = seal([dict(content(1), name="LOG-1", sequence=sequence)])
		result = verify(chain)
		assert (result.ok, result.first_bad) == (False, "LOG-1")
		assert "sequence gap" in result.problem or "not a positive number" in result.problem

	def test_chain_with_datetime_from_database_as_string(self):
		# written with datetime objects, read back as strings with microseconds
		chain = build_chain(5)
		reread = [dict(e, timestamp=e["timestamp"].strftime("%Y-%m-%d %H:%M:%S.%f")) for e in chain]
		assert (verify(reread).ok, verify(reread).entries) == (True, 5)

	def test_chain_with_none_read_back_as_empty_string(self):
		entries = [{"name": f"LOG-{i}", **content(i), "basis": None} for i in range(1, 4)]
		chain = seal(entries)
		reread = [dict(e, basis="") for e in chain]
		assert (verify(reread).ok, verify(reread).entries) == (True, 3)


# --------------------------------------------------------------------------- properties


if HAVE_HYPOTHESIS:

	@settings(max_examples=200, deadline=None)
	@given(st.data())
	def test_any_single_tampering_is_found_at_that_entry(data):
		n = data.draw(st.integers(min_value=1, max_value=8), label="length")
		chain = build_chain(n)
		assert (verify(chain).ok, verify(chain).entries) == (True, n)
		index = data.draw(st.integers(min_value=0, max_value=n - 1), label="index")
		field = data.draw(st.sampled_from(HASHED_FIELDS + ("previous_hash", "entry_hash")), label="field")
		entry = chain[index]
		if field in ("previous_hash", "entry_hash"):
			entry[field] = "e" * 64
		else:
			# values a row of the Confidentiality Log can hold: `sequence` is an Int column
			values = (
				st.one_of(st.integers(), st.none())
				if field == "sequence"
				else st.one_of(st.text(), st.none())
			)
			entry[field] = data.draw(
				values.filter(lambda v: canonical(dict(entry, **{field: v})) != canonical(entry)),
				label="value",
			)
		result = verify(chain)
		assert result.ok is False
		assert result.first_bad == f"LOG-{index + 1}"
		assert result.entries == n


# --------------------------------------------------------------------------- keyed chain (v2)

KEY1 = b"k1-secret-" + b"x" * 22
KEY2 = b"k2-secret-" + b"y" * 22
KEYS = {"k1": KEY1, "k2": KEY2}


def keyed_chain(
	n: int, key_id: str = "k1", previous: str = GENESIS, start: int = 1, prefix="LOG"
) -> list[dict]:
	entries = []
	for i in range(start, start + n):
		entry = {"name": f"{prefix}-{i}", **content(i), "key_id": key_id}
		entry["previous_hash"] = previous
		entry["entry_hash"] = entry_hash(entry, previous, KEYS[key_id])
		previous = entry["entry_hash"]
		entries.append(entry)
	return entries


class TestKeyedChain:
	def test_keyed_chain_verifies_with_the_key(self):
		result = verify(keyed_chain(5), keys=KEYS)
		assert (result.ok, result.entries, result.head_sequence) == (True, 5, 5)

	def test_keyed_hash_is_not_plain_sha256(self):
		entry = keyed_chain(1)[0]
		assert entry["entry_hash"] != entry_hash({k: v for k, v in entry.items() if k != "key_id"}, GENESIS)

	def test_key_id_is_covered(self):
		entry = keyed_chain(1)[0]
		moved = dict(entry, key_id="k2")
		assert entry_hash(moved, GENESIS, KEY1) != entry["entry_hash"]

	def test_rewrite_with_every_later_hash_recomputed_without_the_key_fails(self):
		"""The attack of the issue: Blocked -> Allowed, every later hash recomputed with
		plain SHA-256 (the attacker writes the database but cannot read the key)."""
		chain = keyed_chain(6)
		chain[2]["outcome"], chain[2]["decision"] = "Allowed", "Allow"
		previous = chain[1]["entry_hash"]
		for entry in chain[2:]:
			entry["previous_hash"] = previous
			entry["entry_hash"] = hashlib.sha256((previous + "\n" + canonical(entry)).encode()).hexdigest()
			previous = entry["entry_hash"]
		result = verify(chain, keys=KEYS)
		assert result.ok is False
		assert result.first_bad == "LOG-3"
		assert {p.name for p in result.problems} == {"LOG-3", "LOG-4", "LOG-5", "LOG-6"}

	def test_rewrite_as_unkeyed_entries_is_a_downgrade(self):
		chain = keyed_chain(4)
		chain[3].pop("key_id")
		chain[3]["entry_hash"] = entry_hash(chain[3], chain[3]["previous_hash"])
		result = verify(chain, keys=KEYS)
		assert (result.ok, result.first_bad) == (False, "LOG-4")
		assert "unkeyed entry after keyed ones" in result.problem

	def test_v1_prefix_then_keyed_entries_verify(self):
		legacy = build_chain(3)
		keyed = keyed_chain(3, previous=legacy[-1]["entry_hash"], start=4)
		assert verify(legacy + keyed, keys=KEYS).ok

	def test_rotation_entries_under_two_keys(self):
		first = keyed_chain(3, "k1")
		second = keyed_chain(3, "k2", previous=first[-1]["entry_hash"], start=4)
		assert verify(first + second, keys=KEYS).ok
		result = verify(first + second, keys={"k1": KEY1})
		assert result.ok is False
		assert "does not hold" in result.problem

	def test_every_tampered_entry_is_reported_not_only_the_first(self):
		chain = keyed_chain(8)
		chain[1]["reason"] = "nothing to see"
		chain[5]["recipient"] = "mallory@example.org"
		result = verify(chain, keys=KEYS)
		assert [p.name for p in result.problems] == ["LOG-2", "LOG-6"]
		assert all("keyed hash" in p.problem for p in result.problems)

	@pytest.mark.parametrize("sequence", [0, -1, -100])
	def test_a_forged_row_with_sequence_zero_or_below_is_reported(self, sequence):
		chain = keyed_chain(3)
		forged = dict(content(1), name="FORGED", sequence=sequence, key_id="k1", previous_hash=GENESIS)
		forged["entry_hash"] = entry_hash(forged, GENESIS, KEY1)
		result = verify([forged, *chain], keys=KEYS)
		assert result.ok is False
		assert result.first_bad == "FORGED"
		assert "not a positive number" in result.problem


class TestAnchors:
	def anchor(self, chain, index, key_id="k1"):
		entry = chain[index]
		return Anchor(entry["sequence"], entry["entry_hash"], "2024-06-15 12:00:00", key_id).signed(
			KEYS[key_id]
		)

	def test_chain_matching_its_anchors_verifies(self):
		chain = keyed_chain(6)
		result = verify(chain, keys=KEYS, anchors=[self.anchor(chain, 2), self.anchor(chain, 5)])
		assert (result.ok, result.anchors_checked) == (True, 2)

	def test_removing_the_newest_entries_fails_against_the_last_anchor(self):
		chain = keyed_chain(6)
		anchor = self.anchor(chain, 5)
		truncated = chain[:4]
		assert verify(truncated, keys=KEYS).ok  # undetectable without an anchor
		result = verify(truncated, keys=KEYS, anchors=[anchor])
		assert result.ok is False
		assert "shorter than the head 6" in result.problem

	def test_a_rewritten_chain_with_the_key_still_differs_from_the_anchor(self):
		"""Someone who holds the key can rebuild a chain that verifies, but not one that
		matches a head already published outside the site."""
		chain = keyed_chain(5)
		anchor = self.anchor(chain, 4)
		forged = keyed_chain(5, prefix="LOG")
		forged[1]["reason"] = "rewritten"
		previous = forged[0]["entry_hash"]
		for entry in forged[1:]:
			entry["previous_hash"] = previous
			entry["entry_hash"] = entry_hash(entry, previous, KEY1)
			previous = entry["entry_hash"]
		assert verify(forged, keys=KEYS).ok
		result = verify(forged, keys=KEYS, anchors=[anchor])
		assert result.ok is False
		assert "differs from the head" in result.problem

	def test_an_anchor_with_a_bad_signature_is_reported(self):
		chain = keyed_chain(3)
		anchor = self.anchor(chain, 2)
		bad = Anchor(anchor.sequence, anchor.entry_hash, anchor.timestamp, "k1", "0" * 64)
		result = verify(chain, keys=KEYS, anchors=[bad])
		assert "bad signature" in result.problem

	def test_anchor_round_trip(self):
		anchor = self.anchor(keyed_chain(2), 1)
		assert Anchor.from_dict(anchor.as_dict()) == anchor
		assert anchor.signature_ok(KEY1) and not anchor.signature_ok(KEY2)
