"""Verifying the Confidentiality Log: every row walked, each entry's leaf and keyed hash checked
with the site's keys, the Merkle tree rebuilt from the leaves and compared with every signed
checkpoint published outside the site (the anchor file, and the database's record of what was
published, as a tripwire), and the chain with every published head (`anchors`).

`verify` is the check itself (the daily task, the command); `start` / `run` run it in the
background with progress and keep the result as a Confidentiality Log Verification, which the
desk's Verify Chain shows.
"""

from __future__ import annotations

import json

import frappe
from frappe import _
from frappe.utils import add_to_date, now_datetime

from confidentiality_app.log import anchors as published
from confidentiality_app.log import audit, keys, tree
from confidentiality_app.rules import chain, note

RUN_DOCTYPE = "Confidentiality Log Verification"
COLUMNS = (
	"name",
	*chain.HASHED_FIELDS,
	"key_id",
	"previous_hash",
	"entry_hash",
	"chain_version",
	"leaf_hash",
	"salt_seed",
	"salts",
	"commitments",
	"redacted_on",
)
MAX_STORED_PROBLEMS = 1000
STALE_HOURS = 2


def _checkpoints(
	texts: list[tuple[str, str]], verifiers
) -> tuple[list[chain.Checkpoint], list[chain.Problem]]:
	"""Open each (label, signed note): the ones the site's keys verify, and a problem for each
	that does not (a published checkpoint is never silently ignored)."""
	opened, problems, seen = [], [], set()
	for label, text in texts:
		if text in seen:
			continue
		seen.add(text)
		try:
			checkpoint, _signatures = note.open_checkpoint(text, verifiers)
		except note.NoteError as e:
			problems.append(chain.Problem(None, None, f"checkpoint ({label}) does not verify: {e}"))
			continue
		opened.append(chain.Checkpoint(checkpoint.size, checkpoint.root, label))
	return opened, problems


