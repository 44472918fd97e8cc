"""Verifying the Confidentiality Log: every row walked, each entry checked with the site's
keys, the chain checked against every head published outside the site (`anchors`)."""

from __future__ import annotations

import frappe

from confidentiality_app.log import anchors as published
from confidentiality_app.log import audit, keys
from confidentiality_app.rules import chain


def verify(db=None, anchors=None, held_keys=None, extra_anchors=()) -> chain.Verification:
	"""Seal, then walk every row of the chain (none is outside the walk: no range a forged
	row could sit outside), checking each entry with the site's keys and the chain against
	`anchors` (default: the anchors published outside the site). Entries still queued past
	audit.MAX_UNSEALED_MINUTES are reported too."""
	db = db or audit.connection()
	try:
		audit.seal(db)
	except Exception:
		frappe.logger("confidentiality_app").warning(
			"Confidentiality Log: seal before verify failed", exc_info=True
		)
	db.commit()
	columns = ", ".join(
		f"`{f}`" for f in ("name", *chain.HASHED_FIELDS, "key_id", "previous_hash", "entry_hash")
	)

	walked = [0]

	def rows():
		# keyset on the unique `sequence` index from below any possible value, so rows at or
		# below 0 are read too; the count below catches rows no sequence reaches (a NULL or
		# duplicate sequence, possible only if someone altered the table)
		last = -(2**62)
		while True:
			batch = db.sql(
				f"SELECT {columns} FROM `tab{audit.LOG_DOCTYPE}` WHERE sequence > %s ORDER BY sequence ASC LIMIT %s",
				(last, audit.VERIFY_BATCH),
				as_dict=True,
			)
			if not batch:
				return
			walked[0] += len(batch)
			yield from batch
			last = batch[-1]["sequence"]

	if held_keys is not None:
		held = held_keys
	else:
		try:
			held = keys.keys()
		except Exception:
			held = {}
	extra = []
	if anchors is None:
		path = published.anchor_file()
		anchors = published.read(path)
		# a tripwire, not the proof: the database's record of what was written to the file
		written = frappe.db.sql(
			"SELECT COUNT(*) FROM `tabConfidentiality Log Anchor` WHERE anchor_file = %s", (path,)
		)[0][0]
		if written > len(anchors):
			extra.append(
				chain.Problem(
					None,
					None,
					f"the anchor file {path} holds {len(anchors)} published heads, but {written} were written to it: it was replaced or truncated",
				)
			)
	result = chain.verify(rows(), keys=held, anchors=[*anchors, *extra_anchors])
	total = db.sql(f"SELECT COUNT(*) FROM `tab{audit.LOG_DOCTYPE}`")[0][0]
	if total != walked[0]:
		extra.append(
			chain.Problem(
				None,
				None,
				f"the log holds {total} rows but {walked[0]} have a distinct sequence: rows with a missing or repeated sequence were inserted",
			)
		)
	stale = audit.pending_count(audit.MAX_UNSEALED_MINUTES, db)
	if stale:
		extra.append(
			chain.Problem(
				None,
				None,
				f"{stale} accepted entries are still unsealed after {audit.MAX_UNSEALED_MINUTES} minutes (is the scheduler running?)",
			)
		)
	if extra:
		problem = extra[0]
		problems = (*result.problems, *extra)
		result = chain.Verification(
			ok=False,
			entries=result.entries,
			first_bad=result.first_bad,
			problem=result.problem or problem.problem,
			problems=problems,
			head_sequence=result.head_sequence,
			head_hash=result.head_hash,
			anchors_checked=result.anchors_checked,
		)
	return result
