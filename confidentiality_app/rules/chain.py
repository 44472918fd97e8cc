"""Hash chain of the Confidentiality Log. Pure Python, no frappe import.

Each entry's hash covers its own content and the previous entry's hash, so changing,
removing or reordering any entry breaks every hash after it.

Two versions of entry hash:
* v1 (the foundation): plain SHA-256. Anyone who can write the database can recompute it.
* v2: HMAC-SHA256 with a secret key that does not live in the database; the entry names
  the key (`key_id`), so keys can be rotated. Someone who can write the database but not
  read the key cannot forge an entry that verifies. Once a keyed entry exists, an
  unkeyed one after it is a forgery (a downgrade).

`verify` reads every entry it is given (no range a forged row could sit outside), reports
every problem with what is wrong, and checks the chain against published anchors (heads
published outside the database): a chain shorter than an anchor, or differing from it, is
reported, which is how removal of the newest entries is found.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

GENESIS = "0" * 64

# The fields an entry's hash covers, in a fixed order. Adding a field later needs a
# chain version bump, never a silent change of this list.
HASHED_FIELDS = (
	"sequence",
	"timestamp",
	"user",
	"action",
	"channel",
	"decision",
	"outcome",
	"mode",
	"reference_doctype",
	"reference_name",
	"client_doctype",
	"client_name",
	"recipient",
	"reason",
	"basis",
	"context",
)
# v2 also covers the key's id, so an entry cannot be moved under another key.
HASHED_FIELDS_V2 = (*HASHED_FIELDS, "key_id")


def canonical(entry: Mapping, fields: tuple[str, ...] = HASHED_FIELDS) -> str:
	content = {}
	for key in fields:
		value = entry.get(key)
		if value is None:
			value = ""
		elif isinstance(value, datetime):
			# the database keeps microseconds; str() would drop ".000000"
			value = value.strftime("%Y-%m-%d %H:%M:%S.%f")
		# only the sequence is a number; every other field is text as the database returns
		# it (a record name can be an integer when hashed and "1" when read back)
		if key == "sequence" and isinstance(value, int) and not isinstance(value, bool):
			content[key] = value
		else:
			content[key] = str(value)
	return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(entry: Mapping, previous_hash: str, key: bytes | None = None) -> str:
	"""v1 (no `key_id` on the entry): SHA-256. v2: HMAC-SHA256 with `key`."""
	if entry.get("key_id"):
		if not key:
			raise KeyError(f"no key for key id {entry.get('key_id')}")
		payload = (previous_hash + "\n" + canonical(entry, HASHED_FIELDS_V2)).encode("utf-8")
		return hmac.new(key, payload, hashlib.sha256).hexdigest()
	payload = (previous_hash + "\n" + canonical(entry)).encode("utf-8")
	return hashlib.sha256(payload).hexdigest()


# --------------------------------------------------------------------------- anchors


@dataclass(frozen=True)
class Anchor:
	"""A head of the chain published outside the database."""

	sequence: int
	entry_hash: str
	timestamp: str = ""
	key_id: str = ""
	signature: str = ""

	def message(self) -> bytes:
		return f"confidentiality-log-anchor\n{self.sequence}\n{self.entry_hash}\n{self.timestamp}\n{self.key_id}".encode()

	def signed(self, key: bytes) -> Anchor:
		return Anchor(
			self.sequence,
			self.entry_hash,
			self.timestamp,
			self.key_id,
			hmac.new(key, self.message(), hashlib.sha256).hexdigest(),
		)

	def signature_ok(self, key: bytes | None) -> bool:
		if not key or not self.signature:
			return False
		expected = hmac.new(key, self.message(), hashlib.sha256).hexdigest()
		return hmac.compare_digest(expected, self.signature)

	def as_dict(self) -> dict:
		return {
			"sequence": self.sequence,
			"entry_hash": self.entry_hash,
			"timestamp": self.timestamp,
			"key_id": self.key_id,
			"signature": self.signature,
		}

	@classmethod
	def from_dict(cls, data: Mapping) -> Anchor:
		return cls(
			int(data["sequence"]),
			str(data["entry_hash"]),
			str(data.get("timestamp") or ""),
			str(data.get("key_id") or ""),
			str(data.get("signature") or ""),
		)


# --------------------------------------------------------------------------- verification


@dataclass(frozen=True)
class Problem:
	name: str | None
	sequence: int | None
	problem: str


@dataclass(frozen=True)
class Verification:
	ok: bool
	entries: int
	first_bad: str | None = None
	problem: str = ""
	problems: tuple[Problem, ...] = ()
	head_sequence: int = 0
	head_hash: str = GENESIS
	anchors_checked: int = 0

	def as_dict(self) -> dict:
		return {
			"ok": self.ok,
			"entries": self.entries,
			"first_bad": self.first_bad,
			"problem": self.problem,
			"problems": [
				{"name": p.name, "sequence": p.sequence, "problem": p.problem} for p in self.problems
			],
			"head_sequence": self.head_sequence,
			"head_hash": self.head_hash,
			"anchors_checked": self.anchors_checked,
		}


def _sequence(entry: Mapping) -> int | None:
	value = entry.get("sequence")
	if isinstance(value, bool):
		return None
	try:
		return int(value)
	except (TypeError, ValueError):
		return None


def verify(
	entries: Iterable[Mapping],
	keys: Mapping[str, bytes] | None = None,
	anchors: Iterable[Anchor] = (),
) -> Verification:
	"""Check every entry, in the order given (ascending sequence), and every anchor.

	Each entry needs `name`, the hashed fields, `previous_hash`, `entry_hash` and, for v2,
	`key_id`. Problems are reported for each entry on its own: an entry's link is checked
	against the stored hash of the entry before it, so tampering further down is not
	hidden behind an earlier problem."""
	keys = keys or {}
	problems: list[Problem] = []
	count = 0
	expected = 1
	previous = GENESIS
	keyed_seen = False
	seen_sequences: set[int] = set()
	hashes: dict[int, str] = {}

	def report(entry, message):
		problems.append(Problem(entry.get("name"), _sequence(entry), message))

	for entry in entries:
		count += 1
		sequence = _sequence(entry)
		if sequence is None or sequence < 1:
			# outside the chain altogether: reported, and not taken as anyone's predecessor
			report(entry, f"sequence {entry.get('sequence')!r} is not a positive number: a forged row")
			continue
		if sequence in seen_sequences:
			report(entry, f"sequence {sequence} appears twice")
		elif sequence != expected:
			report(
				entry,
				f"sequence gap: expected {expected}, found {sequence} (entries removed or inserted)",
			)
		seen_sequences.add(sequence)
		expected = max(expected, sequence + 1)

		if entry.get("previous_hash") != previous:
			report(entry, "previous hash does not match the entry before it")

		key_id = entry.get("key_id") or ""
		if key_id:
			keyed_seen = True
			key = keys.get(key_id)
			if key is None:
				report(entry, f"signed with key {key_id!r}, which this verifier does not hold")
			elif not hmac.compare_digest(
				entry_hash(entry, entry.get("previous_hash") or "", key), str(entry.get("entry_hash") or "")
			):
				report(entry, "content does not match its keyed hash")
		else:
			if keyed_seen:
				report(
					entry, "unkeyed entry after keyed ones: a forgery (keyed entries cannot be downgraded)"
				)
			elif entry_hash(entry, entry.get("previous_hash") or "") != entry.get("entry_hash"):
				report(entry, "content does not match its hash")

		previous = str(entry.get("entry_hash") or "")
		hashes.setdefault(sequence, previous)

	head_sequence = max(hashes) if hashes else 0
	head_hash = hashes.get(head_sequence, GENESIS)

	checked = 0
	for anchor in anchors:
		checked += 1
		key = keys.get(anchor.key_id) if anchor.key_id else None
		if anchor.key_id and key is not None and not anchor.signature_ok(key):
			problems.append(
				Problem(None, anchor.sequence, f"anchor of sequence {anchor.sequence} has a bad signature")
			)
			continue
		if anchor.sequence > head_sequence:
			problems.append(
				Problem(
					None,
					anchor.sequence,
					f"chain ends at {head_sequence}, shorter than the head {anchor.sequence} published on {anchor.timestamp}: entries were removed",
				)
			)
		elif hashes.get(anchor.sequence) != anchor.entry_hash:
			problems.append(
				Problem(
					None,
					anchor.sequence,
					f"entry {anchor.sequence} differs from the head published on {anchor.timestamp}: the chain was rewritten",
				)
			)

	first = problems[0] if problems else None
	return Verification(
		ok=not problems,
		entries=count,
		first_bad=first.name if first else None,
		problem=first.problem if first else "",
		problems=tuple(problems),
		head_sequence=head_sequence,
		head_hash=head_hash,
		anchors_checked=checked,
	)
