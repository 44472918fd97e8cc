"""The log's Merkle tree against RFC 6962/9162's published test vectors, over every tree shape
up to 64 leaves, and under tampering (hypothesis): any changed byte of a leaf, a proof or a
head fails verification."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from confidentiality_app.rules import merkle as m

# The Certificate Transparency reference leaves and tree heads for sizes 0..8 (RFC 6962 test
# vectors, as transparency-dev/merkle and Google's CT code publish them).
LEAVES = [
	bytes.fromhex(h)
	for h in (
		"",
		"00",
		"10",
		"2021",
		"3031",
		"40414243",
		"5051525354555657",
		"606162636465666768696a6b6c6d6e6f",
	)
]
ROOTS = [
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = [
	(0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
	(5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip
CONSISTENCY = [
	(2, 8, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
	(6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
	(2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip

REFERENCE = m.tree([m.leaf_hash(leaf) for leaf in LEAVES])
GET = m.from_nodes(REFERENCE)


def reference_root(leaves: list[bytes]) -> bytes:
	"""MTH straight from RFC 9162's definition, from the leaf hashes (no stored nodes)."""
	if not leaves:
		return m.EMPTY_ROOT
	if len(leaves) == 1:
		return leaves[0]
	k = m.split(len(leaves))
	return m.node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


def test_the_split_is_rfc_9162s_and_not_the_midpoint():
	assert [m.split(n) for n in (2, 3, 4, 5, 6, 7, 8, 9, 1000)] == [1, 2, 2, 4, 4, 4, 4, 8, 512]
	assert m.split((1 << 63) + 1) == 1 << 63


def test_prefixes():
	assert m.leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
	assert m.node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()


def test_tree_heads_match_the_reference_vectors():
	for size, expected in enumerate(ROOTS):
		assert m.root(size, GET).hex() == expected, size


def test_inclusion_proofs_match_the_reference_vectors():
	for index, size, proof in INCLUSION:
		assert [p.hex() for p in m.inclusion_proof(index, size, GET)] == proof
		leaf = m.leaf_hash(LEAVES[index])
		assert m.verify_inclusion(
			leaf, index, size, [bytes.fromhex(p) for p in proof], bytes.fromhex(ROOTS[size])
		)


def test_consistency_proofs_match_the_reference_vectors():
	for old, new, proof in CONSISTENCY:
		assert [p.hex() for p in m.consistency_proof(old, new, GET)] == proof
		assert m.verify_consistency(
			old, new, bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new]), [bytes.fromhex(p) for p in proof]
		)


N = 64
BIG = [m.leaf_hash(hashlib.sha256(f"leaf {i}".encode()).digest()) for i in range(N)]
BIG_NODES = m.tree(BIG)
BIG_GET = m.from_nodes(BIG_NODES)
BIG_ROOTS = [reference_root(BIG[:n]) for n in range(N + 1)]


def test_stored_complete_subtrees_give_every_head():
	assert len(BIG_NODES) == 2 * N - 1  # a complete tree of 64 leaves
	for size in range(N + 1):
		assert m.root(size, BIG_GET) == BIG_ROOTS[size]


def test_appending_in_batches_gives_the_same_nodes():
	nodes: dict = {}
	size = 0
	for batch in (1, 2, 3, 5, 8, 13, 32):
		new = m.append(size, BIG[size : size + batch], m.from_nodes(nodes))
		assert set(new).isdisjoint(nodes)  # complete subtrees are written once, never changed
		nodes.update(new)
		size += batch
	assert size == N and nodes == BIG_NODES


def test_an_append_reads_only_the_frontier():
	for size in range(1, N):
		assert m.nodes_for(lambda s, get: m.append(s, [BIG[s]], get), size) == set(m.frontier(size))
		assert len(m.frontier(size)) == bin(size).count("1")


def test_every_inclusion_proof_verifies_and_reads_few_nodes():
	for size in range(1, N + 1):
		for index in range(size):
			proof = m.inclusion_proof(index, size, BIG_GET)
			assert m.verify_inclusion(BIG[index], index, size, proof, BIG_ROOTS[size]), (index, size)
			assert not m.verify_inclusion(
				BIG[index], index, size, proof, BIG_ROOTS[size - 1] if size > 1 else b"\0" * 32
			)
			if size > 1:
				assert not m.verify_inclusion(BIG[index], (index + 1) % size, size, proof, BIG_ROOTS[size])
			assert len(m.nodes_for(m.inclusion_proof, index, size)) <= 2 * size.bit_length()


