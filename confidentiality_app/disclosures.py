"""Disclosures: the Code's grounds made concrete, checkable and recorded.

A Disclosure Request names a client, what is disclosed (records and a plain description),
to whom, by which channels, and on which of the Code's grounds (rule 2):

1. **Written Consent**: a Client Consent of the client that covers every channel to this
   recipient, within the Confidentiality Agreement made at the start (rule 3), and the
   written consent of every other person or organisation the information involves;
2. **Government Requirement**: a government body in the Disclosure Authority register and
   its request reference; the information goes to that body;
3. **Serious Danger**: the compelling evidence recorded, a second Confidentiality Officer
   (not the requester) approves, and the recipient is the regulator or a government body in
   the register; any other recipient is refused. Whether the client is told, and why not,
   is recorded.

Approval makes it a grant the one decision point honours (`consents._load_disclosures`):
only its records, its channels, its recipient, its window, its number of uses. Each use is
logged with the disclosure as basis and the Code clause it rests on; a use outside the
scope is refused as if there were no disclosure. Completion writes to the client (the
letter), unless ground 3 recorded that telling them would increase the danger.

Every transition is logged (channel "Disclosure"); a refused approval is logged too, on the
log's own connection, and survives the rollback.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import add_days, getdate, now_datetime, today

from confidentiality_app import audit, clients, consents, facts, policy
from confidentiality_app.permissions import OFFICER, can_act_for_office

DOCTYPE = "Disclosure Request"
CHANNEL = "Disclosure"
# the egress channels a disclosure can open (the Consent Purposes of those channels)
CHANNELS = ("Email", "Print", "Export", "Share")
LETTER_PRINT_FORMAT = "Disclosure Letter"
LETTER_EMAIL_TEMPLATE = "Disclosure Letter"

GROUND_CLAUSE = {
	policy.WRITTEN_CONSENT: policy.CLAUSE_CONSENT,
	policy.GOVERNMENT_REQUIREMENT: policy.CLAUSE_GOVERNMENT,
	policy.SERIOUS_DANGER: policy.CLAUSE_DANGER,
}


class DisclosureRefused(frappe.ValidationError):
	pass


# --------------------------------------------------------------------------- what it names


def recipient_ids(doc) -> frozenset[str]:
	"""Every identifier that names the recipient (email, user id, the user's and the
	authority's email addresses)."""
	values = [doc.recipient_email, doc.recipient_user]
	if doc.recipient_user:
		values.append(frappe.db.get_value("User", doc.recipient_user, "email"))
	if doc.authority:
		values.append(frappe.db.get_value("Disclosure Authority", doc.authority, "email"))
	return policy.recipient_ids(*values)


def records_of(doc) -> list[tuple[str, str]]:
	return [(row.reference_doctype, row.reference_name) for row in doc.records]


def channels_of(doc) -> list[str]:
	return [row.channel for row in doc.channels]


def clause_of(doc) -> str:
	return GROUND_CLAUSE.get(doc.ground, policy.CLAUSE_NON_DISCLOSURE)


def _refuse(message: str, title: str | None = None):
	frappe.throw(message, DisclosureRefused, title=title or _("Disclosure Refused"))


# --------------------------------------------------------------------------- the grounds


def check_request(doc, approving: bool = False) -> None:
	"""Raise DisclosureRefused (a clear, translated reason) unless the request meets its
	ground. `approving`: also what must hold before approval (every involved party's
	written consent, a second officer on serious danger)."""
	if doc.ground not in policy.GROUNDS:
		_refuse(
			_("Choose the ground of the disclosure: {0}.").format(", ".join(_(g) for g in policy.GROUNDS))
		)
	identity = _check_client(doc)
	_check_records(doc, identity)
	_check_channels(doc)
	_check_window(doc)
	if not doc.client_told and doc.ground != policy.SERIOUS_DANGER:
		_refuse(
			_(
				"The client is always written to about a disclosure on the ground {0}; only on serious danger may the letter be withheld."
			).format(_(doc.ground))
		)
	if not doc.client_told and not (doc.not_told_reason or "").strip():
		_refuse(_("Record why the client is not told (telling them would increase the danger)."))
	if doc.ground == policy.WRITTEN_CONSENT:
		_check_recipient_named(doc)
		_check_written_consent(doc, identity)
		if approving:
			_check_involved_parties(doc)
	elif doc.ground == policy.GOVERNMENT_REQUIREMENT:
		_check_authority(doc, ("Government Body",))
		if not (doc.authority_reference or "").strip():
			_refuse(_("Record the government body's request reference."))
		if not ((doc.evidence or "").strip() or doc.evidence_file):
			_refuse(_("Record what the government body requires (its request, as text or a document)."))
	else:
		_check_authority(doc, ("Regulator", "Government Body"))
		if not (doc.evidence or "").strip():
			_refuse(
				_(
					"Record the compelling evidence of serious danger to the client or another: the Code allows a disclosure without consent only on it."
				)
			)


def _check_client(doc) -> list[tuple[str, str]]:
	kinds = clients.client_doctypes()
	if doc.party_type not in kinds:
		_refuse(
			_("{0} is not a client record type. A disclosure can be about: {1}.").format(
				frappe.bold(doc.party_type or _("(empty)")), ", ".join(sorted(kinds))
			)
		)
	if not doc.party or not frappe.db.exists(doc.party_type, doc.party):
		_refuse(_("Client {0} {1} does not exist.").format(_(doc.party_type), frappe.bold(doc.party)))
	if (
		not can_act_for_office()
		and not frappe.has_permission(doc.party_type, "read", doc.party)
		and not _investigates(doc.party_type, doc.party)
	):
		_refuse(
			_("You can request a disclosure only about clients you work with ({0} {1} is not yours).").format(
				_(doc.party_type), doc.party
			),
			title=_("Not Permitted"),
		)
	return clients.identity((doc.party_type, doc.party))


def _investigates(party_type: str, party: str) -> bool:
	"""An Ombudsman Officer refers the client of a case they investigate (the referral of a case
	is itself a disclosure, confidentiality_app.ombudsman.refer)."""
	from confidentiality_app.permissions import OMBUDSMAN

	return OMBUDSMAN in frappe.get_roles() and bool(
		frappe.db.exists("Ombudsman Case", {"client_type": party_type, "client": party})
	)


def _check_records(doc, identity) -> None:
	same = set(map(tuple, identity))
	seen = set()
	for row in doc.records:
		record = (row.reference_doctype, row.reference_name)
		if record in seen:
			_refuse(_("Record {0} {1} is listed twice.").format(_(record[0]), record[1]))
		seen.add(record)
		if not row.reference_doctype or not row.reference_name or not frappe.db.exists(*record):
			_refuse(
				_("Row {0}: record {1} {2} does not exist.").format(
					row.idx, _(record[0] or ""), record[1] or ""
				)
			)
		if not clients.is_protected(record[0]):
			_refuse(
				_(
					"Row {0}: {1} records hold no client information under the confidentiality rules; they need no disclosure."
				).format(row.idx, _(record[0]))
			)
		named = clients.clients_of(*record)
		others = [p for p in named if tuple(p) not in same]
		if not named or others:
			_refuse(
				_(
					"Row {0}: {1} {2} is not a record of client {3}: a disclosure can only release its own client's information."
				).format(row.idx, _(record[0]), record[1], clients.title_of((doc.party_type, doc.party)))
			)


def _check_channels(doc) -> None:
	channels = channels_of(doc)
	if not channels:
		_refuse(_("Choose how the information may leave: {0}.").format(", ".join(_(c) for c in CHANNELS)))
	if len(set(channels)) != len(channels):
		_refuse(_("A channel is listed twice."))
	for channel in channels:
		if channel not in CHANNELS:
			_refuse(
				_("{0} cannot be a disclosure's channel; choose among {1}.").format(
					frappe.bold(channel), ", ".join(_(c) for c in CHANNELS)
				)
			)
	if "Share" in channels and not doc.recipient_user:
		_refuse(_("A disclosure by Share needs the recipient's user on this site."))
	if "Email" in channels and not (doc.recipient_email or doc.recipient_user or doc.authority):
		_refuse(_("A disclosure by Email needs the recipient's email address."))


def _check_window(doc) -> None:
	if doc.valid_until and getdate(doc.valid_until) < getdate(today()):
		_refuse(_("Valid Until {0} has passed.").format(frappe.format(doc.valid_until, "Date")))
	if doc.max_uses is not None and int(doc.max_uses) < 0:
		_refuse(_("Uses Allowed cannot be negative (0 means any number within the window)."))


def _check_recipient_named(doc) -> None:
	if not recipient_ids(doc):
		_refuse(_("Name the recipient by email address or user: the client's consent must name them."))


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
			_refuse(
				_("Consent {0} is not a consent of client {1}.").format(
					doc.client_consent, clients.title_of((doc.party_type, doc.party))
				)
			)
	for grant in reversed(grants):
		if all(grant.failure(c, recipient, now, agreement=agreement) is None for c in channels_of(doc)):
			doc.client_consent = grant.name
			return
	# why not: the decision point's own words for the first channel not covered
	from confidentiality_app import gate

	for channel in channels_of(doc):
		client = policy.Client(key=(doc.party_type, doc.party), grants=tuple(grants), agreement=agreement)
		decision = policy.decide(
			policy.Request(purpose=channel, clients=(client,), recipients=(recipient,), now=now)
		)
		if not decision.allowed:
			_refuse(
				_(
					"The ground of written consent needs a consent of the client covering {0} to this recipient: {1}"
				).format(_(channel), gate.explain(decision, doc.party_type, doc.party, channel, channel)),
				title=_("Written Consent Missing"),
			)
	_refuse(
		_("No single consent of the client covers every channel of this disclosure to this recipient."),
		title=_("Written Consent Missing"),
	)


def _check_involved_parties(doc) -> None:
	for row in doc.involved_parties:
		if not row.evidence_file or not frappe.db.exists("File", {"file_url": row.evidence_file}):
			_refuse(
				_(
					"{0} is involved in the information and has not agreed in writing: attach their signed consent before approval (the Code requires the written consent of every other person or organisation involved)."
				).format(frappe.bold(row.party_name)),
				title=_("Written Consent Missing"),
			)
		if not row.consent_given_on:
			_refuse(_("Record when {0} gave their written consent.").format(frappe.bold(row.party_name)))


def _check_authority(doc, types: tuple[str, ...]) -> None:
	if not doc.authority:
		_refuse(
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
		_refuse(
			_(
				"{0} is not a {1} in the Disclosure Authority register: on the ground {2} the information may go only to one."
			).format(frappe.bold(doc.authority), _(" or ").join(_(t) for t in types), _(doc.ground)),
			title=_("Recipient Not An Authority"),
		)
	if doc.recipient_user:
		_refuse(
			_("On the ground {0} the recipient is the authority itself, not a user of this site.").format(
				_(doc.ground)
			),
			title=_("Recipient Not An Authority"),
		)
	if (doc.recipient_email or "Email" in channels_of(doc)) and not authority.email:
		_refuse(
			_(
				"The Disclosure Authority register holds no email address for {0}: a Confidentiality Officer records it there first, so that the address the information goes to is the authority's."
			).format(authority.authority_name),
			title=_("Recipient Not An Authority"),
		)
	if doc.recipient_email and policy.normalise(doc.recipient_email) != policy.normalise(authority.email):
		_refuse(
			_(
				"{0} is not the address of {1} in the register ({2}): on the ground {3} any other recipient is refused."
			).format(doc.recipient_email, authority.authority_name, authority.email, _(doc.ground)),
			title=_("Recipient Not An Authority"),
		)
	doc.recipient_email = doc.recipient_email or authority.email
	doc.recipient_name = doc.recipient_name or authority.authority_name


def _check_approver(doc, user: str) -> None:
	if OFFICER not in frappe.get_roles(user):
		_refuse(_("Only a Confidentiality Officer can approve a disclosure."), title=_("Not Permitted"))
	if doc.ground == policy.SERIOUS_DANGER and user in (doc.requested_by, doc.owner):
		_refuse(
			_(
				"A disclosure on serious danger needs a second Confidentiality Officer: {0} requested it and cannot approve it."
			).format(user),
			title=_("Second Officer Needed"),
		)


# --------------------------------------------------------------------------- transitions


def approve(doc) -> None:
	user = frappe.session.user
	if doc.docstatus != 1 or doc.status != "Pending Approval":
		_refuse(
			_("Only a request pending approval can be approved; {0} is {1}.").format(doc.name, _(doc.status))
		)
	try:
		_check_approver(doc, user)
		check_request(doc, approving=True)
	except DisclosureRefused as e:
		_log_attempt(doc, "Approve Disclosure", str(e))
		raise
	until = doc.valid_until or add_days(today(), consents.DEFAULT_DISCLOSURE_DAYS)
	_transition(
		doc,
		{
			"status": "Approved",
			"approved_by": user,
			"approved_on": now_datetime(),
			"valid_until": until,
			"client_consent": doc.client_consent,
			"recipient_email": doc.recipient_email,
			"recipient_name": doc.recipient_name,
		},
	)
	facts.bump()
	_log(
		doc,
		"Approve Disclosure",
		_(
			"Disclosure to {0} approved on the ground {1} ({2}): {3}; channels {4}; until {5}; uses {6}."
		).format(
			doc.recipient_name,
			_(doc.ground),
			_(clause_of(doc)),
			", ".join(f"{d} {n}" for d, n in records_of(doc)),
			", ".join(channels_of(doc)),
			until,
			doc.max_uses or _("any"),
		),
	)
	notify([doc.requested_by], doc, _("Disclosure {0} approved").format(doc.name))
	if doc.ground == policy.SERIOUS_DANGER:
		notify(officers(), doc, _("Serious danger disclosure {0} approved").format(doc.name))


def refuse(doc, reason: str) -> None:
	if not (reason or "").strip():
		_refuse(_("Give the reason the disclosure is refused."))
	if OFFICER not in frappe.get_roles():
		_refuse(_("Only a Confidentiality Officer can refuse a disclosure."), title=_("Not Permitted"))
	if doc.docstatus != 1 or doc.status != "Pending Approval":
		_refuse(
			_("Only a request pending approval can be refused; {0} is {1}.").format(doc.name, _(doc.status))
		)
	_transition(
		doc, {"status": "Refused", "refused_by": frappe.session.user, "refusal_reason": reason.strip()}
	)
	_log(doc, "Refuse Disclosure", _("Disclosure refused: {0}").format(reason.strip()), decision="Deny")
	notify([doc.requested_by], doc, _("Disclosure {0} refused").format(doc.name))


def complete(doc) -> None:
	"""The disclosure was made: it authorises nothing more, and the client is written to
	(unless ground 3 recorded that telling them would increase the danger)."""
	if doc.docstatus != 1 or doc.status != "Approved":
		_refuse(
			_("Only an approved disclosure can be completed; {0} is {1}.").format(doc.name, _(doc.status))
		)
	if OFFICER not in frappe.get_roles() and frappe.session.user != doc.requested_by:
		_refuse(
			_("Only the requester or a Confidentiality Officer can complete a disclosure."),
			title=_("Not Permitted"),
		)
	_transition(doc, {"status": "Completed", "completed_on": now_datetime()})
	facts.bump()
	if doc.client_told:
		letter = send_letter(doc)
	else:
		letter = _("No letter: {0}").format(doc.not_told_reason)
		_transition(doc, {"letter_note": letter})
	_log(doc, "Complete Disclosure", _("Disclosure completed. {0}").format(letter))


def revoked(doc) -> None:
	"""on_cancel: the disclosure authorises nothing from now on."""
	doc.db_set("status", "Revoked")
	facts.bump()
	_log(
		doc, "Revoke Disclosure", _("Disclosure revoked: it authorises nothing from now on."), decision="Deny"
	)


def _transition(doc, values: dict) -> None:
	"""A disclosure changes after submission only here (db_set: its controller refuses any
	other update after submit, whatever the entry point)."""
	doc.db_set(values, notify=True)
	touched().add(doc.name)


# --------------------------------------------------------------------------- uses


def touched() -> set[str]:
	"""The disclosures this transaction wrote: a use of one is counted in this transaction
	(the log's connection would wait for this transaction's own row lock)."""
	names = getattr(frappe.local, "confidentiality_disclosures_touched", None)
	if names is None:
		names = frappe.local.confidentiality_disclosures_touched = set()
		frappe.db.after_commit.add(_forget_touched)
		frappe.db.after_rollback.add(_forget_touched)
	return names


def _forget_touched():
	frappe.local.confidentiality_disclosures_touched = None


_USE = f"""UPDATE `tab{DOCTYPE}` SET `uses` = `uses` + 1
	WHERE `name` = %s AND `docstatus` = 1 AND `status` = 'Approved'
	AND (`max_uses` = 0 OR `uses` < `max_uses`)"""


def use(decision: policy.Decision) -> policy.Decision:
	"""Count one use of each limited disclosure a release rests on, atomically: committed at
	once on the log's own connection (a read-only request, a print, never commits), so two
	requests cannot both take the last use. A disclosure used up in between refuses the
	release (fail closed)."""
	for name in decision.counted_disclosures:
		try:
			if name in touched():
				frappe.db.sql(_USE, (name,))
				counted = frappe.db._cursor.rowcount
			else:
				db = audit._connection()
				if db._conn is None:
					db.connect()
				db._cursor.execute(_USE, (name,))
				counted = db._cursor.rowcount
				audit._commit_if_open(db)
		except Exception as e:
			frappe.log_error(title="Confidentiality: disclosure use not counted")
			return policy.unavailable(f"disclosure {name}: {type(e).__name__}: {e}")
		if counted != 1:
			return policy.Decision(
				False,
				policy.USED_UP,
				client=decision.client,
				detail=name,
				clause=policy.CLAUSE_NON_DISCLOSURE,
			)
		facts._incr()  # its uses left changed: decisions cached elsewhere are stale
	return decision


# --------------------------------------------------------------------------- the letter


def client_email(doc) -> str | None:
	"""The client's own email address: on the client record first, else any on the records
	of the same person."""
	meta = frappe.get_meta(doc.party_type)
	for field in clients._EMAIL_FIELDS:
		if meta.has_field(field):
			value = frappe.db.get_value(doc.party_type, doc.party, field)
			if value:
				return value
	if doc.party_type == "User":
		return frappe.db.get_value("User", doc.party, "email")
	found = sorted(
		a for a in clients.own_addresses(clients.identity((doc.party_type, doc.party))) if "@" in a
	)
	return found[0] if found else None


def send_letter(doc) -> str:
	"""The letter to the client: rendered from the office's print format, its PDF stored on
	the disclosure, and emailed to the client (service mail: it goes to the client
	themself). Returns what happened, for the log."""
	from frappe.utils.file_manager import save_file

	settings = clients.settings()
	print_format = settings.get("disclosure_letter_print_format") or LETTER_PRINT_FORMAT
	template = settings.get("disclosure_letter_email_template") or LETTER_EMAIL_TEMPLATE
	attachment = frappe.attach_print(
		DOCTYPE, doc.name, file_name=_("Disclosure Letter {0}").format(doc.name), print_format=print_format
	)
	content = attachment["fcontent"]
	if not attachment["fname"].endswith(".pdf"):
		from frappe.utils.pdf import get_pdf

		content = get_pdf(content)
		attachment = {"fname": attachment["fname"].rsplit(".", 1)[0] + ".pdf", "fcontent": content}
	stored = save_file(attachment["fname"], content, DOCTYPE, doc.name, is_private=1)
	address = client_email(doc)
	if not address:
		note = _(
			"The letter is stored on the disclosure; the client has no email address: print and post it."
		)
		_transition(doc, {"letter_file": stored.file_url, "letter_note": note})
		return note

	context = {"doc": doc, "client_name": doc.party_name, "disclosures_link": client_page_link(doc)}
	if frappe.db.exists("Email Template", template):
		email = frappe.get_doc("Email Template", template)
		subject = frappe.render_template(email.subject, context)
		message = frappe.render_template(email.response_html if email.use_html else email.response, context)
	else:
		subject = _("What was disclosed about you: {0}").format(doc.name)
		message = _("Please find attached our letter about a disclosure of your information.")
	before = set(
		frappe.get_all(
			"Email Queue", {"reference_doctype": DOCTYPE, "reference_name": doc.name}, pluck="name"
		)
	)
	frappe.sendmail(
		recipients=[address],
		subject=subject,
		message=message,
		attachments=[attachment],
		reference_doctype=DOCTYPE,
		reference_name=doc.name,
	)
	queued = [
		q
		for q in frappe.get_all(
			"Email Queue",
			{"reference_doctype": DOCTYPE, "reference_name": doc.name},
			["name", "status"],
			order_by="creation desc",
		)
		if q.name not in before
	]
	sent = bool(queued) and queued[0].status not in ("Error", "Held")
	note = (
		_("The letter was queued to the client at {0}.").format(address)
		if sent
		else _("The letter to the client at {0} could not be queued; it is stored on the disclosure.").format(
			address
		)
	)
	_transition(
		doc,
		{
			"letter_file": stored.file_url,
			"letter_sent": 1 if sent else 0,
			"letter_email": queued[0].name if queued else None,
			"letter_note": note,
		},
	)
	return note


def client_page_link(doc) -> str:
	"""The signed, expiring link to the page where the client sees what was disclosed about
	them (www/client_disclosures)."""
	from confidentiality_app.www import client_disclosures

	return client_disclosures.signed_link(doc.party_type, doc.party)


# --------------------------------------------------------------------------- who is told


def officers(exclude: tuple[str, ...] = ()) -> list[str]:
	return [
		u
		for u in frappe.get_all(
			"Has Role", {"role": OFFICER, "parenttype": "User"}, pluck="parent", distinct=True
		)
		if u not in exclude
		and u not in ("Administrator", "Guest")
		and frappe.db.get_value("User", u, "enabled")
	]


def notify(users, doc, subject: str) -> None:
	"""A desk notification (bell, and mail per the user's settings) about the disclosure."""
	from frappe.desk.doctype.notification_log.notification_log import enqueue_create_notification

	users = [u for u in dict.fromkeys(users) if u and u not in ("Guest",)]
	if not users:
		return
	enqueue_create_notification(
		users,
		{
			"type": "Alert",
			"document_type": DOCTYPE,
			"document_name": doc.name,
			"subject": subject,
			"from_user": frappe.session.user,
		},
	)


# --------------------------------------------------------------------------- the log


def _entry(doc, action: str, reason: str, decision: str = "Allow", outcome: str = "Recorded") -> audit.Entry:
	return audit.Entry(
		action=action,
		channel=CHANNEL,
		decision=decision,
		outcome=outcome,
		reference_doctype=DOCTYPE,
		reference_name=doc.name,
		client_doctype=doc.party_type,
		client_name=doc.party,
		recipient=doc.recipient_email or doc.recipient_user or doc.recipient_name,
		reason=reason,
		basis=f"{doc.name} ({_(clause_of(doc))})" if doc.ground else doc.name,
	)


def _log(doc, action: str, reason: str, decision: str = "Allow") -> None:
	"""A transition: committed with it."""
	audit.append_on_commit(_entry(doc, action, reason, decision))


def _log_attempt(doc, action: str, reason: str) -> None:
	"""A refused transition: on the log's own connection, it survives the rollback."""
	try:
		audit.append(_entry(doc, action, reason, decision="Deny", outcome="Blocked"))
	except audit.LogUnavailable:
		frappe.log_error(title="Confidentiality: log unavailable")


def log_request(doc) -> None:
	_log(
		doc,
		"Request Disclosure",
		_("Disclosure to {0} requested on the ground {1}: {2}").format(
			doc.recipient_name, _(doc.ground), doc.description
		),
	)
