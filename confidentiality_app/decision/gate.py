"""The Frappe side of the one decision point.

Every egress adapter calls `enforce(...)` (or `check(...)` when it handles the refusal
itself). This module resolves the clients behind the record, loads their grants, asks the
pure `policy.decide`, applies the mode, writes the Confidentiality Log entry and, in
Enforce mode, raises `ConfidentialityBlocked` (a PermissionError: HTTP 403) with a
message that says which client, which purpose is missing and how to record consent.

Fail closed: any error while resolving or loading becomes a logged refusal; if the log
itself cannot be written, the action is refused too.
"""

from __future__ import annotations

from dataclasses import dataclass

import frappe
from frappe import _

from confidentiality_app.decision import clients, consents, epoch, facts, uses
from confidentiality_app.decision.explain import explain
from confidentiality_app.log import audit
from confidentiality_app.rules import policy


class ConfidentialityBlocked(frappe.PermissionError):
	pass


@dataclass
class Verdict:
	decision: policy.Decision
	outcome: policy.Outcome
	clients: list[tuple[str, str]]
	message: str
	log: str | None = None

	@property
	def proceed(self) -> bool:
		return self.outcome.proceed

	def as_dict(self) -> dict:
		return {
			"allowed": self.decision.allowed,
			"proceed": self.outcome.proceed,
			"outcome": self.outcome.outcome,
			"mode": self.outcome.mode,
			"reason": self.message,
			"code": self.decision.code,
			"basis": list(self.decision.basis),
			"clients": [list(c) for c in self.clients],
			"log": self.log,
		}


def mode() -> str:
	try:
		return clients.settings().mode or policy.ENFORCE
	except Exception:
		return policy.ENFORCE  # unreadable settings: fail closed


def active() -> bool:
	"""False only while this app is being uninstalled: its doctypes are gone but the
	uninstalling process still runs its hooks on every save."""
	if not frappe.flags.in_uninstall:
		return True
	return bool(frappe.db.table_exists("Confidentiality Settings"))


def is_protected(doctype: str) -> bool:
	"""Fail closed: if the settings cannot be read, every record counts as protected."""
	if not active():
		return False
	try:
		return clients.is_protected(doctype)
	except Exception:
		return True


def evaluate(
	doctype: str,
	name: str,
	purpose: str,
	recipients: tuple[frozenset[str], ...] = (),
	doc=None,
	use_cache: bool = True,
	has_access: frozenset[str] = frozenset(),
	unattended: bool = False,
) -> tuple[policy.Decision, list[tuple[str, str]]]:
	"""The decision alone: no log, no exception. A protected record that names no client
	is decided as an unknown client (refused), never as unprotected."""
	return evaluate_records(
		[(doctype, name, doc)],
		purpose,
		recipients,
		use_cache=use_cache,
		has_access=has_access,
		unattended=unattended,
	)


def evaluate_records(
	records,
	purpose: str,
	recipients: tuple[frozenset[str], ...] = (),
	use_cache: bool = True,
	has_access: frozenset[str] = frozenset(),
	service_to_client: bool = True,
	counted: bool = False,
	unattended: bool = False,
) -> tuple[policy.Decision, list[tuple[str, str]]]:
	"""One decision over several records at once (a mail about a Lead that also carries a
	Quotation's file): every client any of them names must be covered. `records`:
	[(doctype, name, doc or None)]; records of unprotected doctypes are ignored."""
	try:
		parties: list[tuple[str, str]] = []
		unknown: list[policy.Client] = []
		released: set[tuple[str, str]] = set()
		for doctype, name, doc in records:
			if not clients.is_protected(doctype):
				continue
			released.add((doctype, name))
			found = clients.clients_of(doctype, name, doc=doc)
			parties += [p for p in found if p not in parties]
			if (
				not found
				and not clients.client_optional(doctype)
				and not clients.is_colleague_record(doctype, name)
			):
				unknown.append(policy.Client(key=(doctype, name), unknown=True))
		involved: tuple[policy.Client, ...] = ()
		if parties:
			candidates = frozenset().union(*recipients) if recipients else frozenset()
			involved = _clients(parties, use_cache, candidates)
		request = policy.Request(
			purpose=purpose,
			clients=(*involved, *unknown),
			recipients=recipients,
			now=frappe.utils.now_datetime(),
			has_access=has_access,
			service_to_client=service_to_client,
			records=frozenset(released),
			counted=counted,
			unattended=unattended,
		)
		return policy.decide(request), parties
	except Exception as e:
		frappe.log_error(title="Confidentiality: decision unavailable")
		return policy.unavailable(f"{type(e).__name__}: {e}"), []


