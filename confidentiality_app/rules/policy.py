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
* An approved disclosure is a grant too (kind "disclosure"), scoped further: only the
  records it names, a limited number of uses, and, on the ground of written consent, only
  while the consents it rests on still hold.
* The level of confidentiality agreed at the start holds for ever (rule 3): where a client
  has a Confidentiality Agreement, a consent, or a disclosure on written consent, that goes
  beyond its purposes or recipients covers nothing. A disclosure required by a government
  body or made on serious danger is not bounded by it (the Code's own limits).
* Every decision names the Code clause it rests on or upholds (`Decision.clause`).

Messages are returned as a code plus parameters; the Frappe adapter translates them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

ENFORCE = "Enforce"
MONITOR = "Monitor"

# Recipient identifier that stands for "every user of the site" (DocShare everyone=1).
EVERYONE = "*everyone*"

# Denial codes, most specific first: when several grants fail, the one that came
# closest to allowing the action explains the refusal.
BEYOND_AGREEMENT = "beyond_agreement"
RECIPIENT_NOT_NAMED = "recipient_not_named"
# a disclosure used on a record it does not name, or used as often as it allows
OUT_OF_SCOPE = "out_of_scope"
USED_UP = "used_up"
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
# The person releasing is a practitioner under an active sanction that puts their egress
# under review: what they release is held for a Confidentiality Officer.
UNDER_REVIEW = "under_review"

_PRIORITY = (
	BEYOND_AGREEMENT,
	RECIPIENT_NOT_NAMED,
	OUT_OF_SCOPE,
	USED_UP,
	WITHDRAWN,
	EXPIRED,
	NOT_YET_VALID,
	SUPERSEDED,
	NOT_ACTIVE,
	PURPOSE_MISSING,
	NO_CONSENT,
)


# Disclosure grounds (Disclosure Request.ground)
WRITTEN_CONSENT = "Written Consent"
GOVERNMENT_REQUIREMENT = "Government Requirement"
SERIOUS_DANGER = "Serious Danger"
GROUNDS = (WRITTEN_CONSENT, GOVERNMENT_REQUIREMENT, SERIOUS_DANGER)

# The Code clause a decision rests on (an allowed release) or upholds (a refusal), in the
# Code's own terms (Personal Conduct 3). The adapter translates them.
CLAUSE_CONSENT = "PC3 rule 2: written consent of the client and every other person involved"
CLAUSE_GOVERNMENT = "PC3: required by a relevant government organisation"
CLAUSE_DANGER = "PC3 rule 2: serious danger, disclosed only to the regulator or a government body"
CLAUSE_NON_DISCLOSURE = (
	"PC3 rule 2: disclosed only with the written consent of the client and every other person"
	" involved, when a government organisation requires it, or on serious danger to the regulator"
	" or a government body"
)
CLAUSE_PUBLICITY = "PC3: never used in marketing, social media or presentations without written consent"
CLAUSE_AGREEMENT = "PC3 rule 3: the level of confidentiality agreed at the start holds for ever"
PUBLICITY_PURPOSES = frozenset({"Marketing", "Social Media", "Presentation"})
_GROUND_CLAUSE = {
	WRITTEN_CONSENT: CLAUSE_CONSENT,
	GOVERNMENT_REQUIREMENT: CLAUSE_GOVERNMENT,
	SERIOUS_DANGER: CLAUSE_DANGER,
}


def normalise(identifier: str | None) -> str:
	"""Recipients are compared case-insensitively, without surrounding blanks. A phone
	number (`tel:`) is compared without spaces, dashes, dots and brackets, 00 read as +."""
	value = (identifier or "").strip().lower()
	if value.startswith("tel:"):
		number = re.sub(r"[\s\-().]", "", value[4:])
		if number.startswith("00"):
			number = "+" + number[2:]
		value = "tel:" + number
	return value


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
	# a disclosure only: the records it names ((doctype, name); empty: not limited), the
	# uses left (None: not limited), its ground, and the consents it rests on (ground 1)
	records: frozenset[tuple[str, str]] = frozenset()
	uses_left: int | None = None
	ground: str = ""
	requires: frozenset[str] = frozenset()

	@property
	def clause(self) -> str:
		if self.kind == "disclosure":
			return _GROUND_CLAUSE.get(self.ground, CLAUSE_CONSENT)
		return CLAUSE_CONSENT

	@property
	def bounded_by_agreement(self) -> bool:
		"""Consents and disclosures on written consent stay within the agreement; the Code's
		own limits (a government requirement, serious danger) are not the client's to set."""
		return self.kind != "disclosure" or self.ground in ("", WRITTEN_CONSENT)

	def covers_recipient(self, recipient: frozenset[str] | None, unattended: bool = False) -> bool:
		if not self.recipients:
			return True
		if recipient is None:
			# a print or an export names no recipient: one a person makes under a disclosure
			# is made for the recipient the disclosure names (a consent naming recipients
			# cannot say where a print will go; an integration reading in bulk is nobody's)
			return self.kind == "disclosure" and not unattended
		if EVERYONE in recipient:
			return False
		return bool(self.recipients & recipient)

	def failure(
		self,
		purpose: str,
		recipient: frozenset[str] | None,
		now: datetime,
		records: frozenset[tuple[str, str]] = frozenset(),
		agreement: Agreement | None = None,
		counted: bool = False,
		unattended: bool = False,
	) -> str | None:
		"""None when this grant allows `purpose` to `recipient` at `now` for `records`, else
		the reason code. `counted`: the use was already counted (a decision taken again)."""
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
		if not self.covers_recipient(recipient, unattended):
			return RECIPIENT_NOT_NAMED
		if self.records and not (records and records <= self.records):
			return OUT_OF_SCOPE
		if self.uses_left is not None and self.uses_left <= 0 and not counted:
			return USED_UP
		if agreement is not None and self.bounded_by_agreement and not agreement.allows(purpose, recipient):
			return BEYOND_AGREEMENT
		return None


@dataclass(frozen=True)
class Agreement:
	"""The level of confidentiality agreed with the client at the start (rule 3): what may
	be released at all, and to whom (a sponsor, an employer, a supervisor). No consent can
	go beyond it without a new written agreement."""

	name: str
	purposes: frozenset[str]
	recipients: frozenset[str] = frozenset()  # empty: not limited to named recipients

	def allows(self, purpose: str, recipient: frozenset[str] | None) -> bool:
		if purpose not in self.purposes:
			return False
		if not self.recipients:
			return True
		if recipient is None or EVERYONE in recipient:
			return False
		return bool(self.recipients & recipient)


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
	# the Confidentiality Agreement in force for the client (None: none recorded)
	agreement: Agreement | None = None


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
	# the protected records released ((doctype, name)): a disclosure covers only those it names
	records: frozenset[tuple[str, str]] = frozenset()
	# the decision is taken again for a release already decided and counted (a mail at send
	# time): a disclosure's last use is not refused for having been used
	counted: bool = False
	# no person makes the release (an integration reading in bulk): it is not made for a
	# disclosure's recipient
	unattended: bool = False


@dataclass(frozen=True)
class Decision:
	allowed: bool
	code: str
	basis: tuple[str, ...] = ()
	client: tuple[str, str] | None = None  # the client the refusal is about
	recipient: str | None = None  # the recipient the refusal is about
	detail: str = ""  # e.g. the grant names whose failure explains the refusal
	# the Code clause the decision rests on (allowed by a grant) or upholds (refused)
	clause: str = ""
	# the disclosures among the basis, and those whose uses are limited (each release uses one)
	disclosures: tuple[str, ...] = ()
	counted_disclosures: tuple[str, ...] = ()

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
	clauses: list[str] = []
	limited: list[str] = []
	disclosed: list[str] = []
	no_new_access = False
	refusal_clause = CLAUSE_PUBLICITY if request.purpose in PUBLICITY_PURPOSES else CLAUSE_NON_DISCLOSURE
	for client in request.clients:
		for recipient in recipients:
			if recipient and request.has_access and recipient & request.has_access:
				no_new_access = True
				continue
			if recipient and request.service_to_client and client.self_ids and recipient & client.self_ids:
				continue
			if client.unknown:
				return Decision(
					False,
					UNKNOWN_CLIENT,
					client=client.key,
					recipient=_label(recipient),
					clause=refusal_clause,
				)
			grant, failure, failing = _best_grant(client, request, recipient)
			if grant is None:
				return Decision(
					False,
					failure,
					client=client.key,
					recipient=_label(recipient),
					detail=client.agreement.name
					if failure == BEYOND_AGREEMENT and client.agreement
					else ", ".join(failing),
					clause=CLAUSE_AGREEMENT if failure == BEYOND_AGREEMENT else refusal_clause,
				)
			if grant.name not in basis:
				basis.append(grant.name)
				if grant.clause not in clauses:
					clauses.append(grant.clause)
				if grant.kind == "disclosure":
					disclosed.append(grant.name)
					if grant.uses_left is not None:
						limited.append(grant.name)
	if not basis:
		return Decision(True, NO_NEW_ACCESS if no_new_access else TO_CLIENT)
	return Decision(
		True,
		GRANTED,
		basis=tuple(basis),
		clause="; ".join(clauses),
		disclosures=tuple(disclosed),
		counted_disclosures=tuple(limited),
	)


def _best_grant(
	client: Client, request: Request, recipient: frozenset[str] | None
) -> tuple[Grant | None, str, list[str]]:
	"""The first grant that allows the request for this client and recipient. Disclosures
	come first (the more specific authorisation names the release); a disclosure on written
	consent holds only while every consent it rests on holds too."""
	best = NO_CONSENT
	failing: list[str] = []
	by_name = {g.name: g for g in client.grants}
	ordered = sorted(client.grants, key=lambda g: g.kind != "disclosure")
	for grant in ordered:
		failure = grant.failure(
			request.purpose,
			recipient,
			request.now,
			request.records,
			client.agreement,
			request.counted,
			request.unattended,
		)
		if failure is None:
			for required in sorted(grant.requires):
				base = by_name.get(required)
				failure = (
					base.failure(request.purpose, recipient, request.now, agreement=client.agreement)
					if base is not None
					else NOT_ACTIVE
				)
				if failure is not None:
					break
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


def held_for_review(decision: Decision, sanction: str) -> Decision:
	"""A release by a practitioner under review is held whatever else allows it (a release
	that names no protected client is not theirs to hold)."""
	if decision.code == NOT_PROTECTED or not decision.allowed:
		return decision
	return Decision(False, UNDER_REVIEW, client=decision.client, detail=sanction)


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
