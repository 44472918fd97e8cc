"""The Confidentiality Log: verify, seal, publish the head."""

from __future__ import annotations

import json

import frappe
from frappe import _

from confidentiality_app.decision.permissions import OFFICER, OMBUDSMAN
from confidentiality_app.log import audit, verification


@frappe.whitelist()
def verify_log():
	"""Walk the whole Confidentiality Log against the site's keys and published heads:
	{"ok", "entries", "first_bad", "problem", "problems": [{"name", "sequence", "problem"}],
	"head_sequence", "head_hash", "anchors_checked"}."""
	frappe.only_for((OFFICER, OMBUDSMAN, "System Manager"))
	return verification.verify().as_dict()


@frappe.whitelist()
def seal_log():
	"""Seal what has been accepted, so the desk shows every entry. Returns the number sealed."""
	frappe.only_for((OFFICER, OMBUDSMAN, "System Manager"))
	return audit.seal()


@frappe.whitelist(methods=["POST"])
def publish_log_anchor():
	"""Publish the log's head now (anchor file, email, witness)."""
	frappe.only_for((OFFICER,))
	from confidentiality_app.log import anchors

	return anchors.publish(force=True)


# --------------------------------------------------------------------------- the verifiable log
# Anyone may read the checkpoint and the public keys (that is what lets someone outside the
# organisation verify); proofs, packs, reveals and redaction are for the officers.

PROOF_ROLES = (OFFICER, OMBUDSMAN)


def _size(value, label: str):
	"""A tree size from a request: None, or a whole number; a clear error otherwise."""
	if value in (None, ""):
		return None
	if isinstance(value, bool):
		value = str(value)
	if isinstance(value, int):
		number = value
	elif isinstance(value, str) and value.strip().isdigit():
		number = int(value.strip())
	else:
		frappe.throw(
			_("{0} must be a whole number of entries, not {1}.").format(label, frappe.bold(str(value)[:40]))
		)
	if number < 0 or number > 2**62:
		frappe.throw(_("{0} must be a whole number of entries, not {1}.").format(label, number))
	return number


@frappe.whitelist(allow_guest=True, methods=["GET"])
def log_checkpoint():
	"""The log's latest signed checkpoint (C2SP tlog-checkpoint in a signed note), as text."""
	from confidentiality_app.log import checkpoints

	return checkpoints.current()["checkpoint"]


@frappe.whitelist(allow_guest=True, methods=["GET"])
def log_public_keys():
	"""The public keys that sign the log's checkpoints, oldest first: [{"key" (verifier key
	text, what `logverify --key` takes), "key_id", "name", "created", "current"}]."""
	from confidentiality_app.log import keys

	return keys.public_keys()


@frappe.whitelist()
def log_inclusion_proof(entry, tree_size=None):
	"""The proof that `entry` (its name or sequence) is in the tree of `tree_size` entries
	(default: the tree now): {"entry", "sequence", "index", "tree_size", "leaf_hash", "leaf",
	"proof" (hex), "checkpoint" (signed, of that size)}."""
	frappe.only_for(PROOF_ROLES)
	from confidentiality_app.log import audit, checkpoints, packs, tree
	from confidentiality_app.rules import leaf as leaves

	size = _size(tree_size, _("Tree size"))
	db = audit.connection()
	row = packs.entry_row(entry, db)
	size = tree.size(db) if size is None else size
	proof = tree.inclusion_proof(db, row["sequence"] - 1, size)
	return {
		"entry": row["name"],
		"sequence": row["sequence"],
		"index": row["sequence"] - 1,
		"tree_size": size,
		"leaf_hash": row["leaf_hash"],
		"leaf": leaves.fields_of(row),
		"proof": [h.hex() for h in proof],
		"checkpoint": checkpoints.at(size, db),
	}


@frappe.whitelist()
def log_consistency_proof(old_size, new_size=None):
	"""The proof that the tree of `old_size` entries is the beginning of the tree of `new_size`
	(default: the tree now): {"old_size", "new_size", "proof" (hex), "old_checkpoint",
	"new_checkpoint"}."""
	frappe.only_for(PROOF_ROLES)
	from confidentiality_app.log import audit, checkpoints, tree

	old = _size(old_size, _("Old size"))
	if old is None:
		frappe.throw(_("Give the old tree size."))
	new = _size(new_size, _("New size"))
	db = audit.connection()
	audit.seal(db, wait=0)
	db.commit()
	new = tree.size(db) if new is None else new
	proof = tree.consistency_proof(db, old, new)
	return {
		"old_size": old,
		"new_size": new,
		"proof": [h.hex() for h in proof],
		"old_checkpoint": checkpoints.at(old, db),
		"new_checkpoint": checkpoints.at(new, db),
	}


