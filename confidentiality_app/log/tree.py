"""The Confidentiality Log's Merkle tree in the database (RFC 9162; the hashing and the proofs
are `rules.merkle`'s).

Stored: every complete subtree, one row of `Confidentiality Log Node` named "<level>-<index>"
(level 0: the leaf hashes). Leaf i is the entry of sequence i + 1, so the tree's size is the
sealed head's sequence. What a root, an inclusion proof or a consistency proof reads is known
before reading (`merkle.nodes_for`): one primary-key query for O(log n) rows, whatever n.
Appending (the sealer, in its transaction) reads the right edge only (at most log2(n) + 1
rows) and inserts the nodes the batch completes.

Every function takes the log's own connection (`audit.connection()` or the sealer's).
"""

from __future__ import annotations

import frappe
from frappe import _

from confidentiality_app.rules import leaf as leaves
from confidentiality_app.rules import merkle

NODE_DOCTYPE = "Confidentiality Log Node"
LOG_DOCTYPE = "Confidentiality Log"
BACKFILL_BATCH = 5000


class TreeError(frappe.ValidationError):
	"""A proof or head that cannot be made (a size or entry outside the tree)."""


def node_name(level: int, index: int) -> str:
	return f"{level}-{index}"


def read_nodes(db, wanted) -> dict[merkle.Node, bytes]:
	"""The wanted nodes, in one query."""
	wanted = list(wanted)
	if not wanted:
		return {}
	rows = db.sql(
		f"SELECT level, node_index, hash FROM `tab{NODE_DOCTYPE}` WHERE name IN ({', '.join(['%s'] * len(wanted))})",
		tuple(node_name(*n) for n in wanted),
	)
	return {(int(level), int(index)): bytes.fromhex(value) for level, index, value in rows}


def _getter(db, compute, *args) -> merkle.Getter:
	return merkle.from_nodes(read_nodes(db, merkle.nodes_for(compute, *args)))


def write_nodes(db, nodes: dict[merkle.Node, bytes]) -> None:
	"""Insert the nodes (a node left from entries deleted behind the log's back is replaced:
	the tree follows the entries, and the published checkpoints show the difference)."""
	if not nodes:
		return
	stamp = frappe.utils.now_datetime()
	rows = [
		(node_name(level, index), level, index, value.hex(), stamp, stamp, "Administrator", "Administrator")
		for (level, index), value in nodes.items()
	]
	for start in range(0, len(rows), 5000):
		chunk = rows[start : start + 5000]
		db.sql(
			f"INSERT INTO `tab{NODE_DOCTYPE}` (name, level, node_index, hash, creation, modified, owner, modified_by) VALUES "
			+ ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
			+ " ON DUPLICATE KEY UPDATE hash = VALUES(hash)",
			tuple(v for row in chunk for v in row),
		)


def append(db, size: int, leaf_hashes: list[bytes]) -> None:
	"""Add leaves after the first `size` (the sealer, inside its transaction)."""
	get = merkle.from_nodes(read_nodes(db, merkle.frontier(size)))
	write_nodes(db, merkle.append(size, leaf_hashes, get))


def size(db) -> int:
	"""The number of leaves: the sealed head, when the tree covers every entry."""
	return int(db.sql(f"SELECT COALESCE(MAX(sequence), 0) FROM `tab{LOG_DOCTYPE}`")[0][0])


def complete(db, tree_size: int | None = None) -> bool:
	"""Does the tree hold every sealed entry (its right edge stored)?"""
	tree_size = size(db) if tree_size is None else tree_size
	edge = merkle.frontier(tree_size)
	return len(read_nodes(db, edge)) == len(edge)


def _check_size(tree_size: int, current: int) -> None:
	if not isinstance(tree_size, int) or tree_size < 0:
		frappe.throw(_("A tree size is a whole number of entries."), TreeError)
	if tree_size > current:
		frappe.throw(
			_("The log holds {0} entries: there is no tree of {1}.").format(current, tree_size), TreeError
		)


def root(db, tree_size: int) -> bytes:
	_check_size(tree_size, size(db))
	return merkle.root(tree_size, _getter(db, merkle.root, tree_size))


def inclusion_proof(db, index: int, tree_size: int) -> list[bytes]:
	_check_size(tree_size, size(db))
	if not 0 <= index < tree_size:
		frappe.throw(
			_("Entry {0} is not in the tree of {1} entries.").format(index + 1, tree_size), TreeError
		)
	return merkle.inclusion_proof(index, tree_size, _getter(db, merkle.inclusion_proof, index, tree_size))


def consistency_proof(db, old_size: int, new_size: int) -> list[bytes]:
	_check_size(new_size, size(db))
	if not isinstance(old_size, int) or not 0 <= old_size <= new_size:
		frappe.throw(
			_(
				"A consistency proof goes from a smaller tree to a larger one: {0} is not between 0 and {1}."
			).format(old_size, new_size),
			TreeError,
		)
	return merkle.consistency_proof(
		old_size, new_size, _getter(db, merkle.consistency_proof, old_size, new_size)
	)


# --------------------------------------------------------------------------- migration


def backfill(db, progress=None) -> int:
	"""Bring into the tree every sealed entry that is not in it (entries sealed before the tree
	existed), in sequence order, from their stored content: each gets a salt seed and a leaf
	hash; its keyed hash (v2) is left as it was. Returns the number of entries added."""
	added = 0
	while True:
		db.commit()
		first = db.sql(
			f"SELECT MIN(sequence) FROM `tab{LOG_DOCTYPE}` WHERE IFNULL(leaf_hash, '') = '' AND sequence > 0"
		)[0][0]
		if first is None:
			return added
		start = int(first) - 1  # leaves before this one are in the tree
		columns = ", ".join(
			f"`{f}`" for f in ("name", "leaf_hash", *leaves.CLEAR, *leaves.PERSONAL) if f != "sequence"
		)
		columns += ", `sequence`"
		rows = db.sql(
			f"SELECT {columns} FROM `tab{LOG_DOCTYPE}` WHERE sequence > %s ORDER BY sequence ASC LIMIT %s",
			(start, BACKFILL_BATCH),
			as_dict=True,
		)
		hashes, updates = [], []
		for expected, row in enumerate(rows, start + 1):
			if row["sequence"] != expected:
				frappe.throw(
					_("The log has no entry {0}: its tree cannot be built past it.").format(expected),
					TreeError,
				)
			if row["leaf_hash"]:
				hashes.append(bytes.fromhex(row["leaf_hash"]))
				continue
			seed = leaves.new_seed()
			value = leaves.leaf_hash_hex(row, leaves.derive_salts(seed))
			hashes.append(bytes.fromhex(value))
			updates.append((value, seed, row["name"]))
		append(db, start, hashes)
		if updates:
			db._cursor.executemany(
				f"UPDATE `tab{LOG_DOCTYPE}` SET leaf_hash = %s, salt_seed = %s WHERE name = %s AND IFNULL(leaf_hash, '') = ''",
				updates,
			)
		db._conn.commit()
		added += len(rows)
		if progress:
			progress(added)
