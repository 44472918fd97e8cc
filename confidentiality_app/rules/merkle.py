"""The Merkle tree of the Confidentiality Log, as RFC 9162 (Certificate Transparency v2) section
2.1 defines it, so that anyone outside the organisation can check it with standard tooling.
Pure Python (hashlib), no frappe.

    leaf hash = SHA-256(0x00 || leaf data)
    node hash = SHA-256(0x01 || left || right)
    MTH of n > 1 leaves = node hash(MTH(first k), MTH(the rest)), k the largest power of two < n

What is stored is every *complete* subtree: node (level, index) is the hash of the 2**level
leaves from index * 2**level (level 0 holds the leaf hashes). Those nodes never change once
written, and any tree head, inclusion proof or consistency proof needs O(log n) of them: the
functions below take a `get(level, index) -> bytes` and call it only for complete subtrees.
`nodes_for(...)` says which nodes a computation will read (the access pattern does not
depend on the hashes), so a store reads them in one query, then computes from a dict.

Appending needs only the right edge of the tree (`frontier`): the complete subtrees that
make up the first `size` leaves; `append` returns the nodes a batch of new leaves completes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
Node = tuple[int, int]
Getter = Callable[[int, int], bytes]


class ProofError(ValueError):
	"""A proof cannot be made: an index or size outside the tree."""


def leaf_hash(data: bytes) -> bytes:
	return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
	return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
	"""The largest power of two smaller than n (n >= 2): RFC 9162's k, not the midpoint."""
	if n < 2:
		raise ValueError("split needs at least two leaves")
	return 1 << ((n - 1).bit_length() - 1)


def _complete(start: int, end: int) -> Node | None:
	width = end - start
	if width & (width - 1) == 0 and start % width == 0:
		level = width.bit_length() - 1
		return level, start >> level
	return None


def subtree_root(start: int, end: int, get: Getter) -> bytes:
	"""MTH of leaves [start, end), for the ranges RFC 9162's recursion makes (`start` is a
	multiple of a power of two at least end - start): complete subtrees are read, the rest
	combined."""
	if end <= start:
		raise ProofError("an empty range has no subtree")
	node = _complete(start, end)
	if node is not None:
		return get(*node)
	k = split(end - start)
	return node_hash(subtree_root(start, start + k, get), subtree_root(start + k, end, get))


def root(size: int, get: Getter) -> bytes:
	"""The tree head of the first `size` leaves."""
	if size < 0:
		raise ProofError("a tree size cannot be negative")
	return EMPTY_ROOT if size == 0 else subtree_root(0, size, get)


def inclusion_proof(index: int, size: int, get: Getter) -> list[bytes]:
	"""RFC 9162 2.1.3.1 PATH(index, D[0:size]): the audit path of leaf `index`."""
	if not 0 <= index < size:
		raise ProofError(f"leaf {index} is not in a tree of {size} leaves")
	path: list[bytes] = []
	start, end = 0, size
	while end - start > 1:
		k = split(end - start)
		if index < start + k:
			path.append(subtree_root(start + k, end, get))
			end = start + k
		else:
			path.append(subtree_root(start, start + k, get))
			start += k
	path.reverse()
	return path


def consistency_proof(old: int, new: int, get: Getter) -> list[bytes]:
	"""RFC 9162 2.1.4.1 PROOF(old, D[0:new]): that the first `old` leaves of the tree of
	`new` leaves are the tree of `old` leaves. Empty when old is 0 or old == new."""
	if not 0 <= old <= new:
		raise ProofError(f"no consistency proof from {old} to {new} leaves")
	if old == 0 or old == new:
		return []
	proof: list[bytes] = []
	start, end, complete = 0, new, True
	m = old
	while True:
		if m == end - start:
			if not complete:
				proof.append(subtree_root(start, end, get))
			break
		k = split(end - start)
		if m <= k:
			proof.append(subtree_root(start + k, end, get))
			end = start + k
		else:
			proof.append(subtree_root(start, start + k, get))
			start += k
			m -= k
			complete = False
	proof.reverse()
	return proof


def nodes_for(compute: Callable[..., object], *args) -> set[Node]:
	"""The complete subtrees `compute(*args, get)` reads (one query's worth for a store)."""
	wanted: set[Node] = set()

	def record(level: int, index: int) -> bytes:
		wanted.add((level, index))
		return bytes(HASH_SIZE)

	compute(*args, record)
	return wanted


def from_nodes(nodes: dict[Node, bytes]) -> Getter:
	def get(level: int, index: int) -> bytes:
		try:
			return nodes[(level, index)]
		except KeyError:
			raise ProofError(f"node ({level}, {index}) is not stored") from None

	return get


