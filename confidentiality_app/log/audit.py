"""The Confidentiality Log: accepting entries, sealing them into the keyed chain, reading
and verifying it.

Accepting is separated from sealing, as transparency logs do (a queue of accepted
leaves, a sequencer that integrates them in batches, a bounded merge delay):

* **Accept** is one INSERT into `Confidentiality Log Queue`, with no chain lock:
  - `append` (refusals, monitored releases, anything read-only egress logs): on a
    connection of its own, committed at once, so it survives the rollback of the refused
    request or job (egress reference, fact 9);
  - `append_on_commit` (an allowed action that is itself a database write, and state
    changes: consent recorded or withdrawn, share revoked, settings changed): in the
    caller's transaction, so it commits with the action and the log never records a
    release or a change that was rolled back.
* **Seal** (`seal`) is the only writer of the chain. Under one named lock it takes the
  committed queue in acceptance order, gives each entry the next sequence and its keyed
  hash (HMAC-SHA256, `confidentiality_app.log.keys`), inserts the batch into `Confidentiality
  Log` and deletes it from the queue, in one transaction. It runs every minute from the
  scheduler, a few seconds after any activity (`seal_soon`: a background job, at most
  once per SEAL_INTERVAL per site, never in an egress caller's time), and before any read
  that needs a sealed view (`entries`, `verify`, the desk). An entry waits at most
  MAX_UNSEALED_MINUTES before `verify` reports it.

The chain never forks: only the sealer writes it, under its lock, and `sequence` /
`previous_hash` are unique columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import frappe
from frappe import _
from frappe.utils import add_to_date, now_datetime

from confidentiality_app.log import tree
from confidentiality_app.rules import chain
from confidentiality_app.rules import leaf as leaves

LOG_DOCTYPE = "Confidentiality Log"
QUEUE_DOCTYPE = "Confidentiality Log Queue"
LOCK_TIMEOUT = 10
# Row-lock wait of the log connection. A caller's transaction can hold locks on the log
# tables themselves (Frappe's User rename rewrites `owner` in every table with a full-table
# UPDATE): waiting for it would deadlock with that very caller, so after this many
# seconds the entry is accepted when the caller's transaction ends (`_defer`).
ROW_LOCK_WAIT = 3
VERIFY_BATCH = 5000
SEAL_BATCH = 2000
# After activity, sealing runs at most this often (seconds) per site.
SEAL_INTERVAL = 2
# An entry still unsealed after this long is reported by `verify` (the scheduler seals
# every minute; this bound allows for a scheduler that was down).
MAX_UNSEALED_MINUTES = 10
# Log rows are owned by no user: Frappe's User rename rewrites `owner` / `modified_by`
# in every table, and the log must never be rewritten. The actor is in `user`.
ROW_OWNER = "Administrator"
CONTENT_FIELDS = tuple(f for f in chain.HASHED_FIELDS if f != "sequence")


class LogUnavailable(Exception):
	"""The log could not be written: the caller must fail closed."""


class _HeldByTransaction(Exception):
	"""The log tables are locked, probably by the caller's own open transaction."""


@dataclass
class Entry:
	action: str
	channel: str
	decision: str = ""
	outcome: str = ""
	mode: str = ""
	reference_doctype: str | None = None
	reference_name: str | None = None
	client_doctype: str | None = None
	client_name: str | None = None
	recipient: str | None = None
	reason: str = ""
	basis: str = ""
	context: str = ""
	user: str | None = None
	extra: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- connection


