"""Throughput of the Confidentiality Log: N worker processes, each with its own site
connection, append as fast as they can for S seconds, in three designs, in the same run:

* locked: the foundation's design (chain lock + locking read of the head + insert +
  commit, per entry);
* accept: a refusal's entry, accepted durably (one self-committing insert on the log's
  own connection, no chain lock);
* with_action: an allowed action's entry, accepted in the caller's transaction (one
  insert), then the caller commits its action as it would anyway.

	bench --site SITE execute confidentiality_app.benchmarks.log_append.run --kwargs "{'seconds': 20, 'workers': 8}"

For the last two, a ninth process seals every SEAL_INTERVAL while they run (the background
job that `audit.seal_soon` wakes in production). Prints entries/s, the p50/p95 time an
egress caller waits for its entry, what was left to seal at the end, then verifies the
whole chain (no fork). Run it on a test site: the entries stay in the log.
"""

import multiprocessing
import time

import frappe
from frappe import _

from confidentiality_app.log import audit, keys, verification
from confidentiality_app.rules import chain


def _worker(site: str, design: str, seconds: float, n: int) -> list[float]:
	frappe.init(site=site)
	frappe.connect()
	waits = []
	try:
		frappe.set_user("Administrator")
		db = audit.connect() if design == "locked" else None
		deadline = time.perf_counter() + seconds
		i = 0
		while time.perf_counter() < deadline:
			entry = audit.Entry(action="Benchmark", channel=f"{design} {n}", reason=str(i), outcome="Blocked")
			start = time.perf_counter()
			if design == "locked":
				append_locked(entry, db)
			elif design == "accept":
				audit.append(entry)  # as in production: sealing soon after, at most every 2 s
			else:
				audit.append_on_commit(entry)
			waits.append(time.perf_counter() - start)
			if design == "with_action":
				frappe.db.commit()  # the action's own commit
			i += 1
		if db is not None:
			db.close()
		return waits
	finally:
		audit.close_connection()
		frappe.destroy()


def _sealer(site: str, seconds: float) -> int:
	"""The background worker that `seal_soon` wakes: seals every SEAL_INTERVAL."""
	frappe.init(site=site)
	frappe.connect()
	sealed = 0
	try:
		deadline = time.perf_counter() + seconds
		while time.perf_counter() < deadline:
			sealed += audit.seal()
			time.sleep(audit.SEAL_INTERVAL)
		return sealed
	finally:
		audit.close_connection()
		frappe.destroy()


def _percentile(ordered, p):
	return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 3) if ordered else None


def run(seconds: float = 20, workers: int = 8, designs=("locked", "accept", "with_action")):
	site = frappe.local.site
	context = multiprocessing.get_context("spawn")
	results = {}
	for design in designs:
		audit.seal()
		start = time.perf_counter()
		with context.Pool(workers + 1) as pool:
			# the designs that seal apart from appending get their sealer, as in production
			sealer = pool.apply_async(_sealer, (site, seconds + 1)) if design != "locked" else None
			per_worker = pool.starmap(_worker, [(site, design, seconds, n) for n in range(workers)])
			sealed_during = sealer.get() if sealer else 0
		elapsed = time.perf_counter() - start
		waits = sorted(w for ws in per_worker for w in ws)
		seal_start = time.perf_counter()
		sealed = audit.seal()
		results[design] = {
			"entries": len(waits),
			"entries_per_s": round(len(waits) / seconds, 1),
			"wait_p50_ms": _percentile(waits, 50),
			"wait_p95_ms": _percentile(waits, 95),
			"wait_p99_ms": _percentile(waits, 99),
			"sealed_during": sealed_during,
			"sealed_after": sealed,
			"seal_s": round(time.perf_counter() - seal_start, 3),
			"wall_s": round(elapsed, 1),
		}
	verified = verification.verify(anchors=[])
	results["verify"] = {
		"ok": verified.ok,
		"entries": verified.entries,
		"problems": len(verified.problems),
		"distinct_previous_hashes": frappe.db.sql(
			"SELECT COUNT(*) = COUNT(DISTINCT previous_hash) FROM `tabConfidentiality Log`"
		)[0][0]
		== 1,
	}
	print(results)
	return results


def append_locked(entry: audit.Entry, db) -> str:
	"""The foundation's design, kept only for the benchmark that compares it with
	accept/seal: every append takes the chain lock, reads the head with a locking read,
	inserts the sealed entry and commits."""
	entry.user = entry.user or frappe.session.user
	got = db.sql("SELECT GET_LOCK(%s, %s)", (audit._seal_lock(), audit.LOCK_TIMEOUT))
	if not got or got[0][0] != 1:
		raise audit.LogUnavailable(_("Timed out waiting for the confidentiality log lock."))
	try:
		db.commit()
		key_id, key = keys.current()
		head = db.sql(
			f"SELECT sequence, entry_hash FROM `tab{audit.LOG_DOCTYPE}` ORDER BY sequence DESC LIMIT 1 FOR UPDATE"
		)
		sequence = (head[0][0] + 1) if head else 1
		previous = head[0][1] if head else chain.GENESIS
		row = {"sequence": sequence, **audit._row(entry), "key_id": key_id, "previous_hash": previous}
		row["entry_hash"] = chain.entry_hash(row, previous, key)
		columns = {
			**row,
			"name": f"CLOG-{sequence:09d}",
			"creation": row["timestamp"],
			"modified": row["timestamp"],
			"owner": audit.ROW_OWNER,
			"modified_by": audit.ROW_OWNER,
			"docstatus": 0,
			"idx": 0,
		}
		db.sql(
			f"INSERT INTO `tab{audit.LOG_DOCTYPE}` ({', '.join(f'`{k}`' for k in columns)}) VALUES ({', '.join(['%s'] * len(columns))})",
			tuple(columns.values()),
		)
		db.commit()
		return columns["name"]
	except Exception:
		db.rollback()
		raise
	finally:
		db.sql("SELECT RELEASE_LOCK(%s)", (audit._seal_lock(),))