def decide_rows(
	doctype: str,
	names,
	purpose: str,
	covered: set[tuple[str, str]] | None = None,
	unattended: bool = False,
) -> dict[str, policy.Decision]:
	"""One decision per record for many records of one doctype (an export), set-based: the
	clients of every row (one query per client field), the records that any consent with
	`purpose` covers (one query, then each such consent's person), the cached facts of the
	clients that may be covered (one round trip), then every row decided in memory. Rows
	whose clients no consent with `purpose` covers are refused without loading anything
	about them. The number of queries does not grow with the number of rows. A record
	that names no client is refused (unknown client) unless its doctype allows that."""
	names = list(dict.fromkeys(n for n in names if n))
	if not names or not is_protected(doctype):
		return {n: policy.Decision(True, policy.NOT_PROTECTED) for n in names}
	try:
		per_row = clients.clients_of_rows(doctype, names)
		if covered is None:
			covered = covered_parties(purpose)
		wanted = {p for parties in per_row.values() for p in parties if p in covered}
		known = facts.facts_of(sorted(wanted)) if wanted else {}
		optional = clients.client_optional(doctype)
		now = frappe.utils.now_datetime()
		decisions: dict[str, policy.Decision] = {}
		review = under_review()
		# a User who is a colleague (a desk role other than a learner's) is not a client
		staff = set(clients.desk_users(names, remember=False).values()) if doctype == "User" else set()
		for name in names:
			if name in staff:
				decisions[name] = policy.Decision(True, policy.NOT_PROTECTED)
				continue
			parties = per_row.get(name) or []
			if not parties:
				if optional or clients.is_colleague_record(doctype, name):
					decisions[name] = policy.Decision(True, policy.NOT_PROTECTED)
					continue
				involved = (policy.Client(key=(doctype, name), unknown=True),)
			else:
				involved = tuple(
					policy.Client(key=p, grants=known[p].grants, agreement=known[p].agreement)
					if p in known
					else policy.Client(key=p)
					for p in parties
				)
			decisions[name] = policy.decide(
				policy.Request(
					purpose=purpose,
					clients=involved,
					now=now,
					records=frozenset({(doctype, name)}),
					unattended=unattended,
				)
			)
			if review:
				decisions[name] = policy.held_for_review(decisions[name], review)
		return decisions
	except Exception as e:
		frappe.log_error(title="Confidentiality: decision unavailable")
		failed = policy.unavailable(f"{type(e).__name__}: {e}")
		return {n: failed for n in names}


def under_review(user: str | None = None) -> str | None:
	"""The active sanction that puts `user`'s egress under review (a suspended practitioner),
	or None. One query per user and request. Fail closed: unreadable, the user is held."""
	user = user or frappe.session.user
	if not user or user in ("Administrator", "Guest"):
		return None
	memo = getattr(frappe.local, "confidentiality_review", None)
	if memo is None:
		memo = frappe.local.confidentiality_review = {}
	if user not in memo:
		try:
			if not frappe.db.table_exists("Sanction"):
				memo[user] = None
			else:
				found = frappe.db.sql(
					"""SELECT s.name FROM `tabSanction` s JOIN `tabPractitioner` p ON p.name = s.practitioner
					WHERE p.user = %s AND s.status = 'Active' AND s.review_egress = 1
						AND s.term_from <= CURDATE() AND (s.term_to IS NULL OR s.term_to >= CURDATE())
					ORDER BY s.creation LIMIT 1""",
					(user,),
				)
				memo[user] = found[0][0] if found else None
		except Exception:
			frappe.log_error(title="Confidentiality: sanction review unreadable")
			memo[user] = "unavailable"
	return memo[user]


def use_disclosures(decisions: dict) -> dict:
	"""One release of many rows (an export): each limited disclosure that allows some of its
	rows is used once; the rows of a disclosure used up in between are refused (fail
	closed). Returns the decisions to apply."""
	names = sorted({n for d in decisions.values() if d.allowed for n in d.counted_disclosures})
	if not names:
		return decisions
	failed = {}
	for name in names:
		used = uses.use(policy.Decision(True, policy.GRANTED, basis=(name,), counted_disclosures=(name,)))
		if not used.allowed:
			failed[name] = used
	if not failed:
		return decisions
	result = {}
	for key, decision in decisions.items():
		lost = [n for n in decision.counted_disclosures if n in failed] if decision.allowed else []
		result[key] = failed[lost[0]] if lost else decision
	return result


