"""Signed checkpoints in the C2SP signed-note and tlog-checkpoint formats: the Go sumdb/note
reference vector (a note another implementation signed verifies here, and signing the same
text with the same key gives the same bytes), checkpoints round-trip, and any changed byte of
a note, its checkpoint or its signature fails (hypothesis)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from confidentiality_app.rules import note

# golang.org/x/mod/sumdb/note's documented example (note.go, note_test.go)
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
	"If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
GO_NOTE = (
	GO_TEXT
	+ "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
GO_SEED = base64.b64decode(GO_SKEY.split("+", 4)[4])[1:]  # PRIVATE+KEY+name+id+key

SEED = bytes(range(32))
NAME = "coaching.example/confidentiality-log"
KEY = note.parse_verifier_key(note.verifier_key(NAME, note.public_bytes(SEED)))
CHECKPOINT = note.Checkpoint(NAME, 1234, bytes(range(100, 132)))
SIGNED = note.sign_checkpoint(CHECKPOINT, NAME, SEED)


def test_the_go_reference_note_verifies():
	verifier = note.parse_verifier_key(GO_VKEY)
	text, verified = note.open_note(GO_NOTE, [verifier])
	assert text == GO_TEXT and [s.name for s in verified] == ["PeterNeumann"]


def test_signing_the_go_text_with_the_go_key_gives_the_go_note():
	assert note.verifier_key("PeterNeumann", note.public_bytes(GO_SEED)) == GO_VKEY
	assert note.sign(GO_TEXT, "PeterNeumann", GO_SEED) == GO_NOTE


def test_a_checkpoint_round_trips():
	assert SIGNED.startswith(
		f"{NAME}\n1234\n{base64.b64encode(bytes(range(100, 132))).decode()}\n\n\u2014 {NAME} "
	)
	checkpoint, verified = note.open_checkpoint(SIGNED, [KEY])
	assert checkpoint == CHECKPOINT and len(verified) == 1


def test_a_cosignature_by_an_unknown_key_is_ignored_and_a_known_one_is_checked():
	witness_seed = bytes(range(1, 33))
	witness = note.parse_verifier_key(note.verifier_key("witness.example", note.public_bytes(witness_seed)))
	cosigned = SIGNED + note.signature_line("witness.example", witness_seed, CHECKPOINT.text().encode())
	assert len(note.open_checkpoint(cosigned, [KEY])[1]) == 1
	assert len(note.open_checkpoint(cosigned, [KEY, witness])[1]) == 2
	forged = SIGNED + note.signature_line("witness.example", bytes(32), CHECKPOINT.text().encode())
	# same name, another key: its id differs, so it is not the witness's signature at all
	assert len(note.open_checkpoint(forged, [KEY, witness])[1]) == 1


def test_another_key_or_no_known_key_fails():
	other = note.parse_verifier_key(note.verifier_key(NAME, note.public_bytes(bytes(32))))
	with pytest.raises(note.NoteError, match="none of the given keys"):
		note.open_checkpoint(SIGNED, [other])


@pytest.mark.parametrize(
	"bad",
	[
		"",
		"no-plus-signs",
		"PeterNeumann+c74f20a3",
		"PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
		"PeterNeumann+c74f20a3+ApRc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	],
)
def test_malformed_verifier_keys_are_refused(bad):
	with pytest.raises(note.NoteError):
		note.parse_verifier_key(bad)


@pytest.mark.parametrize(
	"bad",
	[
		"",
		"origin\n12\n",
		"origin\n-1\nAAAA\n",
		"origin\n012\n" + base64.b64encode(bytes(32)).decode() + "\n",
		"origin\n12\n" + base64.b64encode(bytes(31)).decode() + "\n",
		"origin\n12\nnot base64!\n",
		"\n12\n" + base64.b64encode(bytes(32)).decode() + "\n",
		"origin\n12\n" + base64.b64encode(bytes(32)).decode(),
	],
)
def test_malformed_checkpoints_are_refused(bad):
	with pytest.raises(note.NoteError):
		note.parse_checkpoint(bad)


@pytest.mark.parametrize(
	"bad",
	[
		GO_TEXT,  # no signatures
		GO_NOTE.rstrip("\n"),  # no final newline
		GO_NOTE.replace("\u2014 ", "-- "),
		GO_NOTE.replace("x08go/", "x08go!"),
		GO_NOTE.replace("\n\n", "\n\n\n"),
	],
)
def test_malformed_notes_are_refused(bad):
	with pytest.raises(note.NoteError):
		note.open_note(bad, [note.parse_verifier_key(GO_VKEY)])


@settings(max_examples=400, deadline=None)
@given(position=st.integers(0, 10_000), bit=st.integers(0, 7))
def test_any_changed_byte_of_a_signed_checkpoint_fails(position, bit):
	raw = bytearray(SIGNED.encode())
	raw[position % len(raw)] ^= 1 << bit
	try:
		changed = raw.decode()
	except UnicodeDecodeError:
		return  # not text any more: nothing to open
	if changed == SIGNED:
		return
	try:
		checkpoint, _verified = note.open_checkpoint(changed, [KEY])
	except note.NoteError:
		return
	# base64 has a few bits no decoder reads (padding): what verified must be the same checkpoint
	assert checkpoint == CHECKPOINT
