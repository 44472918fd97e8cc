"""Signed checkpoints of the Confidentiality Log: the tree head (size and root) in the C2SP
`tlog-checkpoint` format inside a C2SP `signed-note`, signed with the site's Ed25519 key
(`keys.signer`). Existing transparency-log tooling and witnesses read them; anyone holding the
site's public key (`keys.public_keys`, served without login) checks them.

A checkpoint is made on demand for the tree as it stands (signing is deterministic: the same
tree gives the same text) and published hourly with the chain head (`anchors.publish`): the
published ones, in the anchor file and as Confidentiality Log Anchor records, are what full
verification compares the tree with.
"""

from __future__ import annotations

from frappe import _

from confidentiality_app.log import audit, keys, tree
from confidentiality_app.rules import note


class CheckpointError(Exception):
	pass


def sign(size: int, root: bytes) -> str:
	name, seed = keys.signer()
	return note.sign_checkpoint(note.Checkpoint(name, size, root), name, seed)


def at(size: int, db=None) -> str:
	"""The signed checkpoint of the first `size` entries."""
	db = db or audit.connection()
	return sign(size, tree.root(db, size))


def current(db=None) -> dict:
	"""The signed checkpoint of the tree as it stands now (sealed first): {"checkpoint": text,
	"tree_size", "root_hash" (hex)}."""
	db = db or audit.connection()
	audit.seal(db, wait=0)  # a sealer at work: serve what is sealed
	db.commit()
	size = tree.size(db)
	root = tree.root(db, size)
	return {"checkpoint": sign(size, root), "tree_size": size, "root_hash": root.hex()}


def open_(text: str, verifiers=None) -> note.Checkpoint:
	"""The checkpoint in a signed note, once one of the site's keys verified it."""
	try:
		checkpoint, _signatures = note.open_checkpoint(text, verifiers or keys.verifiers())
	except note.NoteError as e:
		raise CheckpointError(
			_("The checkpoint does not verify with the log's keys: {0}").format(e)
		) from None
	return checkpoint