def disclosures_used(decisions) -> tuple[list[str], str]:
	"""The disclosures an export's allowed rows rest on, and their Code clauses."""
	names, clauses = [], []
	for decision in decisions:
		if decision.allowed and decision.disclosures:
			names += [n for n in decision.disclosures if n not in names]
			clauses += [c for c in decision.clause.split("; ") if c and c not in clauses]
	return names, "; ".join(clauses)


COVERED_TTL = 60


def covered_parties(purpose: str) -> set[tuple[str, str]]:
	"""Every client record that some submitted consent with `purpose` covers (the consent's
	party and the records of the same person): the only clients a set-based decision can
	allow. Cached in Redis under the facts epoch (any consent or identity change makes it
	stale) for COVERED_TTL seconds. A stale set can only hold too many clients (each is
	still decided on its own facts), or miss one consented since (refused: fail closed)
	until the epoch moves or the entry expires. Not cached by a transaction that changed
	facts itself."""
	key = f"confidentiality_app:covered:{purpose}"
	cached, current = _epoch_cached(key)
	if cached is not None:
		return {tuple(p) for p in cached}
	covered: set[tuple[str, str]] = set()
	for party in consents.parties_with_purpose(purpose):
		covered.update(clients.covered_by(party))
	_epoch_store(key, sorted(covered), current, COVERED_TTL)
	return covered


def allowed_rows(doctype: str, purpose: str) -> set[str]:
	"""Every record of `doctype` that may leave for `purpose` (an API client's bulk read is
	limited to these), set-based: the records of the clients any consent with `purpose`
	covers are the only candidates (a few queries per consenting client, none per row),
	then `decide_rows` decides them. A doctype whose records may name no client (Event)
	has every record as a candidate. Fail closed: an error allows nothing."""
	if not is_protected(doctype):
		raise ValueError(doctype)
	try:
		cacheable = _allowed_cacheable(doctype)
		if cacheable:
			cached, current = _epoch_cached(f"confidentiality_app:allowed:{purpose}:{doctype}")
			if cached is not None:
				return set(cached)
		parties = covered_parties(purpose)
		if clients.client_optional(doctype):
			candidates = None
		else:
			candidates = (
				clients.covered_records(parties, only=doctype, expanded=True).get(doctype, set())
				if parties
				else set()
			)
		if candidates is None:
			candidates = frappe.get_all(doctype, pluck="name", order_by=None)
		if doctype == "User":
			# colleagues are not clients: every enabled staff account is a candidate too
			candidates = set(candidates) | {
				r[0]
				for r in frappe.db.sql(
					f"SELECT u.name FROM `tabUser` u WHERE u.enabled = 1 AND u.user_type = 'System User' AND {clients.STAFF}"
				)
			}
		# an integration's read: not made for any disclosure's recipient
		decisions = decide_rows(doctype, candidates, purpose, covered=parties, unattended=True)
		allowed = {name for name, decision in decisions.items() if decision.allowed}
		if cacheable:
			# its decisions came from the clients' facts, themselves loaded fresh for the epoch
			_epoch_store(
				f"confidentiality_app:allowed:{purpose}:{doctype}", sorted(allowed), current, ALLOWED_TTL
			)
		return allowed
	except Exception:
		frappe.log_error(title="Confidentiality: decision unavailable")
		return set()


ALLOWED_TTL = 60


def _allowed_cacheable(doctype: str) -> bool:
	"""The records allowed can be cached under the decisions' epoch only for a doctype
	whose records are the clients themselves (Lead, Customer, Contact...): every change
	that can alter that set (a consent, an identity, a record created or deleted) bumps the
	epoch. A record that names its client in a field (a Quotation) can change client with
	no bump; a User becomes a client or a colleague by a role change: never cached."""
	rules = clients.protected_rules().get(doctype) or []
	return bool(rules) and all(field == "" for field in rules) and doctype != "User"


