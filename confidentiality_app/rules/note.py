"""Signed checkpoints of the Confidentiality Log in the C2SP formats existing transparency-log
tooling and witnesses read: a `tlog-checkpoint` (origin, tree size, base64 root hash, optional
extension lines) inside a `signed-note` (the text, a blank line, one line per signature:
"— <key name> <base64(key id || Ed25519 signature)>"). Pure Python and `cryptography`, no
frappe.

    key id        = SHA-256(key name || 0x0A || 0x01 || public key)[:4]
    verifier key  = "<key name>+<hex key id>+<base64(0x01 || public key)>"

The signature covers the note's text including its final newline. A note may carry more
signatures than the log's (a witness's cosignature): `open_note` checks the ones whose key it
is given and ignores the others, and fails when a known key's signature does not verify.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01
DASH = "\u2014 "
MAX_SIGNATURES = 100


class NoteError(ValueError):
	"""A note, key or checkpoint that is malformed or does not verify (the message says which)."""


# ------------------------------------------------------------------ keys


def _valid_name(name: str) -> bool:
	return bool(name) and not any(c.isspace() or c == "+" for c in name)


def key_id(name: str, public_key: bytes) -> bytes:
	return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()[:4]


def public_bytes(private_seed: bytes) -> bytes:
	from cryptography.hazmat.primitives import serialization

	key = Ed25519PrivateKey.from_private_bytes(private_seed).public_key()
	return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def verifier_key(name: str, public_key: bytes) -> str:
	"""The text a verifier is given: name, key id and the Ed25519 public key."""
	if not _valid_name(name):
		raise NoteError(f"invalid key name {name!r}")
	if len(public_key) != 32:
		raise NoteError("an Ed25519 public key is 32 bytes")
	encoded = base64.b64encode(bytes([ED25519]) + public_key).decode()
	return f"{name}+{key_id(name, public_key).hex()}+{encoded}"


@dataclass(frozen=True)
class Verifier:
	name: str
	id: bytes
	public_key: bytes

	def verify(self, message: bytes, signature: bytes) -> bool:
		try:
			Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
			return True
		except (InvalidSignature, ValueError):
			return False


def parse_verifier_key(text: str) -> Verifier:
	parts = (text or "").strip().split("+", 2)  # the base64 key may hold a "+" itself
	if len(parts) != 3:
		raise NoteError("a verifier key is <name>+<key id>+<key>")
	name, hex_id, encoded = parts
	if not _valid_name(name):
		raise NoteError(f"invalid key name {name!r}")
	try:
		raw = base64.b64decode(encoded, validate=True)
		wanted = bytes.fromhex(hex_id)
	except (binascii.Error, ValueError) as e:
		raise NoteError(f"the verifier key is not well encoded ({e})") from None
	if len(raw) != 33 or raw[0] != ED25519:
		raise NoteError("only Ed25519 verifier keys (type 0x01, 32 bytes) are supported")
	public_key = raw[1:]
	if len(wanted) != 4 or key_id(name, public_key) != wanted:
		raise NoteError("the verifier key's id does not match its name and key")
	return Verifier(name, wanted, public_key)


# ------------------------------------------------------------------ notes


def signature_line(name: str, private_seed: bytes, text: bytes) -> str:
	"""One signature line for `text` by the Ed25519 key whose 32-byte seed is given."""
	signature = Ed25519PrivateKey.from_private_bytes(private_seed).sign(text)
	blob = base64.b64encode(key_id(name, public_bytes(private_seed)) + signature).decode()
	return f"{DASH}{name} {blob}\n"


def _check_text(text: str) -> None:
	if not text.endswith("\n") or "\n\n" in text:
		raise NoteError("a note's text ends with a newline and holds no blank line")
	if any(ord(c) < 0x20 and c != "\n" for c in text):
		raise NoteError("a note's text holds no control characters")


def sign(text: str, name: str, private_seed: bytes) -> str:
	_check_text(text)
	return text + "\n" + signature_line(name, private_seed, text.encode())


@dataclass(frozen=True)
class Signature:
	name: str
	id: bytes
	signature: bytes
	line: str


def split_note(note: str) -> tuple[str, list[Signature]]:
	"""(text, signatures) of a signed note, checked for form only."""
	if not isinstance(note, str) or not note.endswith("\n"):
		raise NoteError("a signed note ends with a newline")
	cut = note.rfind("\n\n")
	if cut < 0:
		raise NoteError("a signed note has a blank line before its signatures")
	text, block = note[: cut + 1], note[cut + 2 :]
	_check_text(text)
	signatures = []
	for line in block.splitlines():
		if not line.startswith(DASH):
			raise NoteError(f"not a signature line: {line[:60]!r}")
		name, _, blob = line[len(DASH) :].partition(" ")
		try:
			raw = base64.b64decode(blob, validate=True)
		except (binascii.Error, ValueError):
			raise NoteError(f"signature of {name!r} is not base64") from None
		if not _valid_name(name) or len(raw) < 5:
			raise NoteError(f"malformed signature line for {name!r}")
		signatures.append(Signature(name, raw[:4], raw[4:], line + "\n"))
	if not signatures:
		raise NoteError("a signed note has at least one signature")
	if len(signatures) > MAX_SIGNATURES:
		raise NoteError("too many signatures")
	return text, signatures


def open_note(note: str, verifiers: list[Verifier]) -> tuple[str, list[Signature]]:
	"""The note's text and the signatures that verified. Fails when no given key signed it,
	or when a signature by a given key (same name and id) does not verify."""
	text, signatures = split_note(note)
	known = {(v.name, v.id): v for v in verifiers}
	verified = []
	for sig in signatures:
		verifier = known.get((sig.name, sig.id))
		if verifier is None:
			continue
		if not verifier.verify(text.encode(), sig.signature):
			raise NoteError(f"the signature of {sig.name} does not verify")
		verified.append(sig)
	if not verified:
		raise NoteError("the note is signed by none of the given keys")
	return text, verified


# ------------------------------------------------------------------ checkpoints


@dataclass(frozen=True)
class Checkpoint:
	origin: str
	size: int
	root: bytes
	extensions: tuple[str, ...] = ()

	def text(self) -> str:
		if not self.origin or "\n" in self.origin:
			raise NoteError("a checkpoint's origin is one non-empty line")
		if len(self.root) != 32 or self.size < 0:
			raise NoteError("a checkpoint holds a size and a 32-byte root hash")
		lines = [self.origin, str(self.size), base64.b64encode(self.root).decode(), *self.extensions]
		return "\n".join(lines) + "\n"


def parse_checkpoint(text: str) -> Checkpoint:
	lines = text.split("\n")
	if len(lines) < 4 or lines[-1] != "":
		raise NoteError("a checkpoint is origin, size and root hash, one per line")
	origin, size, root, *extensions = lines[:-1]
	if not origin or not size.isdigit() or (size != "0" and size.startswith("0")):
		raise NoteError("a checkpoint's size is a decimal number")
	try:
		raw = base64.b64decode(root, validate=True)
	except (binascii.Error, ValueError):
		raise NoteError("a checkpoint's root hash is base64") from None
	if len(raw) != 32:
		raise NoteError("a checkpoint's root hash is 32 bytes")
	if any(not line for line in extensions):
		raise NoteError("a checkpoint holds no empty line")
	return Checkpoint(origin, int(size), raw, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, name: str, private_seed: bytes) -> str:
	return sign(checkpoint.text(), name, private_seed)


def open_checkpoint(note: str, verifiers: list[Verifier]) -> tuple[Checkpoint, list[Signature]]:
	"""The checkpoint of a signed note, once a given key's signature verified."""
	text, verified = open_note(note, verifiers)
	return parse_checkpoint(text), verified