def connect():
	"""A new connection to the site's database, separate from frappe.db."""
	from frappe.database import get_db

	conf = frappe.local.conf
	db = get_db(
		host=conf.db_host,
		port=conf.db_port,
		user=conf.db_name,
		password=conf.db_password,
		cur_db_name=conf.db_name,
	)
	db.connect()
	db.sql(f"SET SESSION innodb_lock_wait_timeout = {int(ROW_LOCK_WAIT)}")
	# READ COMMITTED: the sealer's locking read locks the queue rows it takes and no gap,
	# so it never holds up a writer accepting a new entry; every read sees the newest
	# committed state
	db.sql("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
	# autocommit: accepting an entry is one INSERT that commits itself (one round trip);
	# the sealer opens its own transaction (Frappe's commit() starts one explicitly)
	db.sql("SET SESSION autocommit = 1")
	db.commit()
	return db


def commit_if_open(db):
	"""COMMIT only when a transaction is open (Frappe's commit() leaves one started)."""
	from pymysql.constants import SERVER_STATUS

	if db._conn.server_status & SERVER_STATUS.SERVER_STATUS_IN_TRANS:
		db._conn.commit()


def connection():
	db = getattr(frappe.local, "confidentiality_log_db", None)
	if db is None:
		db = connect()
		frappe.local.confidentiality_log_db = db
	return db


def close_connection(*args, **kwargs):
	"""after_request / after_job hook: release this request's log connection."""
	db = getattr(frappe.local, "confidentiality_log_db", None)
	if db is not None:
		frappe.local.confidentiality_log_db = None
		try:
			db.close()
		except Exception:
			pass


def request_context() -> str:
	request = getattr(frappe.local, "request", None)
	if request is not None:
		ip = getattr(frappe.local, "request_ip", None) or ""
		return f"{request.method} {request.path} {ip}".strip()
	job = getattr(frappe.local, "job", None)
	if job:
		return f"job {job.get('method') or ''}".strip()
	return "internal"


def _lock_wait(db, e: Exception) -> bool:
	"""frappe's db.sql turns a lock wait timeout into QueryTimeoutError."""
	return isinstance(e, frappe.QueryTimeoutError) or db.is_timedout(e)


# --------------------------------------------------------------------------- accept


def _row(entry: Entry) -> dict:
	return {
		"timestamp": now_datetime(),
		"user": entry.user or frappe.session.user,
		"action": entry.action,
		"channel": entry.channel,
		"decision": entry.decision or "",
		"outcome": entry.outcome or "",
		"mode": entry.mode or "",
		"reference_doctype": str(entry.reference_doctype or ""),
		"reference_name": str(entry.reference_name or ""),
		"client_doctype": str(entry.client_doctype or ""),
		"client_name": str(entry.client_name or ""),
		"recipient": entry.recipient or "",
		"reason": (entry.reason or "")[:10000],
		"basis": (entry.basis or "")[:10000],
		"context": (entry.context or request_context())[:1000],
	}


# The queue is an autoincrement doctype: Frappe names it from a MariaDB sequence (no
# cache, so every NEXTVAL is the next number site-wide: the acceptance order).
_QUEUE_SEQUENCE = "`confidentiality_log_queue_id_seq`"


def _insert(db, row: dict, want_id: bool = False) -> int | None:
	"""One INSERT into the queue, named by the next value of its sequence, in one round
	trip: on the connection's own cursor (Frappe's query wrapper costs more than the
	insert on this path), `RETURNING` the id when the caller wants it."""
	columns = {
		**row,
		"creation": row["timestamp"],
		"modified": row["timestamp"],
		"owner": ROW_OWNER,
		"modified_by": ROW_OWNER,
		"docstatus": 0,
		"idx": 0,
	}
	fields = ", ".join(f"`{k}`" for k in columns)
	placeholders = ", ".join(["%s"] * len(columns))
	returning = " RETURNING `name`" if want_id else ""
	if db._conn is None:
		db.connect()
	cursor = db._cursor
	try:
		cursor.execute(
			f"INSERT INTO `tab{QUEUE_DOCTYPE}` (`name`, {fields}) VALUES (NEXTVAL({_QUEUE_SEQUENCE}), {placeholders}){returning}",
			tuple(columns.values()),
		)
	except Exception as e:
		if _lock_wait(db, e):
			raise _HeldByTransaction() from e
		raise
	if want_id:
		return cursor.fetchall()[0][0]
	return None


def append(entry: Entry, db=None, seal: bool = True) -> str:
	"""Accept one entry durably: inserted and committed on the log's own connection, so it
	survives the caller's rollback. Returns the queue id. Raises LogUnavailable.

	When the queue is locked by the caller's open transaction (see ROW_LOCK_WAIT), the
	entry is accepted the moment that transaction ends, committed or rolled back, and
	"pending" is returned: waiting here would deadlock."""
	entry.user = entry.user or frappe.session.user
	entry.context = entry.context or request_context()
	if db is None and getattr(frappe.local, "confidentiality_deferred", None):
		return _defer(entry)  # keep the order of this transaction's entries
	conn = db or connection()
	try:
		_insert(conn, _row(entry))
		commit_if_open(conn)  # the INSERT committed itself unless a transaction was open
	except _HeldByTransaction:
		conn.rollback()
		if db is None and getattr(frappe.local, "db", None) is not None:
			return _defer(entry)
		raise LogUnavailable(_("The confidentiality log is locked by another transaction."))
	except Exception as e:
		if db is None:
			close_connection()  # a broken connection is dropped so the next append reconnects
		raise LogUnavailable(str(e)) from e
	if seal:
		seal_soon()
	return "accepted"


def append_on_commit(entry: Entry) -> str:
	"""Accept one entry in the caller's transaction: it commits with the action (a share, a
	consent, a settings change) and disappears if the action is rolled back, so the log
	never records a release or a change that did not happen. Raises LogUnavailable."""
	entry.user = entry.user or frappe.session.user
	entry.context = entry.context or request_context()
	try:
		queued = _insert(frappe.db, _row(entry), want_id=True)
	except Exception as e:
		raise LogUnavailable(str(e)) from e
	_for_this_transaction(
		"confidentiality_in_transaction", _transaction_ended_commit, _transaction_ended
	).append(queued)
	return str(queued)


def _for_this_transaction(attr: str, on_commit, on_rollback) -> list:
	"""A list in frappe.local for the current transaction; the callbacks (which empty it)
	are registered when it is first used in that transaction."""
	items = getattr(frappe.local, attr, None)
	if items is None:
		items = []
		setattr(frappe.local, attr, items)
	if not items:
		frappe.db.after_commit.add(on_commit)
		frappe.db.after_rollback.add(on_rollback)
	return items


def _transaction_ended():
	frappe.local.confidentiality_in_transaction = []


def _transaction_ended_commit():
	_transaction_ended()
	seal_soon()


def _defer(entry: Entry) -> str:
	_for_this_transaction("confidentiality_deferred", flush_deferred, flush_deferred).append(entry)
	return "pending"


def flush_deferred() -> list[str]:
	"""Accept the entries that waited for the caller's transaction to end."""
	deferred = getattr(frappe.local, "confidentiality_deferred", None) or []
	frappe.local.confidentiality_deferred = []
	names = []
	for entry in deferred:
		try:
			db = connection()
			db.sql(f"SET SESSION innodb_lock_wait_timeout = {LOCK_TIMEOUT * 5}")
			try:
				names.append(append(entry, seal=False))
			finally:
				db.sql(f"SET SESSION innodb_lock_wait_timeout = {int(ROW_LOCK_WAIT)}")
		except Exception:
			# the caller's transaction has ended and cannot be undone here: leave a trace
			# in the site's log file (the database may be what failed)
			close_connection()
			frappe.logger("confidentiality_app").error(
				f"Confidentiality Log entry lost after its transaction ended: {entry!r}", exc_info=True
			)
	return names


def flush_pending() -> int:
	"""Seal what has been accepted and committed (kept for callers of the foundation)."""
	return seal()


# --------------------------------------------------------------------------- seal


def _seal_lock() -> str:
	return f"confidentiality_log_seal:{frappe.local.conf.db_name}"[:64]


def seal(db=None, wait: int = LOCK_TIMEOUT) -> int:
	"""Move every committed queue entry into the chain, in acceptance order. Returns the
	number sealed; 0 when another sealer holds the lock and `wait` ran out."""
	from confidentiality_app.log import keys

	db = db or connection()
	got = db.sql("SELECT GET_LOCK(%s, %s)", (_seal_lock(), wait))
	if not got or got[0][0] != 1:
		if wait:
			raise LogUnavailable(_("Timed out waiting for the confidentiality log sealer."))
		return 0
	sealed = 0
	try:
		key_id, key = keys.current()
		db.commit()
		if not tree.complete(db):
			# entries sealed before the tree existed (a migrated site): brought into it first,
			# under this lock, so no other sealer adds leaves meanwhile
			tree.backfill(db)
		# one call seals what was queued when it began, so that it ends even while entries
		# arrive faster than it seals (the next call takes the rest)
		last = db.sql(f"SELECT COALESCE(MAX(name), 0) FROM `tab{QUEUE_DOCTYPE}`")[0][0]
		while True:
			db.commit()  # ends anything open, then START TRANSACTION: the locking read below holds its rows
			columns = ", ".join(f"`{f}`" for f in ("name", *CONTENT_FIELDS))
			# committed entries only, and none another transaction holds: an entry still being
			# written (its transaction open) is sealed by a later round, never waited for
			batch = db.sql(
				f"SELECT {columns} FROM `tab{QUEUE_DOCTYPE}` WHERE name <= %s ORDER BY name ASC LIMIT %s FOR UPDATE SKIP LOCKED",
				(last, SEAL_BATCH),
				as_dict=True,
			)
			if not batch:
				db.rollback()  # end the (empty) locking read's transaction
				break
			head = db.sql(
				f"SELECT sequence, entry_hash FROM `tab{LOG_DOCTYPE}` ORDER BY sequence DESC LIMIT 1"
			)
			sequence = head[0][0] if head else 0
			previous = head[0][1] if head else chain.GENESIS
			size = sequence
			rows, leaf_hashes = [], []
			for queued in batch:
				sequence += 1
				row = {"sequence": sequence, **{f: queued[f] for f in CONTENT_FIELDS}, "key_id": key_id}
				# v3: personal values enter the leaf as salted commitments; the keyed hash
				# covers the leaf hash (rules.chain), so a redaction breaks neither
				row["salt_seed"] = leaves.new_seed()
				row["leaf_hash"] = leaves.entry_leaf_hash(row)
				row["chain_version"] = chain.V3
				leaf_hashes.append(bytes.fromhex(row["leaf_hash"]))
				row["previous_hash"] = previous
				row["entry_hash"] = chain.entry_hash(row, previous, key)
				previous = row["entry_hash"]
				rows.append(
					{
						**row,
						"name": f"CLOG-{sequence:09d}",
						"creation": queued["timestamp"],
						"modified": queued["timestamp"],
						"owner": ROW_OWNER,
						"modified_by": ROW_OWNER,
						"docstatus": 0,
						"idx": 0,
					}
				)
			fields = list(rows[0])
			placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
			db.sql(
				f"INSERT INTO `tab{LOG_DOCTYPE}` ({', '.join(f'`{f}`' for f in fields)}) VALUES "
				+ ", ".join([placeholders] * len(rows)),
				tuple(value for row in rows for value in (row[f] for f in fields)),
			)
			tree.append(db, size, leaf_hashes)
			# one DELETE per row, by primary key: a DELETE ... IN (...) may scan the table and
			# wait on the rows other transactions are still inserting
			db._cursor.executemany(
				f"DELETE FROM `tab{QUEUE_DOCTYPE}` WHERE name = %s", [q["name"] for q in batch]
			)
			db._conn.commit()  # COMMIT alone: the next round starts its own transaction
			sealed += len(rows)
			if len(batch) < SEAL_BATCH:
				break
	except Exception:
		db.rollback()
		raise
	finally:
		db.sql("SELECT RELEASE_LOCK(%s)", (_seal_lock(),))
	return sealed


_last_seal_request = 0.0


def seal_soon():
	"""Ask a background worker to seal soon: at most once per SEAL_INTERVAL per process
	(a throttle, no cached state) and per site (Redis NX), never in the caller's time (an
	egress caller waits only for its own INSERT). If no worker takes it, the scheduler
	seals every minute and every read that needs a sealed view seals first."""
	global _last_seal_request
	import time

	now = time.monotonic()
	if now - _last_seal_request < SEAL_INTERVAL:
		return
	_last_seal_request = now
	try:
		if not frappe.cache.set(
			frappe.cache.make_key("confidentiality_log:seal_soon"), 1, ex=SEAL_INTERVAL, nx=True
		):
			return
		frappe.enqueue(
			"confidentiality_app.log.audit.seal_scheduled",
			queue="short",
			job_id=f"confidentiality_log_seal::{frappe.local.site}",
			deduplicate=True,
		)
	except Exception:
		# the scheduler seals every minute; a failure here must not fail the caller
		frappe.logger("confidentiality_app").warning("Confidentiality Log: sealing deferred", exc_info=True)


def seal_scheduled():
	"""Scheduler, every minute, and the background job `seal_soon` enqueues."""
	seal()


# --------------------------------------------------------------------------- read


def mark() -> tuple[int, int]:
	"""(sealed head sequence, newest queue id of this transaction): entries after it are new."""
	head = head_sequence()
	mine = getattr(frappe.local, "confidentiality_in_transaction", None) or []
	return head, max(mine) if mine else 0


def head_sequence(db=None) -> int:
	db = db or connection()
	seal(db)
	return db.sql(f"SELECT COALESCE(MAX(sequence), 0) FROM `tab{LOG_DOCTYPE}`")[0][0]


def entries(filters: dict | None = None, fields=None, db=None, since: int | tuple = 0) -> list[dict]:
	"""Log entries as they stand now, newest first: everything committed (sealed first),
	and the entries this transaction accepted and has not committed yet (sequence None)."""
	db = db or connection()
	seal(db)
	since_sequence, since_queued = since if isinstance(since, tuple) else (since, 0)
	conditions, values = ["sequence > %s"], [since_sequence]
	for key, value in (filters or {}).items():
		conditions.append(f"`{key}` = %s")
		values.append(value)
	wanted = list(fields) if fields else None
	if wanted and "timestamp" not in wanted:
		wanted.append("timestamp")  # to merge sealed and pending entries in time order
	columns = ", ".join(f"`{f}`" for f in wanted) if wanted else "*"
	sealed = db.sql(
		f"SELECT {columns} FROM `tab{LOG_DOCTYPE}` WHERE {' AND '.join(conditions)} ORDER BY sequence DESC",
		tuple(values),
		as_dict=True,
	)
	mine = [
		q for q in getattr(frappe.local, "confidentiality_in_transaction", None) or [] if q > since_queued
	]
	pending = []
	if mine:
		q_conditions = [f"name IN ({', '.join(['%s'] * len(mine))})"] + conditions[1:]
		q_columns = (
			", ".join(
				f"`{f}`" for f in wanted if f not in ("sequence", "previous_hash", "entry_hash", "key_id")
			)
			if wanted
			else "*"
		)
		pending = frappe.db.sql(
			f"SELECT {q_columns or 'name'}, 'queued' AS `queue` FROM `tab{QUEUE_DOCTYPE}` WHERE {' AND '.join(q_conditions)} ORDER BY name DESC",
			tuple(mine) + tuple(values[1:]),
			as_dict=True,
		)
		for row in pending:
			row.setdefault("sequence", None)
	if not pending:
		return sealed
	return sorted(pending + sealed, key=lambda r: str(r.get("timestamp") or ""), reverse=True)


def pending_count(older_than_minutes: int | None = None, db=None) -> int:
	db = db or connection()
	db.commit()
	if older_than_minutes is None:
		return db.sql(f"SELECT COUNT(*) FROM `tab{QUEUE_DOCTYPE}`")[0][0]
	return db.sql(
		f"SELECT COUNT(*) FROM `tab{QUEUE_DOCTYPE}` WHERE timestamp < %s",
		(add_to_date(now_datetime(), minutes=-older_than_minutes),),
	)[0][0]
