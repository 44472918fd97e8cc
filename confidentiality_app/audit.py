"""The Confidentiality Log writer and verifier.

Entries are written on a database connection of their own and committed at once, so the
entry of a refused attempt survives the rollback of the request or job that was refused
(egress reference, fact 9), and an entry never waits for the caller's transaction.

The chain never forks, however many workers append at once: each append takes a named
MariaDB lock for the site, reads the head with a locking read, inserts the next entry and
commits before releasing it; the unique `sequence` and `previous_hash` columns reject a
second successor of the same entry even if the lock were bypassed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import frappe
from frappe import _
from frappe.utils import now_datetime

from confidentiality_app import chain

LOG_DOCTYPE = "Confidentiality Log"
LOCK_TIMEOUT = 10
# Row-lock wait of the log connection. A caller's transaction can hold locks on the log
# table itself (Frappe's User rename rewrites `owner` in every table with a full-table
# UPDATE): waiting for it would deadlock with that very caller, so after this many
# seconds the entry is written when the caller's transaction ends (`_defer`).
ROW_LOCK_WAIT = 3
VERIFY_BATCH = 5000
# Log rows are owned by no user: Frappe's User rename rewrites `owner` / `modified_by`
# in every table, and the log must never be rewritten. The actor is in `user`.
ROW_OWNER = "Administrator"


class LogUnavailable(Exception):
	"""The log could not be written: the caller must fail closed."""


class _HeldByTransaction(Exception):
	"""The log table is locked, probably by the caller's own open transaction."""


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
	return db


def _connection():
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


def append(entry: Entry, db=None) -> str:
	"""Write one entry and commit it. Returns its name. Raises LogUnavailable.

	When the log table is locked by the caller's open transaction (see ROW_LOCK_WAIT),
	the entry is written as soon as that transaction ends, committed or rolled back, and
	"pending" is returned: waiting here would deadlock."""
	entry.user = entry.user or frappe.session.user
	entry.context = entry.context or request_context()
	if db is None and getattr(frappe.local, "confidentiality_deferred", None):
		return _defer(entry)  # keep the order of this transaction's entries
	try:
		return _append(entry, db or _connection())
	except LogUnavailable:
		raise
	except _HeldByTransaction:
		if db is None and getattr(frappe.local, "db", None) is not None:
			return _defer(entry)
		raise LogUnavailable(_("The confidentiality log table is locked by another transaction."))
	except Exception as e:
		# a broken connection is dropped so the next append reconnects
		if db is None:
			close_connection()
		raise LogUnavailable(str(e)) from e


def _defer(entry: Entry) -> str:
	deferred = getattr(frappe.local, "confidentiality_deferred", None)
	if deferred is None:
		deferred = frappe.local.confidentiality_deferred = []
	if not deferred:
		frappe.db.after_commit.add(flush_deferred)
		frappe.db.after_rollback.add(flush_deferred)
	deferred.append(entry)
	return "pending"


def flush_deferred() -> list[str]:
	"""Write the entries that waited for the caller's transaction to end."""
	deferred = getattr(frappe.local, "confidentiality_deferred", None) or []
	frappe.local.confidentiality_deferred = []
	return _write_all(deferred, "Confidentiality Log entry lost after its transaction ended")


def _write_all(entries: list[Entry], lost: str) -> list[str]:
	names = []
	db = _connection()
	for entry in entries:
		try:
			names.append(_append(entry, db, wait=LOCK_TIMEOUT * 5))
		except Exception:
			# the caller's change is done and cannot be undone here: leave a trace in the
			# site's log file (the database may be what failed)
			close_connection()
			db = _connection()
			frappe.logger("confidentiality_app").error(f"{lost}: {entry!r}", exc_info=True)
	return names


def _lock_wait(db, e: Exception) -> bool:
	"""frappe's db.sql turns a lock wait timeout into QueryTimeoutError."""
	return isinstance(e, frappe.QueryTimeoutError) or db.is_timedout(e)


