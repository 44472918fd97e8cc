"""The one confidentiality decision point.

Pure Python, no frappe import: every egress adapter (share, email, print, export, ...)
describes what is about to leave the site as a :class:`Request` and this module says
whether the Code of conduct allows it, why, and on which grant (consent or, later,
approved disclosure) the answer rests.

The Code's rules encoded here:

* Client information is confidential for ever: a record is never released without a
  grant, whatever the state of the relationship (rule 3). Nothing in here looks at a
  lead's or customer's status.
* Release needs the written agreement of the client *and of every other person involved*
  (rule 2): a request naming several clients is allowed only when every one of them is
  covered.
* A grant covers one or more purposes, optionally only named recipients, for a validity
  window; withdrawal ends it at once.

Messages are returned as a code plus parameters; the Frappe adapter translates them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

ENFORCE = "Enforce"
MONITOR = "Monitor"

# Recipient identifier that stands for "every user of the site" (DocShare everyone=1).
EVERYONE = "*everyone*"

# Denial codes, most specific first: when several grants fail, the one that came
# closest to allowing the action explains the refusal.
RECIPIENT_NOT_NAMED = "recipient_not_named"
WITHDRAWN = "withdrawn"
EXPIRED = "expired"
NOT_YET_VALID = "not_yet_valid"
SUPERSEDED = "superseded"
NOT_ACTIVE = "not_active"
PURPOSE_MISSING = "purpose_missing"
NO_CONSENT = "no_consent"
UNAVAILABLE = "unavailable"
GRANTED = "granted"
NOT_PROTECTED = "not_protected"
TO_CLIENT = "to_client"
# The recipient can already read the record through their own roles: the action
# releases nothing to them that they do not have (a share to such a user).
NO_NEW_ACCESS = "no_new_access"
# A protected record that names no client (an empty client field): whose consent would
# be needed cannot be known, so nothing may be released (fail closed).
UNKNOWN_CLIENT = "unknown_client"

_PRIORITY = (
	RECIPIENT_NOT_NAMED,
	WITHDRAWN,
	EXPIRED,
	NOT_YET_VALID,
	SUPERSEDED,
	NOT_ACTIVE,
	PURPOSE_MISSING,
	NO_CONSENT,
)


def normalise(identifier: str | None) -> str:
	"""Recipients are compared case-insensitively, without surrounding blanks."""
	return (identifier or "").strip().lower()


@dataclass(frozen=True)
class Grant:
	"""A consent (kind "consent") or approved disclosure (kind "disclosure")."""

	name: str
	purposes: frozenset[str]
	recipients: frozenset[str] = frozenset()  # normalised identifiers; empty: not limited
	valid_from: date | None = None
	valid_until: date | None = None  # inclusive: valid for the whole of that day
	withdrawn_at: datetime | None = None
	active: bool = True  # submitted and not cancelled
	superseded: bool = False  # given on a consent-form version that now needs re-consent
	kind: str = "consent"

	def covers_recipient(self, recipient: frozenset[str] | None) -> bool:
		if not self.recipients:
			return True
		if recipient is None or EVERYONE in recipient:
			return False
		return bool(self.recipients & recipient)

	def failure(self, purpose: str, recipient: frozenset[str] | None, now: datetime) -> str | None:
		"""None when this grant allows `purpose` to `recipient` at `now`, else the reason code."""
		if purpose not in self.purposes:
			return PURPOSE_MISSING
		if self.withdrawn_at is not None and self.withdrawn_at <= now:
			return WITHDRAWN
		if not self.active:
			return NOT_ACTIVE
		if self.superseded:
			return SUPERSEDED
		today = now.date()
		if self.valid_from is not None and today < self.valid_from:
			return NOT_YET_VALID
		if self.valid_until is not None and today > self.valid_until:
			return EXPIRED
		if not self.covers_recipient(recipient):
			return RECIPIENT_NOT_NAMED
		return None


@dataclass(frozen=True)
class Client:
	"""One client involved in the request and every grant given for them.

	`key` is (doctype, name) of the record that identifies the client; `grants` are those
	recorded on any record of the same person (lead, customer, contacts...).
	"""

	key: tuple[str, str]
	grants: tuple[Grant, ...] = ()
	label: str = ""
	# Identifiers of the client themself (their user id, email addresses). Giving clients
	# their own information is no disclosure: such a recipient needs no grant.
	self_ids: frozenset[str] = frozenset()
	# The record is protected but names no client (empty client field): no grant can
	# cover it; only recipients who already have access may receive it.
	unknown: bool = False


@dataclass(frozen=True)
class Request:
	purpose: str
	clients: tuple[Client, ...]
	# Each recipient is the set of identifiers that name it (user id, email address);
	# an empty tuple means the action has no identified recipient (print, marketing use).
	recipients: tuple[frozenset[str], ...] = ()
	now: datetime = field(default_factory=datetime.now)
	# Identifiers of recipients who can already read the record through their roles
	# (not through a share): giving it to them releases nothing new.
	has_access: frozenset[str] = frozenset()
	# Giving clients their own information needs no grant (service mail). False for uses
	# that need the client's consent even when they are the recipient (marketing).
	service_to_client: bool = True


@dataclass(frozen=True)
class Decision:
	allowed: bool
	code: str
	basis: tuple[str, ...] = ()
	client: tuple[str, str] | None = None  # the client the refusal is about
	recipient: str | None = None  # the recipient the refusal is about
	detail: str = ""  # e.g. the grant names whose failure explains the refusal

	@property
	def decision(self) -> str:
		return "Allow" if self.allowed else "Deny"


def recipient_ids(*identifiers: str | None) -> frozenset[str]:
	return frozenset(n for n in (normalise(i) for i in identifiers) if n)


def unavailable(detail: str) -> Decision:
	"""Fail closed: the decision could not be made (cache down, bad configuration...)."""
	return Decision(False, UNAVAILABLE, detail=detail)


def decide(request: Request) -> Decision:
	"""Allow only when every client is covered for every recipient by a valid grant.

	A recipient who already has access to the record, or who is the client themself,
	needs no grant. A client that cannot be known (`Client.unknown`) is covered by none."""
	if not request.clients:
		return Decision(True, NOT_PROTECTED)
	if not request.purpose:
		return unavailable("no purpose given")

	recipients: tuple[frozenset[str] | None, ...] = request.recipients or (None,)
	basis: list[str] = []
	no_new_access = False
	for client in request.clients:
		for recipient in recipients:
			if recipient and request.has_access and recipient & request.has_access:
				no_new_access = True
				continue
			if recipient and request.service_to_client and client.self_ids and recipient & client.self_ids:
				continue
			if client.unknown:
				return Decision(False, UNKNOWN_CLIENT, client=client.key, recipient=_label(recipient))
			grant, failure, failing = _best_grant(client.grants, request.purpose, recipient, request.now)
			if grant is None:
				return Decision(
					False,
					failure,
					client=client.key,
					recipient=_label(recipient),
					detail=", ".join(failing),
				)
			if grant.name not in basis:
				basis.append(grant.name)
	if not basis:
		return Decision(True, NO_NEW_ACCESS if no_new_access else TO_CLIENT)
	return Decision(True, GRANTED, basis=tuple(basis))


def _best_grant(
	grants: Iterable[Grant], purpose: str, recipient: frozenset[str] | None, now: datetime
) -> tuple[Grant | None, str, list[str]]:
	best = NO_CONSENT
	failing: list[str] = []
	for grant in grants:
		failure = grant.failure(purpose, recipient, now)
		if failure is None:
			return grant, GRANTED, []
		if _PRIORITY.index(failure) < _PRIORITY.index(best):
			best, failing = failure, [grant.name]
		elif failure == best:
			failing.append(grant.name)
	return None, best, failing


def _label(recipient: frozenset[str] | None) -> str | None:
	if recipient is None:
		return None
	if EVERYONE in recipient:
		return EVERYONE
	return sorted(recipient)[0] if recipient else None


@dataclass(frozen=True)
class Outcome:
	proceed: bool
	outcome: str  # Allowed / Blocked / Monitored
	mode: str


def apply_mode(decision: Decision, mode: str | None) -> Outcome:
	"""Enforce blocks a denial; Monitor lets it through but records it. Anything else
	(a missing or corrupted setting) is treated as Enforce: fail closed. A decision that
	could not be made is blocked in every mode."""
	if decision.code == UNAVAILABLE:
		return Outcome(False, "Blocked", mode if mode in (ENFORCE, MONITOR) else ENFORCE)
	if decision.allowed:
		return Outcome(True, "Allowed", mode if mode in (ENFORCE, MONITOR) else ENFORCE)
	if mode == MONITOR:
		return Outcome(True, "Monitored", MONITOR)
	return Outcome(False, "Blocked", ENFORCE)
