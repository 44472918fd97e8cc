"""The verifiable log (v0.5): every entry sealed before the Merkle tree enters it.

Decided: old entries enter the tree from their stored content, in sequence order; each gets
a random salt seed, so its personal values enter its leaf as salted commitments, exactly as
for a new entry. Their values stay where they are (the entry's own columns, the store the
desk lists and filters by); their keyed hash (v2, over the values) is left as it was, so the
HMAC chain verifies as before, and verification reports both views (chain and tree). A v2
entry redacted later keeps its place in the chain; its own keyed hash can no longer be
recomputed (it covered the erased values), so its leaf is what checks it. The site's
Ed25519 signing key is created in the key file (outside the site) first."""

import frappe


def execute():
	from confidentiality_app.log import audit, keys, tree

	keys.ensure()
	db = audit.connection()
	before = db.sql("SELECT COUNT(*) FROM `tabConfidentiality Log` WHERE IFNULL(leaf_hash, '') = ''")[0][0]
	# sealing brings the tree up to date first, under the sealer's lock (no other sealer
	# adds leaves meanwhile), then seals what is queued
	audit.seal(db)
	if before:
		print(f"Confidentiality Log: {before} entries brought into the Merkle tree, {tree.size(db)} in all")
	frappe.db.commit()