def _client(client_doctype, client_name) -> tuple[str, str]:
	if (
		not client_doctype
		or not client_name
		or not isinstance(client_doctype, str)
		or not isinstance(client_name, str)
	):
		frappe.throw(_("Name the client: its doctype and its record."))
	if not frappe.db.exists("DocType", client_doctype):
		frappe.throw(_("{0} is not a doctype.").format(frappe.bold(client_doctype)))
	return client_doctype, client_name


def _parties(party) -> list[tuple[str, str]]:
	from confidentiality_app.decision import clients

	if frappe.db.exists(*party):
		return [tuple(p) for p in clients.identity(party)]
	return [party]  # a record already deleted: its entries still name it


def _log_pack_export(party, count: int, action: str):
	from confidentiality_app.log import audit

	audit.append(
		audit.Entry(
			action=action,
			channel="Confidentiality Log",
			decision="Allow",
			outcome="Recorded",
			client_doctype=party[0],
			client_name=party[1],
			reason=_("{0} entries with their proofs").format(count),
		)
	)


@frappe.whitelist()
def log_export_pack(client_doctype, client_name, reveal="all"):
	"""The evidence pack of every entry about a client, with proofs and their values revealed
	(format: confidentiality_app.logverify). The export is itself logged."""
	frappe.only_for(PROOF_ROLES)
	from confidentiality_app.log import packs

	party = _client(client_doctype, client_name)
	result = packs.for_parties(_parties(party), reveal=_reveal(reveal))
	_log_pack_export(party, len(result["entries"]), "Export Log Pack")
	return result


def _reveal(reveal):
	if reveal in (None, "", "all"):
		return "all" if reveal == "all" else ()
	if isinstance(reveal, str):
		try:
			reveal = json.loads(reveal)
		except ValueError:
			reveal = [f.strip() for f in reveal.split(",") if f.strip()]
	if not isinstance(reveal, list):
		frappe.throw(_("Name the fields to reveal as a list."))
	return [str(f) for f in reveal]


@frappe.whitelist()
def log_reveal(entry, fields=None):
	"""One entry's pack with the values and salts of `fields` (default: every field still
	held), so a third party can check them against the leaf."""
	frappe.only_for(PROOF_ROLES)
	from confidentiality_app.log import audit, packs

	db = audit.connection()
	row = packs.entry_row(entry, db)
	chosen = "all" if fields in (None, "") else _reveal(fields)
	result = packs.pack([row], reveal=chosen, db=db)
	audit.append(
		audit.Entry(
			action="Reveal Log Entry",
			channel="Confidentiality Log",
			decision="Allow",
			outcome="Recorded",
			reference_doctype="Confidentiality Log",
			reference_name=row["name"],
			client_doctype=row.get("client_doctype") or "",
			client_name=row.get("client_name") or "",
			reason=", ".join(sorted(result["entries"][0].get("revealed", {}))),
		)
	)
	return result


@frappe.whitelist(methods=["POST"])
def log_redact_client(client_doctype, client_name, reason, identifiers=None):
	"""Erase a client's values from the log (their records, names and addresses, and any
	`identifiers` given: a list or comma-separated), keeping every entry and proof valid."""
	frappe.only_for((OFFICER,))
	from confidentiality_app.decision import clients
	from confidentiality_app.log import redaction

	party = _client(client_doctype, client_name)
	parties = _parties(party)
	named: set[str] = set()
	if frappe.db.exists(*party):
		named |= {clients.title_of(p) for p in parties} | {
			frappe.db.get_value(p[0], p[1], frappe.get_meta(p[0]).get_title_field() or "name") or ""
			for p in parties
		}
		named |= clients.own_addresses(parties)
	extra = identifiers
	if isinstance(extra, str):
		try:
			extra = json.loads(extra)
		except ValueError:
			extra = [i.strip() for i in extra.split(",")]
	named |= {str(i) for i in (extra or []) if i}
	named = {n.removeprefix("tel:") for n in named if n}
	return redaction.redact(parties, sorted(named), reason)


@frappe.whitelist(methods=["POST"])
def start_log_verification():
	"""Start a full verification in the background; returns its Confidentiality Log
	Verification's name."""
	frappe.only_for((OFFICER, OMBUDSMAN, "System Manager"))
	from confidentiality_app.log import verification

	return verification.start()


@frappe.whitelist()
def log_verification():
	"""The newest full verification's result (None before the first run)."""
	frappe.only_for((OFFICER, OMBUDSMAN, "System Manager"))
	from confidentiality_app.log import verification

	return verification.last()
