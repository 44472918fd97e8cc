"""Evidence packs of the Confidentiality Log, in the format the standalone verifier reads
(`confidentiality_app.logverify`, "confidentiality-log-pack/1"): the latest signed checkpoint;
each chosen entry's leaf (personal fields as commitments), the values and salts revealed for
the fields asked for, and its inclusion proof; the last published checkpoint before it with a
consistency proof (the log only grew since). Anyone with the site's public key checks a pack
on a machine without a bench:

    python -m confidentiality_app.logverify PACK.json --key "<verifier key>"

Proofs for many entries are read together: one query for every node they need (in chunks),
whatever the size of the log.
"""

from __future__ import annotations

import frappe
from frappe import _

from confidentiality_app.log import audit, checkpoints, tree
from confidentiality_app.rules import leaf as leaves
from confidentiality_app.rules import merkle

STORED = (
	"name",
	"sequence",
	*leaves.CLEAR[1:],
	*leaves.PERSONAL,
	"leaf_hash",
	"salt_seed",
	"salts",
	"commitments",
	"redacted_on",
	"redacted_by",
	"redaction_reason",
)
MAX_ENTRIES = 100000
NODE_CHUNK = 5000


def _read_nodes(db, wanted: set) -> dict:
	wanted = list(wanted)
	nodes = {}
	for start in range(0, len(wanted), NODE_CHUNK):
		nodes.update(tree.read_nodes(db, wanted[start : start + NODE_CHUNK]))
	return nodes


def rows(conditions: str, values: tuple, db=None) -> list[dict]:
	db = db or audit.connection()
	columns = ", ".join(f"`{f}`" for f in dict.fromkeys(STORED))
	return db.sql(
		f"SELECT {columns} FROM `tab{audit.LOG_DOCTYPE}` WHERE {conditions} ORDER BY sequence ASC LIMIT {MAX_ENTRIES + 1}",
		values,
		as_dict=True,
	)


def entry_row(entry, db=None) -> dict:
	"""One sealed entry by name (CLOG-...) or sequence; a clear error when there is none."""
	db = db or audit.connection()
	audit.seal(db, wait=0)  # a sealer at work: serve what is sealed
	db.commit()
	text = str(entry or "").strip()
	if text.isdigit():
		found = rows("sequence = %s", (int(text),), db)
	else:
		found = rows("name = %s", (text,), db) if text else []
	if not found:
		frappe.throw(
			_("There is no Confidentiality Log entry {0}.").format(frappe.bold(text or "''")), tree.TreeError
		)
	return found[0]


def revealed(row: dict, fields) -> dict:
	"""{field: {"value", "salt"}} for the asked fields still held (a redacted one has neither)."""
	salts, committed = leaves.salts_of(row), leaves.committed_of(row)
	out = {}
	for field in fields or ():
		if field not in leaves.PERSONAL:
			frappe.throw(
				_("{0} is not a field that can be revealed: choose among {1}.").format(
					frappe.bold(field), ", ".join(leaves.PERSONAL)
				),
				frappe.ValidationError,
			)
		if field in committed or field not in salts:
			continue
		out[field] = {"value": leaves.text(row.get(field)), "salt": salts[field]}
	return out


def pack(entries: list[dict], reveal=None, db=None, previous: bool = True) -> dict:
	"""A pack of `entries` (rows as `rows` reads them), revealing `reveal` (field names; all
	personal fields when "all")."""
	db = db or audit.connection()
	if len(entries) > MAX_ENTRIES:
		frappe.throw(_("A pack holds at most {0} entries: narrow the selection.").format(MAX_ENTRIES))
	current = checkpoints.current(db)
	size = current["tree_size"]
	fields = leaves.PERSONAL if reveal == "all" else (reveal or ())
	wanted: set = set()
	for row in entries:
		wanted |= merkle.nodes_for(merkle.inclusion_proof, row["sequence"] - 1, size)
	get = merkle.from_nodes(_read_nodes(db, wanted))
	items = []
	for row in entries:
		item = {
			"entry": row["name"],
			"index": row["sequence"] - 1,
			"leaf": leaves.fields_of(row),
			"proof": [h.hex() for h in merkle.inclusion_proof(row["sequence"] - 1, size, get)],
		}
		opened = revealed(row, fields)
		if opened:
			item["revealed"] = opened
		if row.get("redacted_on"):
			item["redacted"] = {
				"on": str(row["redacted_on"]),
				"by": row.get("redacted_by") or "",
				"reason": row.get("redaction_reason") or "",
			}
		items.append(item)
	result = {
		"format": leaves.PACK_FORMAT,
		"origin": checkpoints.open_(current["checkpoint"]).origin,
		"checkpoint": current["checkpoint"],
		"entries": items,
	}
	if previous:
		earlier = frappe.get_all(
			"Confidentiality Log Anchor",
			filters=[["tree_size", ">", 0], ["tree_size", "<=", size], ["checkpoint", "is", "set"]],
			fields=["checkpoint", "tree_size"],
			order_by="name desc",
			limit=1,
		)
		if earlier:
			result["previous"] = {
				"checkpoint": earlier[0].checkpoint,
				"consistency": [h.hex() for h in tree.consistency_proof(db, int(earlier[0].tree_size), size)],
			}
	return result


def for_parties(parties, reveal="all", db=None) -> dict:
	"""The pack of every sealed entry about the client records `parties` ([(doctype, name)]):
	the entries naming them as client or as the record acted on."""
	db = db or audit.connection()
	audit.seal(db, wait=0)  # a sealer at work: serve what is sealed
	db.commit()
	parties = [tuple(p) for p in parties]
	if not parties:
		return pack([], reveal, db)
	pairs = ", ".join(["(%s, %s)"] * len(parties))
	values = tuple(v for p in parties for v in p)
	found = rows(
		f"(client_doctype, client_name) IN ({pairs}) OR (reference_doctype, reference_name) IN ({pairs})",
		values + values,
		db,
	)
	return pack(found, reveal, db)