def _epoch_cached(key: str):
	"""(value, epoch): a value cached under the facts epoch (None when absent, stale, or
	this transaction changed facts itself), and the epoch read with it (one MGET; None
	when Redis cannot answer: nothing is then stored)."""
	import json

	import redis

	if epoch.dirty():
		return None, None
	try:
		current, raw = redis.Redis.mget(
			frappe.cache, [frappe.cache.make_key(epoch.KEY), frappe.cache.make_key(key)]
		)
	except redis.exceptions.RedisError:
		return None, None
	current = int(current or 0)
	if raw is not None:
		cached = json.loads(raw)
		if cached.get("epoch") == current:
			return cached["value"], current
	return None, current


def _epoch_store(key: str, value, current: int | None, ttl: int) -> None:
	"""Store `value` under the epoch read *before* it was computed: a change in between
	leaves it under a stale epoch, never used."""
	import json

	import redis

	if current is None or epoch.dirty():
		return
	try:
		redis.Redis.set(
			frappe.cache, frappe.cache.make_key(key), json.dumps({"epoch": current, "value": value}), ex=ttl
		)
	except redis.exceptions.RedisError:
		pass


def _clients(parties, use_cache: bool, candidates: frozenset[str]) -> tuple[policy.Client, ...]:
	"""The clients of a decision, from their cached facts (one cache round trip).
	`candidates`: the recipients' identifiers; only those can be the client themself."""
	known = facts.facts_of(parties, use_cache=use_cache)
	involved = []
	for party in parties:
		f = known[tuple(party)]
		own = f.addresses & candidates if candidates else frozenset()
		involved.append(
			policy.Client(
				key=party,
				grants=f.grants,
				agreement=f.agreement,
				self_ids=clients.self_ids(f.identity, candidates, addresses=own) if own else frozenset(),
			)
		)
	return tuple(involved)


def check(
	doctype: str,
	name: str,
	purpose: str,
	*,
	channel: str,
	action: str | None = None,
	recipients: tuple[frozenset[str], ...] = (),
	recipient_label: str | None = None,
	doc=None,
	use_cache: bool = True,
	log: bool = True,
	has_access: frozenset[str] = frozenset(),
	with_action: bool = False,
	records=None,
	service_to_client: bool = True,
	refused_outcome: str | None = None,
	log_allowed: bool = True,
	sender: str | None = None,
) -> Verdict:
	"""Decide, apply the mode and log. Never raises for a refusal (see `enforce`).

	`sender`: whose release it is when that is not the session's user (a mail sent later by
	the scheduler is its author's): a sanction holding their egress applies to it.

	The entry of a refused or monitored attempt is committed at once, on the log's own
	connection (it must survive the refused request's rollback). With `with_action`, the
	entry of an *allowed* action that is itself a database write (a share, a public link)
	commits with that action instead: the log never records a release that was rolled
	back. Read-only egress (a print, an export) leaves `with_action` off: its request does
	not commit.

	`records` ([(doctype, name, doc or None)]): decide over all of them at once (a mail
	about several records); `doctype`/`name` then only name the entry's reference.
	`refused_outcome`: what the caller does with a refusal instead of blocking it (a mail
	is "Held"), recorded as the entry's outcome. `log_allowed=False`: log only what is not
	plainly allowed (a decision taken again, whose allowed release is already logged)."""
	if records is None:
		records = [(doctype, name, doc)]
	if not any(is_protected(r[0]) for r in records):
		decision = policy.Decision(True, policy.NOT_PROTECTED)
		return Verdict(decision, policy.apply_mode(decision, policy.ENFORCE), [], "")

	decision, parties = evaluate_records(
		records,
		purpose,
		recipients,
		use_cache=use_cache,
		has_access=has_access,
		service_to_client=service_to_client,
		counted=not log_allowed,
	)
	review = under_review(sender) if decision.allowed and decision.code != policy.NOT_PROTECTED else None
	if review:
		decision = policy.held_for_review(decision, review)
	if decision.counted_disclosures and log and log_allowed:
		# each release under a disclosure of limited uses uses one, counted at once on the
		# log's connection (the last use cannot be taken twice by two requests at once)
		decision = uses.use(decision)
	outcome = policy.apply_mode(decision, mode())
	message = explain(decision, doctype, name, purpose, action or purpose)
	verdict = Verdict(decision, outcome, parties, message)
	if log and (log_allowed or outcome.outcome != "Allowed"):
		client = decision.client or (parties[0] if parties else (None, None))
		if decision.code == policy.UNKNOWN_CLIENT:
			client = (None, None)
		write = audit.append_on_commit if with_action and outcome.outcome == "Allowed" else audit.append
		try:
			verdict.log = write(
				audit.Entry(
					action=action or purpose,
					channel=channel,
					decision=decision.decision,
					outcome=refused_outcome
					if refused_outcome and outcome.outcome == "Blocked"
					else outcome.outcome,
					mode=outcome.mode,
					reference_doctype=doctype,
					reference_name=name,
					client_doctype=client[0],
					client_name=client[1],
					recipient=recipient_label or decision.recipient,
					reason=message,
					basis=", ".join(decision.basis) or decision.detail or decision.code,
				)
			)
		except audit.LogUnavailable as e:
			frappe.log_error(title="Confidentiality: log unavailable")
			decision = policy.unavailable(f"log: {e}")
			verdict = Verdict(
				decision,
				policy.Outcome(False, "Blocked", outcome.mode),
				parties,
				_(
					"{0} of {1} {2} is refused: the confidentiality log cannot be written, so the attempt cannot be recorded. Ask your administrator to check the database."
				).format(_(action or purpose), _(doctype), name),
			)
	return verdict


