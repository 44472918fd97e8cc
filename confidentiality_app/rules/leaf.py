"""What a leaf of the log's Merkle tree holds: the entry in a canonical encoding in which no
value that can identify a person is in the clear. Pure Python, no frappe.

Each personal field (who acted, the record and client named, the recipient, and the free text
of reason, basis and context) enters the leaf as a commitment, SHA-256 over a domain tag, the
field's name, a random salt of its own and the value. The values and salts are kept outside
the leaf: deleting them (a client's erasure) leaves the leaf, its hash and every proof valid,
and revealing one field (value and salt) lets a third party check it against the leaf without
learning any other field (each field has its own salt: one revealed salt opens nothing else).
The other fields (sequence, time, action, channel, decision, outcome, mode, the doctypes)
describe what happened, not to whom, and stay in the clear.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from datetime import datetime

VERSION = "confidentiality-log-leaf/1"
# The evidence pack's format (read by confidentiality_app.logverify, written by log.packs).
PACK_FORMAT = "confidentiality-log-pack/1"
CLEAR = (
	"sequence",
	"timestamp",
	"action",
	"channel",
	"decision",
	"outcome",
	"mode",
	"reference_doctype",
	"client_doctype",
)
PERSONAL = ("user", "reference_name", "client_name", "recipient", "reason", "basis", "context")
SALT_BYTES = 16
_TAG = b"confidentiality-log/commitment\x00"
_SALT_TAG = b"confidentiality-log/salt\x00"


def text(value) -> str:
	"""A field's value as the leaf sees it (as `rules.chain` does: the database's text)."""
	if value is None:
		return ""
	if isinstance(value, datetime):
		return value.strftime("%Y-%m-%d %H:%M:%S.%f")
	return str(value)


def new_salts() -> dict[str, str]:
	return {field: secrets.token_hex(SALT_BYTES) for field in PERSONAL}


def new_seed() -> str:
	"""An entry's random salt seed (hex): the log stores one per entry, not one per field."""
	return secrets.token_hex(SALT_BYTES)


def derive_salts(seed: str) -> dict[str, str]:
	"""Each personal field's salt, derived one-way from the entry's seed: revealing one field's
	salt reveals neither the seed nor any other field's salt."""
	raw = bytes.fromhex(seed)
	return {
		field: hashlib.sha256(_SALT_TAG + raw + field.encode()).hexdigest()[: SALT_BYTES * 2]
		for field in PERSONAL
	}


def commitment(field: str, salt: str, value) -> str:
	if field not in PERSONAL:
		raise ValueError(f"{field} is not a personal field")
	data = _TAG + field.encode() + b"\x00" + bytes.fromhex(salt) + text(value).encode("utf-8")
	return hashlib.sha256(data).hexdigest()


def leaf_fields(entry: Mapping, salts: Mapping[str, str], committed: Mapping[str, str] | None = None) -> dict:
	"""The leaf's content: clear fields as text (the sequence a number), personal fields as
	commitments. `committed` gives the commitment itself for fields whose value and salt were
	deleted (a redaction): the leaf is the same as before."""
	content: dict = {"v": VERSION}
	for field in CLEAR:
		value = entry.get(field)
		content[field] = value if field == "sequence" else text(value)
	if not isinstance(content["sequence"], int) or isinstance(content["sequence"], bool):
		raise ValueError("an entry's sequence is an integer")
	committed = committed or {}
	for field in PERSONAL:
		if field in committed:
			content[field] = str(committed[field])
		else:
			content[field] = commitment(field, salts[field], entry.get(field))
	return content


def leaf_hash_hex(
	entry: Mapping, salts: Mapping[str, str], committed: Mapping[str, str] | None = None
) -> str:
	"""RFC 9162's leaf hash of the entry (hex): SHA-256(0x00 || canonical leaf)."""
	return hashlib.sha256(b"\x00" + encode(leaf_fields(entry, salts, committed))).hexdigest()


def encode(fields: Mapping) -> bytes:
	"""The leaf data: canonical JSON (sorted keys, no spaces, UTF-8)."""
	return json.dumps(dict(fields), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def opens(fields: Mapping, field: str, value, salt: str) -> bool:
	"""Does (value, salt) open the leaf's commitment for `field`?"""
	try:
		return field in PERSONAL and commitment(field, salt, value) == fields.get(field)
	except (ValueError, TypeError):
		return False


# ------------------------------------------------------------------ a stored entry's leaf
# The log stores, beside an entry's values, `salt_seed` (the salts derive from it) or, once some
# fields are redacted, `salts` (JSON: the remaining fields' salts) and `commitments` (JSON: the
# redacted fields' commitments, their values and salts deleted).


def salts_of(entry: Mapping) -> dict[str, str]:
	seed = entry.get("salt_seed")
	if seed:
		return derive_salts(str(seed))
	return dict(json.loads(entry.get("salts") or "{}"))


def committed_of(entry: Mapping) -> dict[str, str]:
	return dict(json.loads(entry.get("commitments") or "{}"))


def fields_of(entry: Mapping) -> dict:
	"""The leaf content of a stored entry (ValueError when a field has neither salt nor
	commitment)."""
	salts, committed = salts_of(entry), committed_of(entry)
	missing = [f for f in PERSONAL if f not in committed and f not in salts]
	if missing:
		raise ValueError(f"no salt or commitment for {', '.join(missing)}")
	return leaf_fields(entry, salts, committed)


def entry_leaf_hash(entry: Mapping) -> str:
	"""The leaf hash of a stored entry (hex). The common case (a seed, nothing redacted) takes a
	fast path that computes the same bytes as `encode(fields_of(entry))` with fewer steps
	(full verification rebuilds every entry's leaf); the tests hold the two equal."""
	seed = entry.get("salt_seed")
	if seed and not entry.get("commitments"):
		return _fast_leaf_hash(entry, str(seed))
	return hashlib.sha256(b"\x00" + encode(fields_of(entry))).hexdigest()


# In canonical JSON the keys come sorted; each value is encoded as json.dumps encodes it
# (ensure_ascii=False), so the text is the same.
_ENCODE = json.encoder.encode_basestring
_SORTED = tuple(sorted(("v", *CLEAR, *PERSONAL)))
_PERSONAL_SET = frozenset(PERSONAL)
_SALT_PREFIX = {field: field.encode() for field in PERSONAL}
_COMMIT_PREFIX = {field: hashlib.sha256(_TAG + field.encode() + b"\x00") for field in PERSONAL}


def _fast_leaf_hash(entry: Mapping, seed: str) -> str:
	sequence = entry.get("sequence")
	if not isinstance(sequence, int) or isinstance(sequence, bool):
		raise ValueError("an entry's sequence is an integer")
	salt_base = hashlib.sha256(_SALT_TAG + bytes.fromhex(seed))
	parts = []
	for key in _SORTED:
		if key == "v":
			value = _ENCODE(VERSION)
		elif key == "sequence":
			value = str(sequence)
		elif key in _PERSONAL_SET:
			salt = salt_base.copy()
			salt.update(_SALT_PREFIX[key])
			digest = _COMMIT_PREFIX[key].copy()
			digest.update(salt.digest()[:SALT_BYTES])
			digest.update(text(entry.get(key)).encode("utf-8"))
			value = '"' + digest.hexdigest() + '"'
		else:
			value = _ENCODE(text(entry.get(key)))
		parts.append('"' + key + '":' + value)
	return hashlib.sha256(b"\x00" + ("{" + ",".join(parts) + "}").encode("utf-8")).hexdigest()
