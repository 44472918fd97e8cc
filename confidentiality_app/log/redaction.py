"""Redacting a client from the Confidentiality Log: their values and the salts that open them are
deleted, the entries, their leaf hashes, the keyed chain and every proof stay valid.

What a redaction erases, in every sealed entry (the queue is sealed first):
* in an entry about one of the client's records (as client or as the record acted on): every
  personal field (`rules.leaf.PERSONAL`) except who acted (`user`: the practitioner, whom an
  ombudsman must still be able to name), and that too when it holds one of the client's
  identifiers;
* in any other entry: each personal field that holds one of the client's identifiers (their
  record names, names and addresses), wherever it appears (a reason naming them, a recipient).
A redacted field keeps its commitment (in `commitments`), its value becomes empty, its salt
is gone (`salt_seed` deleted, the other fields' salts kept in `salts`), so the leaf is unchanged
and nobody can test a guess against it. The entry shows when, by whom and why. The redaction is
itself an entry ("Redact Client"), naming no identifier, listing the sequences it erased:
verification reports any entry erased without one.
"""

from __future__ import annotations

import json

import frappe
from frappe import _
from frappe.utils import now_datetime

from confidentiality_app.log import audit
from confidentiality_app.rules import chain
from confidentiality_app.rules import leaf as leaves

MIN_IDENTIFIER = 3


def _like(text: str) -> str:
	return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(value, identifiers: list[str]) -> bool:
	text = leaves.text(value).lower()
	return bool(text) and any(i in text for i in identifiers)


def redact(parties, identifiers, reason: str, user: str | None = None) -> dict:
	"""Erase the client (`parties`: their records [(doctype, name)]; `identifiers`: every value
	that names them). Returns {"entries": [sequence, ...], "fields": count, "entry": "accepted"}."""
	reason = (reason or "").strip()
	if not reason:
		frappe.throw(_("Give the reason for the redaction (e.g. the client's erasure request)."))
	parties = [tuple(p) for p in parties if p and p[0] and p[1]]
	if not parties:
		frappe.throw(_("Name the client to redact."))
	user = user or frappe.session.user
	wanted = sorted(
		{
			str(i).strip().lower()
			for i in [*identifiers, *(p[1] for p in parties)]
			if len(str(i or "").strip()) >= MIN_IDENTIFIER
		},
		key=len,
		reverse=True,
	)
	db = audit.connection()
	audit.seal(db)
	db.commit()
	columns = ", ".join(
		f"`{f}`"
		for f in (
			"name",
			"sequence",
			*leaves.CLEAR[1:],
			*leaves.PERSONAL,
			"leaf_hash",
			"salt_seed",
			"salts",
			"commitments",
			"redacted_fields",
		)
	)
	pairs = ", ".join(["(%s, %s)"] * len(parties))
	pair_values = tuple(v for p in parties for v in p)
	like = " OR ".join(f"LOWER(`{f}`) LIKE %s" for f in leaves.PERSONAL for _i in wanted)
	like_values = tuple(f"%{_like(i)}%" for _f in leaves.PERSONAL for i in wanted)
	matched = db.sql(
		f"SELECT {columns} FROM `tab{audit.LOG_DOCTYPE}` WHERE (client_doctype, client_name) IN ({pairs}) "
		f"OR (reference_doctype, reference_name) IN ({pairs})"
		+ (f" OR {like}" if like else "")
		+ " ORDER BY sequence FOR UPDATE",
		pair_values + pair_values + like_values,
		as_dict=True,
	)
	stamp = now_datetime()
	updates, sequences, erased = [], [], 0
	for row in matched:
		about = (row["client_doctype"], row["client_name"]) in parties or (
			row["reference_doctype"],
			row["reference_name"],
		) in parties
		fields = [
			f
			for f in leaves.PERSONAL
			if leaves.text(row.get(f)) and ((about and f != "user") or _contains(row.get(f), wanted))
		]
		if not fields:
			continue
		try:
			salts, committed = leaves.salts_of(row), leaves.committed_of(row)
		except ValueError:
			continue
		if any(f not in salts for f in fields if f not in committed):
			continue  # not in the tree yet (cannot happen once migrated): left for the patch
		for f in fields:
			committed[f] = leaves.commitment(f, salts[f], row.get(f))
		remaining = {f: s for f, s in salts.items() if f not in committed}
		done = sorted({*filter(None, (row.get("redacted_fields") or "").split(", ")), *fields})
		sets = {f: "" for f in fields}
		sets.update(
			salt_seed=None,
			salts=json.dumps(remaining, sort_keys=True),
			commitments=json.dumps(committed, sort_keys=True),
			redacted_on=stamp,
			redacted_by=user,
			redaction_reason=reason[:2000],
			redacted_fields=", ".join(done),
		)
		updates.append((row["name"], sets))
		sequences.append(row["sequence"])
		erased += len(fields)
	entry = audit.Entry(
		action=chain.REDACT_ACTION,
		channel="Confidentiality Log",
		outcome="Recorded",
		client_doctype=parties[0][0],
		reason=reason[:10000],
		basis=json.dumps({"redacted": sequences}),
		user=user,
	)
	try:
		for name, sets in updates:
			db.sql(
				f"UPDATE `tab{audit.LOG_DOCTYPE}` SET {', '.join(f'`{k}` = %s' for k in sets)} WHERE name = %s",
				(*sets.values(), name),
			)
		# the redaction's own entry commits with the erasure (append commits this connection's
		# transaction): never an entry erased without the entry that says why
		accepted = audit.append(entry, db=db, seal=False)
	except Exception:
		db.rollback()
		raise
	audit.seal(db)
	return {"entries": sequences, "fields": erased, "entry": accepted}
