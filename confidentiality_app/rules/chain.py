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

from confidentiality_app.rules import leaf, merkle

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
# v3 (with the Merkle tree): the keyed hash covers the entry's leaf hash (rules.leaf: personal
# fields as salted commitments), its sequence and key id, not the clear values, so erasing a
# client's values (a redaction) leaves both the chain and the tree verifiable.
HASHED_FIELDS_V3 = ("sequence", "leaf_hash", "key_id")
V3 = 3
# The entry a redaction writes; its `basis` is JSON {"redacted": [sequence, ...]}. An entry
# marked redacted that no such entry names was erased behind the log's back.
REDACT_ACTION = "Redact Client"


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


def version(entry: Mapping) -> int:
	try:
		if int(entry.get("chain_version") or 0) == V3:
			return V3
	except (TypeError, ValueError):
		return 0
	return 2 if entry.get("key_id") else 1


def entry_hash(entry: Mapping, previous_hash: str, key: bytes | None = None) -> str:
	"""v1 (no `key_id` on the entry): SHA-256. v2: HMAC-SHA256 with `key` over the content.
	v3: HMAC-SHA256 with `key` over the leaf hash."""
	if version(entry) == V3:
		if not key:
			raise KeyError(f"no key for key id {entry.get('key_id')}")
		payload = (previous_hash + "\n" + canonical(entry, HASHED_FIELDS_V3)).encode("utf-8")
		return hmac.new(key, payload, hashlib.sha256).hexdigest()
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
	tree_size: int = 0
	tree_root: str = ""
	checkpoints_checked: int = 0
	redacted: int = 0

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
			"tree_size": self.tree_size,
			"tree_root": self.tree_root,
			"checkpoints_checked": self.checkpoints_checked,
			"redacted": self.redacted,
		}


@dataclass(frozen=True)
class Checkpoint:
	"""A tree head published outside the database (its signature already checked)."""

	size: int
	root: bytes
	label: str = ""


def _sequence(entry: Mapping) -> int | None:
	value = entry.get("sequence")
	if isinstance(value, bool):
		return None
	try:
		return int(value)
	except (TypeError, ValueError):
		return None


def _content_problem(entry: Mapping, keys: Mapping[str, bytes], keyed_seen: bool) -> str | None:
	"""What is wrong with one entry's content (its leaf and its own hash), in one sentence."""
	wrong = []
	stored_leaf = str(entry.get("leaf_hash") or "")
	try:
		committed = leaf.committed_of(entry)
	except (ValueError, TypeError):
		committed = {}
		wrong.append("its redacted commitments cannot be read")
	filled = sorted(f for f in committed if entry.get(f) not in (None, ""))
	if filled:
		wrong.append(f"a redacted field holds a value again ({', '.join(filled)})")
	if committed and not entry.get("redacted_on"):
		wrong.append("fields were erased without a redaction")
	if stored_leaf:
		try:
			if leaf.entry_leaf_hash(entry) != stored_leaf:
				wrong.append("content does not match its leaf hash (a field was changed)")
		except (ValueError, TypeError, KeyError) as e:
			wrong.append(f"its leaf cannot be rebuilt: {e}")
	v = version(entry)
	redacted = bool(entry.get("redacted_on"))
	if v == V3 and not stored_leaf:
		wrong.append("a v3 entry without a leaf hash")
	elif v in (2, V3):
		key_id = entry.get("key_id") or ""
		key = keys.get(key_id)
		if v == 2 and redacted:
			pass  # a v2 hash covers the values a redaction erased: the leaf is the check
		elif key is None:
			wrong.append(f"signed with key {key_id!r}, which this verifier does not hold")
		elif not hmac.compare_digest(
			entry_hash(entry, entry.get("previous_hash") or "", key), str(entry.get("entry_hash") or "")
		):
			wrong.append("content does not match its keyed hash")
	elif keyed_seen:
		wrong.append("unkeyed entry after keyed ones: a forgery (keyed entries cannot be downgraded)")
	elif not redacted and entry_hash(entry, entry.get("previous_hash") or "") != entry.get("entry_hash"):
		wrong.append("content does not match its hash")
	return "; ".join(wrong) or None