def test_every_consistency_proof_verifies():
	for new in range(N + 1):
		for old in range(new + 1):
			proof = m.consistency_proof(old, new, BIG_GET)
			assert m.verify_consistency(old, new, BIG_ROOTS[old], BIG_ROOTS[new], proof), (old, new)
			if 0 < old < new:
				assert not m.verify_consistency(
					old, new, BIG_ROOTS[old - 1] if old > 1 else b"\0" * 32, BIG_ROOTS[new], proof
				)
				assert len(m.nodes_for(m.consistency_proof, old, new)) <= 2 * new.bit_length()


def test_a_million_leaves_need_a_few_dozen_nodes():
	size = 1_000_000
	assert len(m.nodes_for(m.root, size)) <= 20
	assert len(m.nodes_for(m.inclusion_proof, 765_432, size)) <= 40
	assert len(m.nodes_for(m.consistency_proof, 654_321, size)) <= 40


def test_out_of_range_requests_are_refused_clearly():
	with pytest.raises(m.ProofError):
		m.inclusion_proof(8, 8, GET)
	with pytest.raises(m.ProofError):
		m.inclusion_proof(-1, 8, GET)
	with pytest.raises(m.ProofError):
		m.consistency_proof(5, 3, GET)
	with pytest.raises(m.ProofError):
		m.inclusion_proof(0, 9, GET)  # node not stored
	assert not m.verify_inclusion(BIG[0], 8, 8, [], BIG_ROOTS[8])
	assert not m.verify_inclusion(b"\0" * 31, 0, 1, [], BIG_ROOTS[1])
	assert not m.verify_consistency(8, 6, BIG_ROOTS[8], BIG_ROOTS[6], [])
	assert not m.verify_consistency(6, 8, BIG_ROOTS[6], BIG_ROOTS[8], [])
	assert m.verify_consistency(4, 4, BIG_ROOTS[4], BIG_ROOTS[4], [])
	assert not m.verify_consistency(4, 4, BIG_ROOTS[4], BIG_ROOTS[5], [])
	assert m.verify_consistency(0, 8, m.EMPTY_ROOT, BIG_ROOTS[8], [])


def _flip(data: bytes, position: int, bit: int) -> bytes:
	b = bytearray(data)
	b[position % len(b)] ^= 1 << bit
	return bytes(b)


@settings(max_examples=300, deadline=None)
@given(
	size=st.integers(1, N),
	pick=st.integers(0, N - 1),
	what=st.sampled_from(["leaf", "proof", "head"]),
	position=st.integers(0, 10_000),
	bit=st.integers(0, 7),
)
def test_any_changed_byte_of_an_inclusion_fails(size, pick, what, position, bit):
	index = pick % size
	leaf, proof, head = BIG[index], m.inclusion_proof(index, size, BIG_GET), BIG_ROOTS[size]
	if what == "leaf":
		leaf = _flip(leaf, position, bit)
	elif what == "head":
		head = _flip(head, position, bit)
	elif proof:
		i = position % len(proof)
		proof = [*proof[:i], _flip(proof[i], position // 7, bit), *proof[i + 1 :]]
	else:
		leaf = _flip(leaf, position, bit)  # a one-leaf tree has no path: change the leaf
	assert not m.verify_inclusion(leaf, index, size, proof, head)


@settings(max_examples=300, deadline=None)
@given(
	new=st.integers(2, N),
	pick=st.integers(1, N),
	what=st.sampled_from(["old head", "new head", "proof"]),
	position=st.integers(0, 10_000),
	bit=st.integers(0, 7),
)
def test_any_changed_byte_of_a_consistency_fails(new, pick, what, position, bit):
	old = 1 + pick % (new - 1)
	proof, old_head, new_head = m.consistency_proof(old, new, BIG_GET), BIG_ROOTS[old], BIG_ROOTS[new]
	if what == "old head":
		old_head = _flip(old_head, position, bit)
	elif what == "new head":
		new_head = _flip(new_head, position, bit)
	else:
		i = position % len(proof)
		proof = [*proof[:i], _flip(proof[i], position // 7, bit), *proof[i + 1 :]]
	assert not m.verify_consistency(old, new, old_head, new_head, proof)
