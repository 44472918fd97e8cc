"""The verifiable log at scale: the Merkle tree's proofs, full verification, evidence packs and
sealing, on a log of a million entries. Run it on a site of its own (it writes a million
entries into the log, and they stay):

	bench --site SITE execute confidentiality_app.benchmarks.log_tree.run --kwargs "{'n': 1000000}"

or one part at a time (each works on the log as it stands):

	bench --site SITE execute confidentiality_app.benchmarks.log_tree.grow --kwargs "{'n': 1000000}"
	bench --site SITE execute confidentiality_app.benchmarks.log_tree.proofs --kwargs "{'samples': 2000}"
	bench --site SITE execute confidentiality_app.benchmarks.log_tree.full_verify
	bench --site SITE execute confidentiality_app.benchmarks.log_tree.pack --kwargs "{'entries': 1000}"
	bench --site SITE execute confidentiality_app.benchmarks.log_tree.sealing --kwargs "{'seconds': 20, 'workers': 8}"
	bench --site SITE execute confidentiality_app.benchmarks.log_tree.seal_capacity --kwargs "{'entries': 20000}"

(`'profile': 1` on grow, proofs, full_verify, pack or seal_capacity prints a cProfile of it.)

* `grow` brings the log to n sealed entries by bulk SQL on the log's own connection, under
  the sealer's lock: realistic entries (practitioners, Leads, recipients, reasons) after the
  current head, each with exactly what `audit.seal` computes (salt seed, leaf hash, v3 keyed
  hash over the leaf, key id), inserted a batch per statement with the sealer's columns, the
  batch's leaves added with `log.tree.append`, one commit per batch. The result is a log
  `verification.verify` accepts. Nothing is done when the log already holds n entries.
* `proofs`: inclusion and consistency proofs at the current size (p50/p95/p99), each checked
  with `rules.merkle` against the tree head; the SQL queries per proof, counted, at the
  current size and at small sizes; the API's inclusion proof as Administrator (which seals,
  reads the entry and signs a checkpoint).
* `full_verify`: `verification.verify()` over the whole log, and how long reading the rows
  alone takes.
* `pack`: a pack of entries spread over the whole log (`log.packs.pack`, every value
  revealed), then the standalone verifier run as a third party runs it: the system Python
  (no frappe), the app's directory on its path, the site's verifier key.
* `sealing`: N processes accept entries (`audit.append`, each on its own connection) while a
  sealer process seals as the background job does (`audit.seal`, then SEAL_INTERVAL), for S
  seconds at the log's current size; entries accepted and sealed per second, the sealer's
  own rate, what was left and how fast it drained, and a full verification afterwards.
* `seal_capacity`: the sealer alone, no writer competing for the CPU: entries queued at once,
  then one `audit.seal` integrating them at the log's current size.

Figures only: nothing here asserts a time. Targets (`TARGETS`) are printed beside them.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import frappe
from pymysql.converters import escape_string

from confidentiality_app.log import audit, keys, tree
from confidentiality_app.rules import chain, merkle
from confidentiality_app.rules import leaf as leaves

LOG = f"`tab{audit.LOG_DOCTYPE}`"
TARGETS = {
	"sealed_per_s": 5000,  # with 8 writers
	"proof_p95_ms": 5,  # inclusion and consistency, at 1,000,000 entries
	"full_verify_s": 60,  # 1,000,000 entries
	"pack_verify_s": 1,  # standalone, 1,000 entries
}

# --------------------------------------------------------------------------- realistic entries

_FIRST = (
	"anna", "lukas", "zoe", "jonas", "marie", "elodie", "mehmet", "sofia", "noah", "lea",
	"karin", "tomas", "ingrid", "pieter", "aisha", "bjorn", "chiara", "dmitri", "fatima", "gustav",
)  # fmt: skip
_LAST = (
	"meier", "schmid", "keller", "weber", "huber", "mueller", "brunner", "rossi", "dubois",
	"nowak", "jansen", "costa", "yilmaz", "berg", "novak",
)  # fmt: skip
_CLIENT_NAMES = (
	"Zoë Müller", "Jean-Luc Pérez", "Ana Łukasik", "Sven Öberg", "Małgorzata Król", "Élise Fabre",
	"Marco D'Amico", "Nora O'Brien", "Jürg Fässler", "Søren Ødegaard", "İpek Şahin", "Hannah Weiß",
)  # fmt: skip
_PURPOSES = ("Referral", "Treatment coordination", "Billing", "Supervision", "Insurance claim", "Research")
_PARTNERS = (
	"praxis-am-see.example", "klinik-nord.example", "insurer.example", "supervision.example",
	"lab-zentral.example", "counsel.example",
)  # fmt: skip
_PATHS = {
	"DocShare": "POST /api/method/frappe.share.add",
	"Print": "GET /api/method/frappe.utils.print_format.download_pdf",
	"Export": "POST /api/method/frappe.core.doctype.data_export.exporter.export_data",
	"API": "GET /api/resource/Lead/{lead}",
	"SMS": "POST /api/method/frappe.core.doctype.sms_settings.sms_settings.send_sms",
	"Client Consent": "POST /api/method/frappe.client.save",
	"Public Link": "GET /api/method/frappe.client.get_list",
}
_JOBS = {
	"Email": "job frappe.email.queue.flush",
	"Share Sweep": "job confidentiality_app.tasks.daily",
	"Webhook": "job frappe.integrations.doctype.webhook.webhook.enqueue_webhook",
}
# (weight, action, channel, decision, outcome, reference doctype, recipient kind, reason, basis)
_KINDS = (
	(20, "Share", "DocShare", "Deny", "Blocked", "Lead", "user",
	 "No consent of {client} allows sharing {lead} with {recipient}", '{{"rule": "share", "consents": []}}'),
	(22, "Send Email", "Email", "Allow", "Allowed", "Communication", "email",
	 "Consent {consent} ({purpose}) covers {recipient}", '{{"consent": "{consent}", "purpose": "{purpose}"}}'),
	(8, "Send Email", "Email", "Deny", "Held", "Communication", "email",
	 "No consent of {client} covers {recipient}: held for the officer", '{{"rule": "email", "held": true}}'),
	(10, "Print", "Print", "Allow", "Monitored", "Lead", "",
	 "Printed {lead} ({client}) with print format Standard", ""),
	(5, "Data Export", "Export", "Deny", "Blocked", "Lead", "",
	 "Export of {rows} protected Lead records refused", '{{"rows": {rows}}}'),
	(14, "API read", "API", "Allow", "Allowed", "Lead", "",
	 "Read {lead} with the API key of {user}", ""),
	(5, "Send SMS", "SMS", "Deny", "Blocked", "Lead", "phone",
	 "No consent of {client} for text messages to {recipient}", '{{"rule": "sms"}}'),
	(6, "Record Consent", "Client Consent", "Allow", "Recorded", "Client Consent", "",
	 "Consent {consent} of {client} recorded for {purpose}", '{{"consent": "{consent}", "purposes": ["{purpose}"]}}'),
	(4, "Revoke Share", "Share Sweep", "Deny", "Revoked", "Lead", "user",
	 "Consent {consent} of {client} expired: the share with {recipient} was removed", '{{"consent": "{consent}"}}'),
	(3, "Send by webhook", "Webhook", "Deny", "Withheld", "Lead", "url",
	 "Webhook to {recipient} withheld: {lead} is protected", ""),
	(3, "Open Public Link", "Public Link", "Deny", "Blocked", "Lead", "",
	 "Public link to {lead} refused", ""),
)  # fmt: skip
_WEIGHTS = [k[0] for k in _KINDS]
LEADS = 50_000


class Entries:
	"""Realistic log entries (not random noise): ~60 practitioners, 50,000 Leads of which a
	few are named often, mail and phone recipients, reasons and bases as the app writes them."""

	def __init__(self, seed: int):
		self.rng = random.Random(seed)
		self.users = [f"{f}.{last}@practice.example" for f in _FIRST for last in _LAST[:3]]

	def lead(self) -> str:
		# some clients are in the log far more often than others
		return f"CRM-LEAD-2025-{int(self.rng.paretovariate(0.8)) % LEADS + 1:05d}"

	def content(self) -> dict:
		rng = self.rng
		kind = rng.choices(_KINDS, _WEIGHTS)[0]
		_w, action, channel, decision, outcome, ref_doctype, recipient_kind, reason, basis = kind
		lead = self.lead()
		user = rng.choice(self.users)
		client = rng.choice(_CLIENT_NAMES)
		if recipient_kind == "user":
			recipient = rng.choice(self.users)
		elif recipient_kind == "email":
			recipient = f"{rng.choice(_FIRST)}.{rng.choice(_LAST)}@{rng.choice(_PARTNERS)}"
		elif recipient_kind == "phone":
			recipient = f"+41 79 {rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
		elif recipient_kind == "url":
			recipient = f"https://hooks.{rng.choice(_PARTNERS)}/crm/{rng.randint(1, 40)}"
		else:
			recipient = ""
		if ref_doctype == "Lead":
			reference = lead
		elif ref_doctype == "Communication":
			reference = f"{rng.getrandbits(40):010x}"
		else:
			reference = f"CONS-2025-{rng.randint(1, 20000):05d}"
		values = {
			"client": client,
			"lead": lead,
			"recipient": recipient,
			"user": user,
			"consent": f"CONS-2025-{rng.randint(1, 20000):05d}",
			"purpose": rng.choice(_PURPOSES),
			"rows": rng.randint(2, 400),
		}
		ip = f"10.0.{rng.randint(0, 9)}.{rng.randint(2, 250)}"
		if channel in _JOBS:
			context = _JOBS[channel]
		else:
			context = f"{_PATHS[channel].format(lead=lead)} {ip}"
		monitor = rng.random() < 0.08
		return {
			"user": user,
			"action": action,
			"channel": channel,
			"decision": decision,
			"outcome": "Monitored" if monitor and decision == "Deny" else outcome,
			"mode": "Monitor" if monitor else "Enforce",
			"reference_doctype": ref_doctype,
			"reference_name": reference,
			"client_doctype": "Lead",
			"client_name": lead,
			"recipient": recipient,
			"reason": reason.format(**values),
			"basis": basis.format(**values),
			"context": context,
		}

	def entry(self) -> audit.Entry:
		return audit.Entry(**self.content())


# --------------------------------------------------------------------------- helpers


def _pct(values, p):
	ordered = sorted(values)
	if not ordered:
		return None
	return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 3)


def _latency(times) -> dict:
	return {
		"n": len(times),
		"p50_ms": _pct(times, 50),
		"p95_ms": _pct(times, 95),
		"p99_ms": _pct(times, 99),
		"max_ms": round(max(times) * 1000, 3) if times else None,
		"mean_ms": round(statistics.mean(times) * 1000, 3) if times else None,
	}


def _say(*args):
	print(*args, flush=True)


class _Profiled:
	"""cProfile around a block when asked; prints the top functions by own and total time."""

	def __init__(self, enabled: bool, label: str, top: int = 25):
		self.enabled, self.label, self.top = enabled, label, top
		self.profile = cProfile.Profile() if enabled else None

	def __enter__(self):
		if self.profile:
			self.profile.enable()
		return self

	def __exit__(self, *exc):
		if not self.profile:
			return
		self.profile.disable()
		for order in ("tottime", "cumulative"):
			out = io.StringIO()
			pstats.Stats(self.profile, stream=out).sort_stats(order).print_stats(self.top)
			_say(f"--- cProfile of {self.label}, by {order} ---")
			_say("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:12000])


class _Counting:
	"""Counts the queries made through db.sql (what log.tree uses) while in the block."""

	def __init__(self, *dbs):
		self.dbs = [db for db in dbs if db is not None]
		self.count = 0

	def __enter__(self):
		for db in self.dbs:
			original = db.sql

			def counted(*args, _original=original, **kwargs):
				self.count += 1
				return _original(*args, **kwargs)

			db.sql = counted  # an instance attribute, over the class's method
		return self

	def __exit__(self, *exc):
		for db in self.dbs:
			del db.sql


def _literal(value) -> str:
	"""One value as SQL text, as pymysql would send it (the sealer passes the same values)."""
	if value is None:
		return "NULL"
	if isinstance(value, bool):
		return str(int(value))
	if isinstance(value, int):
		return str(value)
	if isinstance(value, datetime):
		return "'" + value.strftime("%Y-%m-%d %H:%M:%S.%f") + "'"
	return "'" + escape_string(str(value)) + "'"


# --------------------------------------------------------------------------- 1. grow

# The columns the sealer writes (audit.seal), in its order.
SEALED_COLUMNS = (
	"sequence",
	*audit.CONTENT_FIELDS,
	"key_id",
	"salt_seed",
	"leaf_hash",
	"chain_version",
	"previous_hash",
	"entry_hash",
	"name",
	"creation",
	"modified",
	"owner",
	"modified_by",
	"docstatus",
	"idx",
)


class _Sealed:
	"""Makes the next sealed entries, one batch at a time, in sequence order (run in a thread
	of its own, so the next batch is made while the database inserts this one)."""

	def __init__(self, entries, key_id, key, sequence, previous, start, end, total):
		self.entries, self.key_id, self.key = entries, key_id, key
		self.sequence, self.previous = sequence, previous
		self.first, self.total = sequence, total
		self.start = start
		self.span_us = max(0, int((end - start) / timedelta(microseconds=1)))
		self.seconds = 0.0
		self.header = f"INSERT INTO {LOG} ({', '.join(f'`{c}`' for c in SEALED_COLUMNS)}) VALUES "

	def batch(self, count: int) -> tuple[str, list[bytes], int]:
		began = time.perf_counter()
		values, leaf_hashes = [], []
		size = self.sequence
		for _ in range(count):
			self.sequence += 1
			sequence = self.sequence
			done = sequence - self.first
			# the times run from the head's to now, in order, as the entries were accepted
			stamp = self.start + timedelta(microseconds=self.span_us * done // self.total)
			row = {"sequence": sequence, "timestamp": stamp, **self.entries.content(), "key_id": self.key_id}
			# what audit.seal computes for each entry
			row["salt_seed"] = leaves.new_seed()
			row["leaf_hash"] = leaves.leaf_hash_hex(row, leaves.derive_salts(row["salt_seed"]))
			row["chain_version"] = chain.V3
			leaf_hashes.append(bytes.fromhex(row["leaf_hash"]))
			row["previous_hash"] = self.previous
			row["entry_hash"] = chain.entry_hash(row, self.previous, self.key)
			self.previous = row["entry_hash"]
			row["name"] = f"CLOG-{sequence:09d}"
			row["creation"] = row["modified"] = stamp
			row["owner"] = row["modified_by"] = audit.ROW_OWNER
			row["docstatus"] = row["idx"] = 0
			values.append("(" + ", ".join(_literal(row[c]) for c in SEALED_COLUMNS) + ")")
		self.seconds += time.perf_counter() - began
		return self.header + ", ".join(values), leaf_hashes, size


def grow(n: int = 1_000_000, batch: int = 5000, seed: int = 1, progress_every: int = 50_000, profile=False):
	"""Bring the log to `n` sealed entries (nothing when it holds that many already)."""
	n, batch = int(n), int(batch)
	db = audit.connect()
	try:
		audit.seal(db)  # what is queued goes first, by the sealer itself
		got = db.sql("SELECT GET_LOCK(%s, %s)", (audit._seal_lock(), audit.LOCK_TIMEOUT))
		if not got or got[0][0] != 1:
			raise audit.LogUnavailable("the sealer's lock is held")
		try:
			with _Profiled(bool(profile), "grow"):
				return _grow(db, n, batch, seed, progress_every)
		finally:
			db.sql("SELECT RELEASE_LOCK(%s)", (audit._seal_lock(),))
	finally:
		db.close()


def _grow(db, n, batch, seed, progress_every) -> dict:
	from pymysql.constants import SERVER_STATUS

	if db._conn.server_status & SERVER_STATUS.SERVER_STATUS_NO_BACKSLASH_ESCAPES:
		raise RuntimeError("NO_BACKSLASH_ESCAPES is set: _literal escapes with backslashes")
	db.commit()
	head = db.sql(f"SELECT sequence, entry_hash, timestamp FROM {LOG} ORDER BY sequence DESC LIMIT 1")
	size = int(head[0][0]) if head else 0
	if size >= n:
		_say(f"grow: the log already holds {size:,} entries (>= {n:,}): nothing to do")
		return {"added": 0, "size": size}
	if not tree.complete(db, size):
		db.rollback()
		tree.backfill(db)
	key_id, key = keys.current()
	now = frappe.utils.now_datetime()
	start = head[0][2] if head and head[0][2] else now - timedelta(days=1)
	if start > now:
		now = start
	maker = _Sealed(
		Entries(seed + size), key_id, key, size, head[0][1] if head else chain.GENESIS, start, now, n - size
	)
	_say(f"grow: {size:,} -> {n:,} entries, batches of {batch:,}, key {key_id}")
	waited = insert_s = tree_s = commit_s = 0.0
	began = last_t = time.perf_counter()
	last_size, first_size, next_report = size, size, size + progress_every
	with ThreadPoolExecutor(1) as pool:
		pending = pool.submit(maker.batch, min(batch, n - size))
		made = min(batch, n - size)
		while pending is not None:
			t0 = time.perf_counter()
			sql, leaf_hashes, before = pending.result()
			t1 = time.perf_counter()
			waited += t1 - t0
			pending = None
			if made < n - first_size:
				count = min(batch, n - first_size - made)
				pending = pool.submit(maker.batch, count)  # made while this batch is written
				made += count
			db.commit()  # START TRANSACTION, as the sealer does
			db._cursor.execute(sql)
			t2 = time.perf_counter()
			tree.append(db, before, leaf_hashes)
			t3 = time.perf_counter()
			db._conn.commit()
			t4 = time.perf_counter()
			insert_s += t2 - t1
			tree_s += t3 - t2
			commit_s += t4 - t3
			size = before + len(leaf_hashes)
			if size >= next_report or size >= n:
				now_t = time.perf_counter()
				_say(
					f"grow: {size:>10,} entries  {(size - first_size) / (now_t - began):>8,.0f}/s overall"
					f"  {(size - last_size) / (now_t - last_t):>8,.0f}/s last  {now_t - began:>6.0f} s"
				)
				last_t, last_size = now_t, size
				next_report = size + progress_every
	elapsed = time.perf_counter() - began
	added = size - first_size
	result = {
		"added": added,
		"size": size,
		"seconds": round(elapsed, 1),
		"entries_per_s": round(added / elapsed),
		"make_s (thread, overlapped)": round(maker.seconds, 2),
		"waited_for_make_s": round(waited, 2),
		"insert_log_s": round(insert_s, 2),
		"tree_append_s": round(tree_s, 2),
		"commit_s": round(commit_s, 2),
		"load": _load(),
	}
	_say("grow:", result)
	return result


# --------------------------------------------------------------------------- 2. proofs


def _leaf_hashes(db, indexes) -> dict[int, bytes]:
	"""The stored leaf hash of each leaf index, from the log rows (not the tree's nodes)."""
	out = {}
	wanted = sorted(set(indexes))
	for start in range(0, len(wanted), 1000):
		chunk = [i + 1 for i in wanted[start : start + 1000]]
		for sequence, value in db.sql(
			f"SELECT sequence, leaf_hash FROM {LOG} WHERE sequence IN ({', '.join(['%s'] * len(chunk))})",
			tuple(chunk),
		):
			out[int(sequence) - 1] = bytes.fromhex(value)
	return out


def _proofs_at(db, size: int, samples: int, rng: random.Random) -> dict:
	root = tree.root(db, size)
	indexes = [rng.randrange(size) for _ in range(samples)]
	stored = _leaf_hashes(db, indexes)
	times, queries, nodes, failures = [], set(), [], 0
	for index in indexes:
		with _Counting(db) as counted:
			t = time.perf_counter()
			proof = tree.inclusion_proof(db, index, size)
			times.append(time.perf_counter() - t)
		queries.add(counted.count)
		nodes.append(len(merkle.nodes_for(merkle.inclusion_proof, index, size)))
		if not merkle.verify_inclusion(stored[index], index, size, proof, root):
			failures += 1
	inclusion = {
		**_latency(times),
		"queries_per_proof": sorted(queries),
		"nodes_read_max": max(nodes),
		"failures": failures,
	}
	olds = [rng.randint(1, size) for _ in range(samples)]
	times, queries, nodes, failures = [], set(), [], 0
	for old in olds:
		old_root = tree.root(db, old)  # the old checkpoint's root (not timed)
		with _Counting(db) as counted:
			t = time.perf_counter()
			proof = tree.consistency_proof(db, old, size)
			times.append(time.perf_counter() - t)
		queries.add(counted.count)
		nodes.append(len(merkle.nodes_for(merkle.consistency_proof, old, size)))
		if not merkle.verify_consistency(old, size, old_root, root, proof):
			failures += 1
	consistency = {
		**_latency(times),
		"queries_per_proof": sorted(queries),
		"nodes_read_max": max(nodes),
		"failures": failures,
	}
	return {"tree_size": size, "inclusion": inclusion, "consistency": consistency}


def proofs(samples: int = 2000, seed: int = 2, small_sizes=(1000, 100_000), api_samples=300, profile=False):
	"""Proof latency and queries at the current size, and at small sizes of the same table."""
	samples = int(samples)
	rng = random.Random(seed)
	db = audit.connect()
	try:
		audit.seal(db)
		db.commit()
		size = tree.size(db)
		if size < 2:
			_say("proofs: the log holds fewer than 2 entries")
			return {}
		result = {"size": size}
		with _Profiled(bool(profile), "proofs"):
			result["current"] = _proofs_at(db, size, samples, rng)
		_say(f"proofs at {size:,} entries:", json.dumps(result["current"], indent=1))
		result["smaller"] = []
		for small in small_sizes or ():
			if 2 <= small < size:
				at = _proofs_at(db, int(small), max(200, samples // 4), rng)
				result["smaller"].append(at)
				_say(f"proofs at tree size {small:,} (same table):", json.dumps(at, indent=1))
		result["signing"] = _signing_time(db, size)
		result["load"] = _load()
	finally:
		db.close()
	if api_samples:
		result["api"] = _api_proofs(size, int(api_samples), rng)
		_say("API proofs (Administrator):", json.dumps(result["api"], indent=1))
	return result


def _signing_time(db, size) -> dict:
	"""A checkpoint's Ed25519 signature alone (what the API adds to a proof)."""
	from confidentiality_app.log import checkpoints

	root = tree.root(db, size)
	times = []
	for _ in range(200):
		t = time.perf_counter()
		checkpoints.sign(size, root)
		times.append(time.perf_counter() - t)
	return _latency(times)


def _api_proofs(size: int, samples: int, rng: random.Random) -> dict:
	from confidentiality_app.api import log as log_api
	from confidentiality_app.log import checkpoints

	frappe.set_user("Administrator")
	out = {}
	try:
		verifiers = keys.verifiers()
		times, queries, failures = [], set(), 0
		for _ in range(samples):
			sequence = rng.randint(1, size)
			conn = audit.connection()
			with _Counting(conn, frappe.local.db) as counted:
				t = time.perf_counter()
				answer = log_api.log_inclusion_proof(str(sequence))
				times.append(time.perf_counter() - t)
			queries.add(counted.count)
			checkpoint = checkpoints.open_(answer["checkpoint"], verifiers)
			if not (
				checkpoint.size == answer["tree_size"]
				and merkle.verify_inclusion(
					merkle.leaf_hash(leaves.encode(answer["leaf"])),
					answer["index"],
					answer["tree_size"],
					[bytes.fromhex(h) for h in answer["proof"]],
					checkpoint.root,
				)
			):
				failures += 1
		out["log_inclusion_proof"] = {
			**_latency(times),
			"queries_per_call": sorted(queries),
			"failures": failures,
		}
		times, failures = [], 0
		for _ in range(max(50, samples // 3)):
			old = rng.randint(1, size)
			t = time.perf_counter()
			answer = log_api.log_consistency_proof(old)
			times.append(time.perf_counter() - t)
			a = checkpoints.open_(answer["old_checkpoint"], verifiers)
			b = checkpoints.open_(answer["new_checkpoint"], verifiers)
			if not merkle.verify_consistency(
				a.size, b.size, a.root, b.root, [bytes.fromhex(h) for h in answer["proof"]]
			):
				failures += 1
		out["log_consistency_proof"] = {**_latency(times), "failures": failures}
	finally:
		audit.close_connection()
	return out


# --------------------------------------------------------------------------- 3. full verification


def full_verify(read_alone: bool = True, profile=False) -> dict:
	"""verification.verify() over the whole log; and the time to read the rows alone."""
	from confidentiality_app.log import verification

	db = audit.connect()
	try:
		audit.seal(db)
		db.commit()
		size = tree.size(db)
		began = time.perf_counter()

		def progress(count):
			if count % 100_000 == 0:
				_say(f"verify: {count:>10,} entries  {time.perf_counter() - began:>6.1f} s")

		import resource

		rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
		with _Profiled(bool(profile), "verification.verify"):
			began = time.perf_counter()
			verified = verification.verify(db=db, progress=progress)
			seconds = time.perf_counter() - began
		rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
		result = {
			"ok": verified.ok,
			"entries": verified.entries,
			"tree_size": verified.tree_size,
			"checkpoints_checked": verified.checkpoints_checked,
			"seconds": round(seconds, 1),
			"entries_per_s": round(verified.entries / seconds) if seconds else None,
			"problems": [p.problem for p in verified.problems[:5]],
			"peak_rss_mb_before": rss_before // 1024,
			"peak_rss_mb_after": rss_after // 1024,
			"load": _load(),
		}
		if read_alone:
			# the same query and batches verify reads with, nothing checked
			columns = ", ".join(f"`{f}`" for f in verification.COLUMNS)
			began, last, count = time.perf_counter(), -(2**62), 0
			while True:
				rows = db.sql(
					f"SELECT {columns} FROM {LOG} WHERE sequence > %s ORDER BY sequence ASC LIMIT %s",
					(last, audit.VERIFY_BATCH),
					as_dict=True,
				)
				if not rows:
					break
				count += len(rows)
				last = rows[-1]["sequence"]
			result["read_rows_alone_s"] = round(time.perf_counter() - began, 1)
		_say(f"full verification of {size:,} entries:", json.dumps(result, indent=1))
		return result
	finally:
		db.close()


# --------------------------------------------------------------------------- 4. pack


def _third_party_python() -> str:
	for candidate in ("/usr/bin/python3",):
		if os.path.exists(candidate) and os.path.realpath(candidate) != os.path.realpath(sys.executable):
			return candidate
	raise RuntimeError("no system Python outside the bench")


def _logverify(path: str, key: str, imports_only: bool = False) -> tuple[int, str, float]:
	"""`python -m confidentiality_app.logverify` as a third party runs it (as the tests'
	`logverify` helper: the system Python, bench paths off sys.path, the app's directory on it)."""
	import confidentiality_app

	root = str(Path(confidentiality_app.__file__).resolve().parents[1])
	run_main = "" if imports_only else "raise SystemExit(main(sys.argv[1:]))"
	code = (
		"import sys; sys.path[:] = [p for p in sys.path if 'bench' not in p]; "
		f"sys.path.insert(0, {root!r}); "
		"import importlib.util; assert importlib.util.find_spec('frappe') is None, 'frappe found'; "
		f"from confidentiality_app.logverify import main; {run_main}"
	)
	t = time.perf_counter()
	done = subprocess.run(
		[_third_party_python(), "-I", "-c", code, path, "--key", key],
		capture_output=True,
		text=True,
		timeout=600,
	)
	return done.returncode, done.stdout + done.stderr, time.perf_counter() - t


def pack(entries: int = 1000, seed: int = 3, profile=False) -> dict:
	"""A pack of `entries` entries spread over the log, every value revealed; built, then
	checked by the standalone verifier in the system Python."""
	from confidentiality_app import logverify
	from confidentiality_app.log import packs
	from confidentiality_app.rules import note

	db = audit.connect()
	try:
		audit.seal(db)
		db.commit()
		size = tree.size(db)
		chosen = sorted(random.Random(seed).sample(range(1, size + 1), min(int(entries), size)))
		t = time.perf_counter()
		rows = packs.rows(f"sequence IN ({', '.join(['%s'] * len(chosen))})", tuple(chosen), db)
		rows_s = time.perf_counter() - t
		with _Profiled(bool(profile), "packs.pack"):
			t = time.perf_counter()
			built = packs.pack(rows, reveal="all", db=db)
			pack_s = time.perf_counter() - t
	finally:
		db.close()
	key = [k["key"] for k in keys.public_keys() if k["current"]][0]
	with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
		json.dump(built, f)
		path = f.name
	try:
		status, out, wall = _logverify(path, key)
		_status0, _out0, startup = _logverify(path, key, imports_only=True)
		# the same check in this process (no interpreter start), for the split
		t = time.perf_counter()
		ok, failed = logverify.verify_pack(json.loads(Path(path).read_text()), [note.parse_verifier_key(key)])
		in_process = time.perf_counter() - t
		nbytes = os.path.getsize(path)
	finally:
		os.unlink(path)
	result = {
		"tree_size": size,
		"entries": len(built["entries"]),
		"previous_checkpoint": bool(built.get("previous")),
		"read_rows_s": round(rows_s, 3),
		"build_s": round(pack_s, 3),
		"pack_bytes": nbytes,
		"standalone_exit": status,
		"standalone_wall_s": round(wall, 3),
		"standalone_start_and_imports_s": round(startup, 3),
		"verify_pack_in_process_s": round(in_process, 3),
		"verified_lines": len(ok),
		"failed_lines": len(failed),
		"last_line": out.strip().splitlines()[-1] if out.strip() else "",
		"load": _load(),
	}
	_say("pack:", json.dumps(result, indent=1))
	if status != 0:
		_say(out[-3000:])
	return result


# --------------------------------------------------------------------------- 5. sealing


def _accept_worker(site, seconds, number, barrier, results):
	"""One writer: refusals' entries accepted durably (audit.append, its own connection)."""
	frappe.init(site=site)
	frappe.connect()
	try:
		frappe.set_user("Administrator")
		made = Entries(1000 + number)
		audit.connection()
		barrier.wait()
		waits = []
		deadline = time.perf_counter() + seconds
		while time.perf_counter() < deadline:
			entry = made.entry()
			t = time.perf_counter()
			# the sealer process below is the job seal_soon wakes: no wake-up asked here
			audit.append(entry, seal=False)
			waits.append(time.perf_counter() - t)
		results.put(("worker", number, waits))
	except Exception as e:
		results.put(("error", number, repr(e)))
		raise
	finally:
		audit.close_connection()
		frappe.destroy()


def _sealer(site, seconds, interval, barrier, results):
	"""The background job: seal, then wait `interval` (SEAL_INTERVAL), until the end."""
	frappe.init(site=site)
	frappe.connect()
	try:
		db = audit.connection()
		barrier.wait()
		rounds = []
		began = time.perf_counter()
		deadline = began + seconds
		while time.perf_counter() < deadline:
			t = time.perf_counter()
			count = audit.seal(db)
			rounds.append((t - began, count, time.perf_counter() - t))
			time.sleep(interval)
		results.put(("sealer", 0, rounds))
	except Exception as e:
		results.put(("error", -1, repr(e)))
		raise
	finally:
		audit.close_connection()
		frappe.destroy()


def sealing(
	seconds: float = 20,
	workers: int = 8,
	interval: float | None = None,
	verify: bool = True,
	sealer: bool = True,
) -> dict:
	"""`workers` processes accept entries for `seconds` while a sealer seals; then what is left
	is sealed alone, and the whole log verified. With `sealer` false, nothing seals while the
	writers run (what accepting alone costs), and the whole backlog is sealed afterwards."""
	import multiprocessing

	from confidentiality_app.log import verification

	seconds, workers = float(seconds), int(workers)
	interval = audit.SEAL_INTERVAL if interval is None else float(interval)
	site = frappe.local.site
	db = audit.connect()
	audit.seal(db)
	db.commit()
	size_before = tree.size(db)
	context = multiprocessing.get_context("spawn")
	barrier = context.Barrier(workers + (2 if sealer else 1))
	results = context.Queue()
	processes = [
		context.Process(target=_accept_worker, args=(site, seconds, i, barrier, results))
		for i in range(workers)
	]
	if sealer:
		processes.append(context.Process(target=_sealer, args=(site, seconds, interval, barrier, results)))
	for p in processes:
		p.start()
	barrier.wait(timeout=300)
	began = time.perf_counter()
	got = [results.get(timeout=seconds + 600) for _ in processes]
	window = time.perf_counter() - began
	for p in processes:
		p.join()
	errors = [g for g in got if g[0] == "error"]
	waits = sorted(w for kind, _n, data in got if kind == "worker" for w in data)
	rounds = [r for kind, _n, data in got if kind == "sealer" for r in data]
	sealed_during = sum(c for _t, c, _d in rounds)
	busy = sum(d for _t, c, d in rounds if c)
	# a round seals everything queued when it starts (audit.seal loops while batches are full),
	# so the last round can end well after the writers stopped
	sealer_span = max([seconds, *(t + d for t, _c, d in rounds)])
	db.commit()
	left = audit.pending_count(db=db)
	t = time.perf_counter()
	drained = audit.seal(db)
	drain_s = time.perf_counter() - t
	db.commit()
	size_after = tree.size(db)
	db.close()
	accepted = len(waits)
	result = {
		"workers": workers,
		"sealer_running": bool(sealer),
		"seconds": seconds,
		"window_s": round(window, 1),
		"log_size_before": size_before,
		"accepted": accepted,
		"accepted_per_s": round(accepted / seconds),
		"accept_wait_p50_ms": _pct(waits, 50),
		"accept_wait_p95_ms": _pct(waits, 95),
		"accept_wait_p99_ms": _pct(waits, 99),
		"sealed_during": sealed_during,
		"sealer_finished_s": round(sealer_span, 1),
		"sealed_per_s_during": round(sealed_during / sealer_span),
		"sealer_rounds": [(round(t, 1), c, round(d, 1)) for t, c, d in rounds if c],
		"sealer_busy_s": round(busy, 2),
		"sealer_rate_while_busy_per_s": round(sealed_during / busy) if busy else None,
		"largest_round": max((c for _t, c, _d in rounds), default=0),
		"left_at_end": left,
		"drained": drained,
		"drain_s": round(drain_s, 2),
		"drain_rate_per_s (sealer alone)": round(drained / drain_s) if drained and drain_s else None,
		"end_to_end_per_s": round((sealed_during + drained) / (sealer_span + drain_s)),
		"log_size_after": size_after,
		"errors": errors,
		"load": _load(),
	}
	if verify:
		t = time.perf_counter()
		verified = verification.verify()
		audit.close_connection()
		result["verify_after"] = {
			"ok": verified.ok,
			"entries": verified.entries,
			"tree_size": verified.tree_size,
			"seconds": round(time.perf_counter() - t, 1),
			"problems": [p.problem for p in verified.problems[:5]],
		}
	_say("sealing:", json.dumps(result, indent=1))
	return result


def seal_capacity(entries: int = 20000, seed: int = 4, profile=False) -> dict:
	"""The sealer alone (no writer competing for the CPU): `entries` accepted entries put in
	the queue at once, then one `audit.seal` times integrating them at the log's current size."""
	entries = int(entries)
	db = audit.connect()
	try:
		audit.seal(db)
		db.commit()
		size = tree.size(db)
		made = Entries(seed + size)
		stamp = frappe.utils.now_datetime()
		columns = ("timestamp", *(f for f in audit.CONTENT_FIELDS if f != "timestamp"))
		extra = ("creation", "modified", "owner", "modified_by", "docstatus", "idx")
		header = (
			f"INSERT INTO `tab{audit.QUEUE_DOCTYPE}` (`name`, "
			+ ", ".join(f"`{c}`" for c in (*columns, *extra))
			+ ") VALUES "
		)
		for start in range(0, entries, 2000):
			values = []
			for _ in range(min(2000, entries - start)):
				row = {"timestamp": stamp, **made.content()}
				literal = [_literal(row[c]) for c in columns]
				literal += [_literal(v) for v in (stamp, stamp, audit.ROW_OWNER, audit.ROW_OWNER, 0, 0)]
				values.append(f"(NEXTVAL({audit._QUEUE_SEQUENCE}), " + ", ".join(literal) + ")")
			db._cursor.execute(header + ", ".join(values))
			db._conn.commit()
		queued = audit.pending_count(db=db)
		with _Profiled(bool(profile), "audit.seal"):
			t = time.perf_counter()
			sealed = audit.seal(db)
			seconds = time.perf_counter() - t
	finally:
		db.close()
	result = {
		"log_size_before": size,
		"queued": queued,
		"sealed": sealed,
		"seconds": round(seconds, 2),
		"sealed_per_s": round(sealed / seconds) if seconds else None,
		"load": _load(),
	}
	_say("seal capacity (sealer alone):", json.dumps(result, indent=1))
	return result


def _load() -> str:
	return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --------------------------------------------------------------------------- 6. all of it


def run(
	n: int = 1_000_000,
	small: int = 1000,
	samples: int = 2000,
	entries: int = 1000,
	seconds: float = 20,
	workers: int = 8,
	batch: int = 5000,
	capacity: int = 20000,
):
	"""Proofs on a small log first (when the log is small), a checkpoint published there; then
	the log grown to n, proofs, full verification, a pack, and sealing with writers."""
	from confidentiality_app.log import anchors

	started = time.perf_counter()
	load = os.getloadavg()
	_say(
		f"site {frappe.local.site}, {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
	)
	out = {}
	db = audit.connect()
	audit.seal(db)
	db.commit()
	size = tree.size(db)
	db.close()
	if size < small:
		grow(small, batch=batch)
		out["proofs_small_log"] = proofs(samples, small_sizes=(), api_samples=100)
		published = anchors.publish(force=True)  # an earlier checkpoint: packs prove consistency from it
		frappe.db.commit()
		_say(f"published the checkpoint of {published['tree_size']:,} entries")
	out["grow"] = grow(n, batch=batch)
	out["proofs"] = proofs(samples)
	out["full_verify"] = full_verify()
	out["pack"] = pack(entries)
	out["sealing"] = sealing(seconds, workers)
	out["seal_capacity"] = seal_capacity(capacity)
	_summary(out, n)
	_say(f"total {time.perf_counter() - started:.0f} s")
	return out


def _summary(out: dict, n: int) -> None:
	rows = []
	p = out.get("proofs") or {}
	cur = p.get("current") or {}
	for kind in ("inclusion", "consistency"):
		figures = cur.get(kind) or {}
		if figures:
			rows.append(
				(
					f"{kind} proof at {cur['tree_size']:,}",
					f"p50 {figures['p50_ms']} / p95 {figures['p95_ms']} / p99 {figures['p99_ms']} ms, "
					f"{figures['queries_per_proof']} queries, {figures['failures']} failed",
					f"p95 <= {TARGETS['proof_p95_ms']} ms",
					figures["p95_ms"] <= TARGETS["proof_p95_ms"],
				)
			)
	small = out.get("proofs_small_log", {}).get("current") or {}
	for kind in ("inclusion", "consistency"):
		if small.get(kind):
			rows.append(
				(
					f"{kind} proof at {small['tree_size']:,} (small log)",
					f"p50 {small[kind]['p50_ms']} / p95 {small[kind]['p95_ms']} ms, {small[kind]['queries_per_proof']} queries",
					"same query count",
					small[kind]["queries_per_proof"] == cur.get(kind, {}).get("queries_per_proof"),
				)
			)
	api = (p.get("api") or {}).get("log_inclusion_proof")
	if api:
		rows.append(("API log_inclusion_proof", f"p50 {api['p50_ms']} / p95 {api['p95_ms']} ms", "", None))
	v = out.get("full_verify")
	if v:
		rows.append(
			(
				f"full verification of {v['entries']:,}",
				f"{v['seconds']} s ({v['entries_per_s']:,}/s), ok={v['ok']}, read alone {v.get('read_rows_alone_s')} s",
				f"<= {TARGETS['full_verify_s']} s at 1,000,000",
				v["seconds"] * 1_000_000 / max(v["entries"], 1) <= TARGETS["full_verify_s"],
			)
		)
	k = out.get("pack")
	if k:
		rows.append(
			(
				f"standalone check of a {k['entries']:,}-entry pack",
				f"{k['standalone_wall_s']} s wall (start+imports {k['standalone_start_and_imports_s']} s), exit {k['standalone_exit']}; built in {k['build_s']} s",
				f"<= {TARGETS['pack_verify_s']} s, exit 0",
				k["standalone_wall_s"] <= TARGETS["pack_verify_s"] and k["standalone_exit"] == 0,
			)
		)
	s = out.get("sealing")
	if s:
		rows.append(
			(
				f"sealing, {s['workers']} writers, at {s['log_size_before']:,}",
				f"accepted {s['accepted_per_s']:,}/s, sealed {s['sealed_per_s_during']:,}/s during, sealer {s['sealer_rate_while_busy_per_s']}/s while busy, "
				f"{s['left_at_end']:,} left, verify ok={s.get('verify_after', {}).get('ok')}",
				f">= {TARGETS['sealed_per_s']:,}/s",
				s["sealed_per_s_during"] >= TARGETS["sealed_per_s"],
			)
		)
	c = out.get("seal_capacity")
	if c:
		rows.append(
			(
				f"sealer alone, {c['sealed']:,} queued, at {c['log_size_before']:,}",
				f"{c['sealed_per_s']:,}/s ({c['seconds']} s)",
				f">= {TARGETS['sealed_per_s']:,}/s",
				(c["sealed_per_s"] or 0) >= TARGETS["sealed_per_s"],
			)
		)
	width = max(len(r[0]) for r in rows) if rows else 10
	_say("\n" + "=" * 100)
	_say(f"{'measure':<{width}}  target met  figures (target)")
	for label, figures, target, met in rows:
		flag = "-" if met is None else ("yes" if met else "NO")
		_say(f"{label:<{width}}  {flag:<10}  {figures}" + (f"  ({target})" if target else ""))
	_say("=" * 100)