def verify(
	entries: Iterable[Mapping],
	keys: Mapping[str, bytes] | None = None,
	anchors: Iterable[Anchor] = (),
	checkpoints: Iterable[Checkpoint] = (),
	progress=None,
	tree_required: bool = False,
) -> Verification:
	"""Check every entry, in the order given (ascending sequence), every anchor and every
	checkpoint.

	Each entry needs `name`, the hashed fields, `previous_hash`, `entry_hash`, for v2 and v3
	`key_id`, and, once in the tree, `leaf_hash` with `salt_seed` or `salts` / `commitments`.
	Problems are reported for each entry on its own: an entry's link is checked against the
	stored hash of the entry before it, so tampering further down is not hidden behind an
	earlier problem. The Merkle tree is rebuilt from the leaf hashes (RFC 9162) and compared
	with every checkpoint; two checkpoints of one size with different roots are a split view.
	With `tree_required` (the site's log, migrated), an entry without a leaf is reported.
	`progress(count)` is called every 10,000 entries."""
	keys = keys or {}
	checkpoints = list(checkpoints)
	problems: list[Problem] = []
	count = 0
	expected = 1
	previous = GENESIS
	keyed_seen = False
	redacted = 0
	redacted_entries: list[tuple[str | None, int]] = []
	declared: set[int] = set()
	seen_sequences: set[int] = set()
	hashes: dict[int, str] = {}
	tree = merkle.Builder()
	tree_broken: str | None = None
	wanted_sizes = {c.size for c in checkpoints}
	roots: dict[int, bytes] = {0: merkle.EMPTY_ROOT} if 0 in wanted_sizes else {}

	def report(entry, message):
		problems.append(Problem(entry.get("name"), _sequence(entry), message))

	for entry in entries:
		count += 1
		if progress and count % 10000 == 0:
			progress(count)
		sequence = _sequence(entry)
		if sequence is None or sequence < 1:
			# outside the chain altogether: reported, and not taken as anyone's predecessor
			report(entry, f"sequence {entry.get('sequence')!r} is not a positive number: a forged row")
			continue
		duplicate = sequence in seen_sequences
		if duplicate:
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

		if entry.get("redacted_on") or entry.get("commitments") not in (None, "", "{}"):
			redacted += 1
			redacted_entries.append((entry.get("name"), sequence))
		if entry.get("action") == REDACT_ACTION:
			try:
				declared.update(int(s) for s in json.loads(entry.get("basis") or "{}").get("redacted", []))
			except (ValueError, TypeError, AttributeError):
				report(entry, "a redaction entry whose list of redacted entries cannot be read")
		wrong = _content_problem(entry, keys, keyed_seen)
		if wrong:
			report(entry, wrong)
		if entry.get("key_id"):
			keyed_seen = True

		if not duplicate and tree_broken is None:
			stored_leaf = str(entry.get("leaf_hash") or "")
			try:
				raw = bytes.fromhex(stored_leaf)
			except ValueError:
				raw = b""
			if len(raw) != merkle.HASH_SIZE:
				tree_broken = f"entry {sequence} has no leaf in the Merkle tree"
				if tree_required:
					report(entry, "not in the Merkle tree (no leaf hash)")
			else:
				tree.add(raw)
				if tree.size in wanted_sizes:
					roots[tree.size] = tree.root()

		previous = str(entry.get("entry_hash") or "")
		hashes.setdefault(sequence, previous)

	head_sequence = max(hashes) if hashes else 0
	head_hash = hashes.get(head_sequence, GENESIS)
	for name, sequence in redacted_entries:
		if sequence not in declared:
			problems.append(
				Problem(
					name,
					sequence,
					"values erased with no redaction entry naming this entry (erased behind the log's back)",
				)
			)

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

	by_size: dict[int, dict[bytes, list[str]]] = {}
	for checkpoint in checkpoints:
		by_size.setdefault(checkpoint.size, {}).setdefault(checkpoint.root, []).append(checkpoint.label)
		if checkpoint.size > tree.size:
			if tree_broken is None:
				message = f"the tree holds {tree.size} entries, fewer than the checkpoint of {checkpoint.size} ({checkpoint.label}): entries were removed"
			else:
				message = f"the checkpoint of {checkpoint.size} entries ({checkpoint.label}) cannot be checked: {tree_broken}"
			problems.append(Problem(None, checkpoint.size, message))
		elif roots.get(checkpoint.size) != checkpoint.root:
			problems.append(
				Problem(
					None,
					checkpoint.size,
					f"the tree of the first {checkpoint.size} entries differs from the checkpoint ({checkpoint.label}): entries were changed",
				)
			)
	for size, seen in sorted(by_size.items()):
		if len(seen) > 1:
			labels = "; ".join(", ".join(labels) for labels in seen.values())
			problems.append(
				Problem(
					None,
					size,
					f"split view: {len(seen)} checkpoints of {size} entries with different roots ({labels}): the log was shown with two histories",
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
		tree_size=tree.size,
		tree_root=tree.root().hex() if tree_broken is None else "",
		checkpoints_checked=len(checkpoints),
		redacted=redacted,
	)
