"""What a decision needs to know about a client, cached so that a decision costs one cache
round trip.

For each client record the decision needs the records of the same person (`identity`),
the grants recorded on any of them (`grants`) and the addresses on them (`addresses`, to
recognise the client themself). Loading them queries the database several times; they
change rarely (a consent recorded or withdrawn, a conversion, an identity edit, a rename,
a settings change). So they are cached per client in Redis, shared by every worker of the
site, under one key each, and read for all the clients of a decision with one MGET that
also reads the site's **epoch**.

Invalidation cannot miss a change: every change that can alter any client's facts bumps
the epoch (one INCR), once when it happens and again when its transaction commits or
rolls back. A cached entry is used only when it carries the current epoch; entries also
expire after CACHE_TTL. Two rules keep a stale or uncommitted state out of the shared
cache:

* a miss is loaded on a fresh read view (the log's own connection, committed first), never
  on the caller's transaction: that transaction's snapshot may predate a change whose
  commit bumped the epoch the reader has just read, and caching it under that epoch
  would keep the old state for CACHE_TTL;
* a transaction that has itself changed facts (it bumped) reads and writes only its own
  memo, loaded from its own uncommitted view, until it ends: other workers never see a
  state that may still roll back.

A request keeps what it read in a memo, cleared when it bumps the epoch and when its
transaction ends.

The cache is read with the raw Redis client, not frappe's wrapper (which hides a dead
Redis): a decision that cannot read the cache fails closed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import frappe
import redis

from confidentiality_app.decision import clients, consents, epoch
from confidentiality_app.rules.policy import Agreement, Grant

CACHE_TTL = 300
_FACTS = "confidentiality_app:facts:{0}:{1}"


@dataclass(frozen=True)
class Facts:
	identity: tuple[tuple[str, str], ...]
	grants: tuple[Grant, ...]
	addresses: frozenset[str]
	agreement: Agreement | None = None


def _key(party) -> str:
	return frappe.cache.make_key(_FACTS.format(*party))


def _memo() -> dict:
	"""What this transaction has read: forgotten when it commits or rolls back (a rolled
	back consent must not stay in a memo) and when it bumps the epoch."""
	memo = getattr(frappe.local, "confidentiality_facts", None)
	if memo is None:
		memo = frappe.local.confidentiality_facts = {}
	if not getattr(frappe.local, "confidentiality_memo_guarded", False) and getattr(frappe.local, "db", None):
		frappe.local.confidentiality_memo_guarded = True
		frappe.db.after_commit.add(_forget_memo)
		frappe.db.after_rollback.add(_forget_memo)
	return memo


def _forget_memo():
	frappe.local.confidentiality_facts = {}
	frappe.local.confidentiality_memo_guarded = False


def load(party: tuple[str, str]) -> Facts:
	"""The facts of one client, straight from the database."""
	same_person = clients.identity(party)
	grants = consents.grants_for(same_person, use_cache=False)
	return Facts(
		tuple(same_person),
		grants,
		frozenset(clients.own_addresses(same_person)),
		consents.agreement_for(same_person),
	)


def _encode(facts: Facts, epoch: int) -> str:
	return json.dumps(
		{
			"epoch": epoch,
			"identity": [list(p) for p in facts.identity],
			"grants": [consents._encode(g) for g in facts.grants],
			"addresses": sorted(facts.addresses),
			"agreement": consents.encode_agreement(facts.agreement),
		}
	)


def _decode(raw: bytes | str, epoch: int) -> Facts | None:
	data = json.loads(raw)
	if data.get("epoch") != epoch:
		return None
	return Facts(
		tuple(tuple(p) for p in data["identity"]),
		tuple(consents._decode(g) for g in data["grants"]),
		frozenset(data["addresses"]),
		consents.decode_agreement(data.get("agreement")),
	)


def _load_fresh(parties) -> dict[tuple[str, str], Facts]:
	"""Load on a read view newer than the epoch just read: the log's own connection, which
	reads READ COMMITTED (every statement sees what is committed when it runs; see the
	module docstring)."""
	from confidentiality_app.log import audit

	fresh = audit.connection()
	saved = frappe.local.db
	frappe.local.db = fresh
	try:
		return {p: load(p) for p in parties}
	finally:
		frappe.local.db = saved


def facts_of(parties, use_cache: bool = True) -> dict[tuple[str, str], Facts]:
	"""{party: Facts} for every party: one MGET (the epoch and every party) when warm."""
	parties = [tuple(p) for p in parties]
	if not use_cache:
		return {p: load(p) for p in parties}
	memo = _memo()
	wanted = [p for p in parties if p not in memo]
	if wanted:
		# one round trip, also when it is not used (below): a decision never depends on
		# whether the cache is up, and a dead cache blocks (fail closed)
		values = redis.Redis.mget(
			frappe.cache, [frappe.cache.make_key(epoch.KEY), *(_key(p) for p in wanted)]
		)
	if wanted and epoch.dirty():
		# this transaction changed facts: its own view, kept to itself (see the docstring)
		for party in wanted:
			memo[party] = load(party)
	elif wanted:
		current = int(values[0] or 0)
		missing = []
		for party, raw in zip(wanted, values[1:], strict=True):
			found = _decode(raw, current) if raw is not None else None
			if found is None:
				missing.append(party)
			else:
				memo[party] = found
		if missing:
			loaded = _load_fresh(missing)
			pipe = redis.Redis.pipeline(frappe.cache, transaction=False)
			for party in missing:
				memo[party] = loaded[party]
				pipe.set(_key(party), _encode(memo[party], current), ex=CACHE_TTL)
			pipe.execute()
	return {p: memo[p] for p in parties}


def changed_record(doc, method=None):
	"""doc_events["*"] after_insert / on_trash: a new or deleted client record can change
	another client's identity (a Customer converted from a Lead, a Contact of a Customer)."""
	if doc.doctype in clients.IGNORED:
		return
	try:
		if doc.doctype not in clients.client_doctypes():
			return
	except Exception:
		return
	epoch.bump()
