"""The Code's three grounds (rule 2), checked on a Disclosure Request before it is submitted and
again when it is approved: written consent (within the Confidentiality Agreement, rule 3, and of
every other party involved), a government body's requirement, serious danger (to the regulator
or a government body only, approved by a second officer)."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import getdate, now_datetime, today

from confidentiality_app.decision import clients, consents, explain
from confidentiality_app.decision.permissions import OFFICER, can_act_for_office
from confidentiality_app.disclosures.request import CHANNELS, channels_of, raise_refused, recipient_ids
from confidentiality_app.rules import policy

# --------------------------------------------------------------------------- the grounds


def check_request(doc, approving: bool = False) -> None:
	"""Raise DisclosureRefused (a clear, translated reason) unless the request meets its
	ground. `approving`: also what must hold before approval (every involved party's
	written consent, a second officer on serious danger)."""
	if doc.ground not in policy.GROUNDS:
		raise_refused(
			_("Choose the ground of the disclosure: {0}.").format(", ".join(_(g) for g in policy.GROUNDS))
		)
	identity = _check_client(doc)
	_check_records(doc, identity)
	_check_channels(doc)
	_check_window(doc)
	if not doc.client_told and doc.ground != policy.SERIOUS_DANGER:
		raise_refused(
			_(
				"The client is always written to about a disclosure on the ground {0}; only on serious danger may the letter be withheld."
			).format(_(doc.ground))
		)
	if not doc.client_told and not (doc.not_told_reason or "").strip():
		raise_refused(_("Record why the client is not told (telling them would increase the danger)."))
	if doc.ground == policy.WRITTEN_CONSENT:
		_check_recipient_named(doc)
		_check_written_consent(doc, identity)
		if approving:
			_check_involved_parties(doc)
	elif doc.ground == policy.GOVERNMENT_REQUIREMENT:
		_check_authority(doc, ("Government Body",))
		if not (doc.authority_reference or "").strip():
			raise_refused(_("Record the government body's request reference."))
		if not ((doc.evidence or "").strip() or doc.evidence_file):
			raise_refused(_("Record what the government body requires (its request, as text or a document)."))
	else:
		_check_authority(doc, ("Regulator", "Government Body"))
		if not (doc.evidence or "").strip():
			raise_refused(
				_(
					"Record the compelling evidence of serious danger to the client or another: the Code allows a disclosure without consent only on it."
				)
			)


def _check_client(doc) -> list[tuple[str, str]]:
	kinds = clients.client_doctypes()
	if doc.party_type not in kinds:
		raise_refused(
			_("{0} is not a client record type. A disclosure can be about: {1}.").format(
				frappe.bold(doc.party_type or _("(empty)")), ", ".join(sorted(kinds))
			)
		)
	if not doc.party or not frappe.db.exists(doc.party_type, doc.party):
		raise_refused(_("Client {0} {1} does not exist.").format(_(doc.party_type), frappe.bold(doc.party)))
	if (
		not can_act_for_office()
		and not frappe.has_permission(doc.party_type, "read", doc.party)
		and not _investigates(doc.party_type, doc.party)
	):
		raise_refused(
			_("You can request a disclosure only about clients you work with ({0} {1} is not yours).").format(
				_(doc.party_type), doc.party
			),
			title=_("Not Permitted"),
		)
	return clients.identity((doc.party_type, doc.party))


def _investigates(party_type: str, party: str) -> bool:
	"""An Ombudsman Officer refers the client of a case they investigate (the referral of a case
	is itself a disclosure, confidentiality_app.ombudsman.referral.refer)."""
	from confidentiality_app.decision.permissions import OMBUDSMAN

	return OMBUDSMAN in frappe.get_roles() and bool(
		frappe.db.exists("Ombudsman Case", {"client_type": party_type, "client": party})
	)


def _check_records(doc, identity) -> None:
	same = set(map(tuple, identity))
	seen = set()
	for row in doc.records:
		record = (row.reference_doctype, row.reference_name)
		if record in seen:
			raise_refused(_("Record {0} {1} is listed twice.").format(_(record[0]), record[1]))
		seen.add(record)
		if not row.reference_doctype or not row.reference_name or not frappe.db.exists(*record):
			raise_refused(
				_("Row {0}: record {1} {2} does not exist.").format(
					row.idx, _(record[0] or ""), record[1] or ""
				)
			)
		if not clients.is_protected(record[0]):
			raise_refused(
				_(
					"Row {0}: {1} records hold no client information under the confidentiality rules; they need no disclosure."
				).format(row.idx, _(record[0]))
			)
		named = clients.clients_of(*record)
		others = [p for p in named if tuple(p) not in same]
		if not named or others:
			raise_refused(
				_(
					"Row {0}: {1} {2} is not a record of client {3}: a disclosure can only release its own client's information."
				).format(row.idx, _(record[0]), record[1], clients.title_of((doc.party_type, doc.party)))
			)


def _check_channels(doc) -> None:
	channels = channels_of(doc)
	if not channels:
		raise_refused(
			_("Choose how the information may leave: {0}.").format(", ".join(_(c) for c in CHANNELS))
		)
	if len(set(channels)) != len(channels):
		raise_refused(_("A channel is listed twice."))
	for channel in channels:
		if channel not in CHANNELS:
			raise_refused(
				_("{0} cannot be a disclosure's channel; choose among {1}.").format(
					frappe.bold(channel), ", ".join(_(c) for c in CHANNELS)
				)
			)
	if "Share" in channels and not doc.recipient_user:
		raise_refused(_("A disclosure by Share needs the recipient's user on this site."))
	if "Email" in channels and not (doc.recipient_email or doc.recipient_user or doc.authority):
		raise_refused(_("A disclosure by Email needs the recipient's email address."))


def _check_window(doc) -> None:
	if doc.valid_until and getdate(doc.valid_until) < getdate(today()):
		raise_refused(_("Valid Until {0} has passed.").format(frappe.format(doc.valid_until, "Date")))
	if doc.max_uses is not None and int(doc.max_uses) < 0:
		raise_refused(_("Uses Allowed cannot be negative (0 means any number within the window)."))


def _check_recipient_named(doc) -> None:
	if not recipient_ids(doc):
		raise_refused(_("Name the recipient by email address or user: the client's consent must name them."))


def _check_written_consent(doc, identity) -> None:
	"""A consent of the client covers every channel to this recipient now, within the
	Confidentiality Agreement: the newest such consent is recorded as the basis."""
	recipient = recipient_ids(doc)
	grants = [g for g in consents.grants_for(identity) if g.kind == "consent"]
	agreement = consents.agreement_for(identity)
	now = now_datetime()
	if doc.client_consent:
		grants = [g for g in grants if g.name == doc.client_consent]
		if not grants:
			raise_refused(
				_("Consent {0} is not a consent of client {1}.").format(
					doc.client_consent, clients.title_of((doc.party_type, doc.party))
				)
			)
	for grant in reversed(grants):
		if all(grant.failure(c, recipient, now, agreement=agreement) is None for c in channels_of(doc)):
			doc.client_consent = grant.name
			return
	# why not: the decision point's own words for the first channel not covered

	for channel in channels_of(doc):
		client = policy.Client(key=(doc.party_type, doc.party), grants=tuple(grants), agreement=agreement)
		decision = policy.decide(
			policy.Request(purpose=channel, clients=(client,), recipients=(recipient,), now=now)
		)
		if not decision.allowed:
			raise_refused(
				_(
					"The ground of written consent needs a consent of the client covering {0} to this recipient: {1}"
				).format(_(channel), explain.explain(decision, doc.party_type, doc.party, channel, channel)),
				title=_("Written Consent Missing"),
			)
	raise_refused(
		_("No single consent of the client covers every channel of this disclosure to this recipient."),
		title=_("Written Consent Missing"),
	)


def _check_involved_parties(doc) -> None:
	for row in doc.involved_parties:
		if not row.evidence_file or not frappe.db.exists("File", {"file_url": row.evidence_file}):
			raise_refused(
				_(
					"{0} is involved in the information and has not agreed in writing: attach their signed consent before approval (the Code requires the written consent of every other person or organisation involved)."
				).format(frappe.bold(row.party_name)),
				title=_("Written Consent Missing"),
			)
		if not row.consent_given_on:
			raise_refused(
				_("Record when {0} gave their written consent.").format(frappe.bold(row.party_name))
			)


def _check_authority(doc, types: tuple[str, ...]) -> None:
	if not doc.authority:
		raise_refused(
			_(
				"Choose the recipient from the Disclosure Authority register: on the ground {0} the information may go only to {1}."
			).format(_(doc.ground), _(" or ").join(_(t) for t in types)),
			title=_("Recipient Not An Authority"),
		)
	authority = frappe.db.get_value(
		"Disclosure Authority",
		doc.authority,
		["authority_name", "authority_type", "disabled", "email"],
		as_dict=True,
	)
	if not authority or authority.disabled or authority.authority_type not in types:
		raise_refused(
			_(
				"{0} is not a {1} in the Disclosure Authority register: on the ground {2} the information may go only to one."
			).format(frappe.bold(doc.authority), _(" or ").join(_(t) for t in types), _(doc.ground)),
			title=_("Recipient Not An Authority"),
		)
	if doc.recipient_user:
		raise_refused(
			_("On the ground {0} the recipient is the authority itself, not a user of this site.").format(
				_(doc.ground)
			),
			title=_("Recipient Not An Authority"),
		)
	if (doc.recipient_email or "Email" in channels_of(doc)) and not authority.email:
		raise_refused(
			_(
				"The Disclosure Authority register holds no email address for {0}: a Confidentiality Officer records it there first, so that the address the information goes to is the authority's."
			).format(authority.authority_name),
			title=_("Recipient Not An Authority"),
		)
	if doc.recipient_email and policy.normalise(doc.recipient_email) != policy.normalise(authority.email):
		raise_refused(
			_(
				"{0} is not the address of {1} in the register ({2}): on the ground {3} any other recipient is refused."
			).format(doc.recipient_email, authority.authority_name, authority.email, _(doc.ground)),
			title=_("Recipient Not An Authority"),
		)
	doc.recipient_email = doc.recipient_email or authority.email
	doc.recipient_name = doc.recipient_name or authority.authority_name


def _check_approver(doc, user: str) -> None:
	if OFFICER not in frappe.get_roles(user):
		raise_refused(_("Only a Confidentiality Officer can approve a disclosure."), title=_("Not Permitted"))
	if doc.ground == policy.SERIOUS_DANGER and user in (doc.requested_by, doc.owner):
		raise_refused(
			_(
				"A disclosure on serious danger needs a second Confidentiality Officer: {0} requested it and cannot approve it."
			).format(user),
			title=_("Second Officer Needed"),
		)