# ------------------------------------------------------------------ appending


def frontier(size: int) -> list[Node]:
	"""The complete subtrees that make up the first `size` leaves, largest first: all an
	append needs to know of the tree so far (at most log2(size) + 1 nodes)."""
	nodes, start = [], 0
	for level in range(size.bit_length() - 1, -1, -1):
		if size & (1 << level):
			nodes.append((level, start >> level))
			start += 1 << level
	return nodes


def append(size: int, leaf_hashes: Iterable[bytes], get: Getter) -> dict[Node, bytes]:
	"""The nodes that appending `leaf_hashes` to a tree of `size` leaves completes (the leaves
	themselves at level 0 included). `get` is asked only for the frontier's nodes."""
	edge = {node: get(*node) for node in frontier(size)}
	new: dict[Node, bytes] = {}
	for leaf in leaf_hashes:
		if len(leaf) != HASH_SIZE:
			raise ValueError("a leaf hash is 32 bytes")
		level, index, value = 0, size, leaf
		new[(0, index)] = value
		while index & 1:  # a right child completes its parent
			left = new.get((level, index - 1)) or edge[(level, index - 1)]
			value = node_hash(left, value)
			level, index = level + 1, index >> 1
			new[(level, index)] = value
		size += 1
	return new


def tree(leaf_hashes: Sequence[bytes]) -> dict[Node, bytes]:
	"""Every complete subtree of a tree built from scratch (tests, and the full verifier)."""
	return append(0, leaf_hashes, from_nodes({}))


class Builder:
	"""The tree grown one leaf at a time in memory, keeping only its right edge (the complete
	subtrees, at most log2(n) + 1 hashes): the root at any size on the way, for a full
	verification that streams every leaf once."""

	def __init__(self):
		self.size = 0
		self._edge: list[tuple[int, bytes]] = []  # (level, hash), largest first

	def add(self, leaf: bytes) -> None:
		level, value = 0, leaf
		while self._edge and self._edge[-1][0] == level:
			_level, left = self._edge.pop()
			value = node_hash(left, value)
			level += 1
		self._edge.append((level, value))
		self.size += 1

	def root(self) -> bytes:
		if not self._edge:
			return EMPTY_ROOT
		value = self._edge[-1][1]
		for _level, left in reversed(self._edge[:-1]):
			value = node_hash(left, value)
		return value


# ------------------------------------------------------------------ verifying (RFC 9162)


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], head: bytes) -> bool:
	"""RFC 9162 2.1.3.2: is the leaf hash `leaf` at `index` in the tree of `size` leaves
	whose head is `head`?"""
	if not (isinstance(index, int) and isinstance(size, int)) or not 0 <= index < size:
		return False
	if not _hashes(leaf, head, *proof):
		return False
	fn, sn, r = index, size - 1, leaf
	for p in proof:
		if sn == 0:
			return False
		if fn & 1 or fn == sn:
			r = node_hash(p, r)
			while not fn & 1 and fn != 0:
				fn >>= 1
				sn >>= 1
		else:
			r = node_hash(r, p)
		fn >>= 1
		sn >>= 1
	return sn == 0 and r == head


def verify_consistency(old: int, new: int, old_head: bytes, new_head: bytes, proof: Sequence[bytes]) -> bool:
	"""RFC 9162 2.1.4.2: is the tree of `old` leaves with head `old_head` the beginning of
	the tree of `new` leaves with head `new_head`?"""
	if not (isinstance(old, int) and isinstance(new, int)) or not 0 <= old <= new:
		return False
	if not _hashes(old_head, new_head, *proof):
		return False
	if old == new:
		return not proof and old_head == new_head
	if old == 0:
		return not proof and old_head == EMPTY_ROOT
	if not proof:
		return False
	path = list(proof)
	if old & (old - 1) == 0:  # a power of two: the old head is the first node
		path.insert(0, old_head)
	fn, sn = old - 1, new - 1
	while fn & 1:
		fn >>= 1
		sn >>= 1
	fr = sr = path[0]
	for c in path[1:]:
		if sn == 0:
			return False
		if fn & 1 or fn == sn:
			fr = node_hash(c, fr)
			sr = node_hash(c, sr)
			while not fn & 1 and fn != 0:
				fn >>= 1
				sn >>= 1
		else:
			sr = node_hash(sr, c)
		fn >>= 1
		sn >>= 1
	return sn == 0 and fr == old_head and sr == new_head


def _hashes(*values) -> bool:
	return all(isinstance(v, bytes | bytearray) and len(v) == HASH_SIZE for v in values)