def _append(entry: Entry, db, wait: int | None = None) -> str:
	lock = f"confidentiality_log:{frappe.local.conf.db_name}"[:64]
	got = db.sql("SELECT GET_LOCK(%s, %s)", (lock, LOCK_TIMEOUT))
	if not got or got[0][0] != 1:
		raise LogUnavailable(_("Timed out waiting for the confidentiality log lock."))
	try:
		db.commit()  # start a fresh transaction: see every entry committed before the lock
		if wait:
			db.sql(f"SET SESSION innodb_lock_wait_timeout = {int(wait)}")
		try:
			head = db.sql(
				f"SELECT sequence, entry_hash FROM `tab{LOG_DOCTYPE}` ORDER BY sequence DESC LIMIT 1 FOR UPDATE"
			)
		except Exception as e:
			if _lock_wait(db, e):
				raise _HeldByTransaction() from e
			raise
		sequence = (head[0][0] + 1) if head else 1
		previous = head[0][1] if head else chain.GENESIS
		timestamp = now_datetime()
		row = {
			"sequence": sequence,
			"timestamp": timestamp,
			"user": entry.user or frappe.session.user,
			"action": entry.action,
			"channel": entry.channel,
			"decision": entry.decision or "",
			"outcome": entry.outcome or "",
			"mode": entry.mode or "",
			"reference_doctype": entry.reference_doctype or "",
			"reference_name": entry.reference_name or "",
			"client_doctype": entry.client_doctype or "",
			"client_name": entry.client_name or "",
			"recipient": entry.recipient or "",
			"reason": (entry.reason or "")[:10000],
			"basis": (entry.basis or "")[:10000],
			"context": (entry.context or request_context())[:1000],
		}
		row["previous_hash"] = previous
		row["entry_hash"] = chain.entry_hash(row, previous)
		name = f"CLOG-{sequence:09d}"
		columns = {
			**row,
			"name": name,
			"creation": timestamp,
			"modified": timestamp,
			"owner": ROW_OWNER,
			"modified_by": ROW_OWNER,
			"docstatus": 0,
			"idx": 0,
		}
		fields = ", ".join(f"`{k}`" for k in columns)
		placeholders = ", ".join(["%s"] * len(columns))
		try:
			db.sql(
				f"INSERT INTO `tab{LOG_DOCTYPE}` ({fields}) VALUES ({placeholders})",
				tuple(columns.values()),
			)
		except Exception as e:
			if _lock_wait(db, e):
				raise _HeldByTransaction() from e
			raise
		db.commit()
		return name
	except Exception:
		db.rollback()
		raise
	finally:
		if wait:
			db.sql(f"SET SESSION innodb_lock_wait_timeout = {int(ROW_LOCK_WAIT)}")
		db.sql("SELECT RELEASE_LOCK(%s)", (lock,))


def append_on_commit(entry: Entry) -> None:
	"""Record a state change (consent recorded or withdrawn, share revoked) once the
	caller's transaction commits, so the log never claims a change that was rolled back.
	Refused attempts are not state changes: they use `append`, which survives rollback."""
	entry.user = entry.user or frappe.session.user
	entry.context = entry.context or request_context()
	pending = getattr(frappe.local, "confidentiality_pending", None)
	if pending is None:
		pending = frappe.local.confidentiality_pending = []
	if not pending:
		frappe.db.after_commit.add(flush_pending)
		frappe.db.after_rollback.add(discard_pending)
	pending.append(entry)


def flush_pending() -> list[str]:
	"""Write the entries of the transaction that just committed."""
	pending = getattr(frappe.local, "confidentiality_pending", None) or []
	frappe.local.confidentiality_pending = []
	for entry in pending:
		entry.user = entry.user or frappe.session.user
	return _write_all(pending, "Confidentiality Log entry lost after commit")


def discard_pending() -> None:
	frappe.local.confidentiality_pending = []


def head_sequence(db=None) -> int:
	db = db or _connection()
	db.commit()
	return db.sql(f"SELECT COALESCE(MAX(sequence), 0) FROM `tab{LOG_DOCTYPE}`")[0][0]


def entries(filters: dict | None = None, fields=None, db=None, since: int = 0) -> list[dict]:
	"""Read log entries as committed now (also from inside a transaction that started
	before they were written), newest first."""
	db = db or _connection()
	db.commit()
	conditions, values = ["sequence > %s"], [since]
	for key, value in (filters or {}).items():
		conditions.append(f"`{key}` = %s")
		values.append(value)
	where = f"WHERE {' AND '.join(conditions)}"
	columns = ", ".join(f"`{f}`" for f in (fields or ["*"])) if fields else "*"
	return db.sql(
		f"SELECT {columns} FROM `tab{LOG_DOCTYPE}` {where} ORDER BY sequence DESC",
		tuple(values),
		as_dict=True,
	)


def verify(db=None) -> chain.Verification:
	"""Walk the whole chain in sequence order, in batches, as committed now."""
	db = db or _connection()
	db.commit()
	columns = ", ".join(f"`{f}`" for f in ("name", *chain.HASHED_FIELDS, "previous_hash", "entry_hash"))

	def rows():
		last = 0
		while True:
			batch = db.sql(
				f"SELECT {columns} FROM `tab{LOG_DOCTYPE}` WHERE sequence > %s ORDER BY sequence ASC LIMIT %s",
				(last, VERIFY_BATCH),
				as_dict=True,
			)
			if not batch:
				return
			yield from batch
			last = batch[-1]["sequence"]

	return chain.verify(rows())