def screen(
	records,
	purpose: str,
	*,
	channel: str,
	action: str,
	reference: tuple[str, str],
	exempt: frozenset[tuple[str, str]] = frozenset(),
	log_once_per: int = 3600,
) -> set[tuple[str, str]]:
	"""Which of many records may not be shown (a public page listing learners, an export
	listing clients): the set of (doctype, name) withheld. Set-based: the clients' facts are
	loaded in one round trip, then each record is decided in memory. A record of an
	unprotected doctype is never withheld; `exempt` records are shown (the client looking
	at their own entry). Monitor mode withholds nothing but logs what it would withhold.

	Each withheld client is logged (outcome *Withheld*, on the log's own connection) at most
	once per `log_once_per` seconds for the same channel, action and reference: a public
	page viewed a thousand times an hour does not write a thousand entries per learner."""
	records = [tuple(r[:2]) for r in records if r and r[1]]
	wanted = [r for r in dict.fromkeys(records) if r not in exempt and is_protected(r[0])]
	if not wanted:
		return set()
	try:
		parties = {r: clients.clients_of(*r) for r in wanted}
		facts.facts_of({p for found in parties.values() for p in found})
	except Exception:
		frappe.log_error(title="Confidentiality: decision unavailable")
	withheld: set[tuple[str, str]] = set()
	current = mode()
	for record in wanted:
		decision, found = evaluate_records([(*record, None)], purpose, service_to_client=False)
		if decision.allowed:
			continue
		outcome = policy.apply_mode(decision, current)
		if not outcome.proceed:
			withheld.add(record)
		client = decision.client or (found[0] if found else record)
		key = (
			f"confidentiality:screen:{channel}:{action}:{reference[0]}:{reference[1]}:{client[0]}:{client[1]}"
		)
		if log_once_per and _seen_recently(key, log_once_per):
			continue
		try:
			audit.append(
				audit.Entry(
					action=action,
					channel=channel,
					decision=decision.decision,
					outcome="Withheld" if not outcome.proceed else outcome.outcome,
					mode=outcome.mode,
					reference_doctype=reference[0],
					reference_name=reference[1],
					client_doctype=client[0],
					client_name=client[1],
					recipient=policy.EVERYONE,
					reason=explain(decision, record[0], record[1], purpose, action),
					basis=", ".join(decision.basis) or decision.detail or decision.code,
				)
			)
		except audit.LogUnavailable:
			frappe.log_error(title="Confidentiality: log unavailable")
	return withheld


def _seen_recently(key: str, seconds: int) -> bool:
	"""True when `key` was marked within `seconds`; marks it. One Redis SET NX round trip.
	Redis down: not seen (the entry is written)."""
	import redis

	try:
		return not redis.Redis.set(frappe.cache, frappe.cache.make_key(key), 1, ex=seconds, nx=True)
	except Exception:
		return False


def enforce(doctype: str, name: str, purpose: str, **kwargs) -> Verdict:
	"""`check`, then raise ConfidentialityBlocked when the action must not proceed."""
	verdict = check(doctype, name, purpose, **kwargs)
	if not verdict.proceed:
		frappe.throw(verdict.message, ConfidentialityBlocked, title=_("Refused by confidentiality rules"))
	return verdict