def verify(
	db=None, anchors=None, held_keys=None, extra_anchors=(), checkpoints=None, progress=None
) -> chain.Verification:
	"""Seal, then walk every row of the log (none is outside the walk: no range a forged row
	could sit outside), checking each entry with the site's keys, the chain against `anchors`
	and the tree against `checkpoints` (signed note texts). Default for both: what was
	published outside the site (the anchor file, with the database's records as a tripwire);
	when `anchors` is given, `checkpoints` defaults to none. Entries still queued past
	audit.MAX_UNSEALED_MINUTES are reported too."""
	db = db or audit.connection()
	try:
		audit.seal(db)
	except Exception:
		frappe.logger("confidentiality_app").warning(
			"Confidentiality Log: seal before verify failed", exc_info=True
		)
	db.commit()
	# the time as the text the hashes cover, formatted by the database (a datetime parsed by
	# the driver and formatted back costs a third of the walk)
	columns = ", ".join(
		"DATE_FORMAT(`timestamp`, '%%Y-%%m-%%d %%H:%%i:%%s.%%f') AS `timestamp`"
		if f == "timestamp"
		else f"`{f}`"
		for f in COLUMNS
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
	texts: list[tuple[str, str]] = []
	if anchors is None:
		path = published.anchor_file()
		anchors = published.read(path)
		texts += [
			(f"published in {path}, line {i}", t)
			for i, t in enumerate(published.published_checkpoints(path), 1)
		]
		# a tripwire, not the proof: the database's record of what was written to the file
		records = frappe.db.sql(
			"SELECT name, checkpoint FROM `tabConfidentiality Log Anchor` WHERE anchor_file = %s ORDER BY name",
			(path,),
			as_dict=True,
		)
		if len(records) > len(anchors):
			extra.append(
				chain.Problem(
					None,
					None,
					f"the anchor file {path} holds {len(anchors)} published heads, but {len(records)} were written to it: it was replaced or truncated",
				)
			)
		texts += [(f"Confidentiality Log Anchor {r.name}", r.checkpoint) for r in records if r.checkpoint]
	if checkpoints:
		texts += [(f"given checkpoint {i}", t) for i, t in enumerate(checkpoints, 1)]
	try:
		verifiers = keys.verifiers()
	except Exception:
		verifiers = []
	opened, bad = _checkpoints(texts, verifiers)
	extra += bad
	result = chain.verify(
		rows(),
		keys=held,
		anchors=[*anchors, *extra_anchors],
		checkpoints=opened,
		progress=progress,
		tree_required=True,
	)
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
	if result.tree_size and result.tree_root:
		# the stored tree (what proofs are served from) against the tree rebuilt from the leaves
		try:
			stored = tree.root(db, result.tree_size).hex()
		except Exception as e:
			stored = f"unreadable ({e})"
		if stored != result.tree_root:
			extra.append(
				chain.Problem(
					None,
					result.tree_size,
					"the stored Merkle tree (what proofs are served from) differs from the tree rebuilt from the entries: its nodes were changed",
				)
			)
	if extra:
		problems = (*result.problems, *extra)
		first = problems[0]
		result = chain.Verification(
			ok=False,
			entries=result.entries,
			first_bad=result.first_bad,
			problem=result.problem or first.problem,
			problems=problems,
			head_sequence=result.head_sequence,
			head_hash=result.head_hash,
			anchors_checked=result.anchors_checked,
			tree_size=result.tree_size,
			tree_root=result.tree_root,
			checkpoints_checked=result.checkpoints_checked,
			redacted=result.redacted,
		)
	return result


# --------------------------------------------------------------------------- background runs


def _save(name: str, values: dict) -> None:
	frappe.flags.in_log_verification = True
	try:
		doc = frappe.get_doc(RUN_DOCTYPE, name)
		doc.update(values)
		doc.save(ignore_permissions=True)
	finally:
		frappe.flags.in_log_verification = False
	frappe.db.commit()


def _new_run() -> str:
	frappe.flags.in_log_verification = True
	try:
		doc = frappe.get_doc(
			{
				"doctype": RUN_DOCTYPE,
				"status": "Queued",
				"requested_by": frappe.session.user,
				"started_on": now_datetime(),
				"entries_total": audit.head_sequence(),
			}
		).insert(ignore_permissions=True)
	finally:
		frappe.flags.in_log_verification = False
	frappe.db.commit()
	return doc.name


def start(enqueue: bool = True) -> str:
	"""Start a full verification in the background (or here, when `enqueue` is false or no
	worker takes jobs from the `long` queue): the name of its Confidentiality Log
	Verification. A run already queued or running is returned instead of starting a second."""
	if enqueue:
		# a run queued or running for less than STALE_HOURS is the one to wait for
		running = frappe.get_all(
			RUN_DOCTYPE,
			filters={
				"status": ["in", ["Queued", "Running"]],
				"started_on": [">", add_to_date(now_datetime(), hours=-STALE_HOURS)],
			},
			pluck="name",
			order_by="name desc",
		)
		if running:
			return running[0]
	name = _new_run()
	if enqueue and _worker_listens("long"):
		frappe.enqueue(
			"confidentiality_app.log.verification.run",
			queue="long",
			timeout=3600,
			name=name,
			job_id=f"confidentiality_log_verify::{frappe.local.site}",
			deduplicate=True,
		)
	else:
		run(name)
	return name


def _worker_listens(queue: str) -> bool:
	"""Is a background worker taking jobs from `queue`? (Without one, a run started from the
	desk happens in the request instead of waiting for ever.)"""
	from frappe.utils.background_jobs import get_workers

	try:
		return any(any(q.endswith(queue) for q in worker.queue_names()) for worker in get_workers())
	except Exception:
		return False


def run_here() -> chain.Verification:
	"""A full verification in this process (the daily task), stored like a background one."""
	result = run(_new_run())
	if result is None:
		raise audit.LogUnavailable(
			_("The Confidentiality Log verification could not run: see the Error Log.")
		)
	return result


def run(name: str) -> chain.Verification | None:
	"""The background job: verify, with progress, and store the result."""
	_save(name, {"status": "Running", "started_on": now_datetime()})

	def progress(count):
		frappe.db.set_value(RUN_DOCTYPE, name, "entries_checked", count, update_modified=False)
		frappe.db.commit()
		frappe.publish_realtime("confidentiality_log_verification", {"name": name, "entries_checked": count})

	try:
		result = verify(progress=progress)
	except Exception as e:
		frappe.db.rollback()
		_save(name, {"status": "Error", "finished_on": now_datetime(), "error": str(e)[:2000]})
		frappe.log_error(title="Confidentiality Log verification could not run")
		return None
	problems = [
		{"name": p.name, "sequence": p.sequence, "problem": p.problem}
		for p in result.problems[:MAX_STORED_PROBLEMS]
	]
	_save(
		name,
		{
			"status": "Passed" if result.ok else "Failed",
			"finished_on": now_datetime(),
			"entries_checked": result.entries,
			"tree_size": result.tree_size,
			"tree_root": result.tree_root,
			"checkpoints_checked": result.checkpoints_checked,
			"anchors_checked": result.anchors_checked,
			"redacted": result.redacted,
			"problem_count": len(result.problems),
			"problems": json.dumps(problems, indent=1) if problems else "",
		},
	)
	frappe.publish_realtime("confidentiality_log_verification", {"name": name, "done": True})
	return result


def last() -> dict | None:
	"""The newest run, for the desk: its fields, problems parsed."""
	rows = frappe.get_all(RUN_DOCTYPE, fields=["*"], order_by="name desc", limit=1)
	if not rows:
		return None
	row = rows[0]
	row["problems"] = json.loads(row.problems) if row.problems else []
	return row


def require_run(name) -> None:
	if not frappe.db.exists(RUN_DOCTYPE, name):
		frappe.throw(_("There is no verification {0}.").format(name), frappe.DoesNotExistError)


def assert_complete() -> int:
	"""Every sealed entry has a leaf and the stored tree covers them all (the migration's
	check, `bench execute`): the tree size; raises otherwise."""
	db = audit.connection()
	audit.seal(db)
	db.commit()
	missing = db.sql(f"SELECT COUNT(*) FROM `tab{audit.LOG_DOCTYPE}` WHERE IFNULL(leaf_hash, '') = ''")[0][0]
	current = tree.size(db)
	if missing or not tree.complete(db, current):
		raise AssertionError(
			f"{missing} entries without a leaf; tree of {current} complete: {tree.complete(db, current)}"
		)
	print(f"Merkle tree of {current} entries, every entry a leaf")
	return current
