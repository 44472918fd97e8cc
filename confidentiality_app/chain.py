"""Hash chain of the Confidentiality Log. Pure Python, no frappe import.

Each entry's hash covers its own content and the previous entry's hash, so changing,
removing or reordering any entry breaks every hash after it. `verify` walks the chain in
sequence order and names the first entry that does not fit.
"""

from __future__ import annotations

import hashlib
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


def canonical(entry: Mapping) -> str:
	content = {}
	for key in HASHED_FIELDS:
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


def entry_hash(entry: Mapping, previous_hash: str) -> str:
	payload = (previous_hash + "\n" + canonical(entry)).encode("utf-8")
	return hashlib.sha256(payload).hexdigest()


@dataclass(frozen=True)
class Verification:
	ok: bool
	entries: int
	first_bad: str | None = None
	problem: str = ""


def verify(entries: Iterable[Mapping]) -> Verification:
	"""`entries` in ascending sequence order, each with `name`, the hashed fields,
	`previous_hash` and `entry_hash`."""
	previous = GENESIS
	expected_sequence = 1
	count = 0
	for entry in entries:
		count += 1
		name = entry.get("name")
		if int(entry.get("sequence") or 0) != expected_sequence:
			return Verification(False, count, name, "sequence gap: an entry was removed or inserted")
		if entry.get("previous_hash") != previous:
			return Verification(False, count, name, "previous hash does not match the entry before it")
		if entry_hash(entry, previous) != entry.get("entry_hash"):
			return Verification(False, count, name, "content does not match its hash")
		previous = entry["entry_hash"]
		expected_sequence += 1
	return Verification(True, count)
