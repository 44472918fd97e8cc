"""Email and marketing mail: decided when queued and again when sent; refused mail is held.

Every mail path of Frappe v15 ends in an Email Queue row (`frappe.sendmail` ->
`QueueBuilder.process` -> `EmailQueue.new` -> insert): the form composer, Notifications,
Auto Repeat, Workflow Action and Notification Log emails, Document Follow digests, Event
invitations, portal invites, newsletters, ERPNext Email Campaigns, background and scheduler
jobs (which run as Administrator: not exempt). One method talks SMTP: `EmailQueue.send`.

* **Queue time** (`queued`, doc_events["Email Queue"]["before_validate"], which runs even
  with flags.ignore_validate): work out what the mail is about (`describe`) and decide
  every recipient (To, CC and BCC). The form composer is refused outright (the user sees
  why and the dialog keeps what they wrote); any other path is **held**: refused
  recipients go into a row that is never sent and a Held Email records it.
* **Send time** (`cleared_to_send`, from `GatedEmailQueue.send`, the Email Queue class):
  the last decision, for every recipient not yet sent to. A consent withdrawn, expired or
  superseded since queueing holds the mail there. A retried row is decided again here.
* **Consent lost** (`hold_pending`, hook `confidentiality_consent_lost`): the pending mail
  of the client is decided again and held at once.

A held row has status "Held", which `frappe.email.queue.flush` never picks and
`EmailQueue.can_send_now` refuses: it is not sent, not deleted, not retried. Only
`release` (decided again, then sent once) or `discard` (kept for the record) end it.

What a mail is about: its reference record, the records of the files it attaches, and the
clients whose addresses it is sent to or names in its subject or body (mail composed from
the inbox with no reference). Addresses are matched normalised, set-based. Marketing
(reference Newsletter, Email Campaign, Email Group) needs purpose Marketing even to the
client themself; each recipient is decided on their own records.
"""

from __future__ import annotations

import binascii
import email as email_lib
import hashlib
import json
import re
from dataclasses import dataclass, field
from email import policy as email_policy

import frappe
from frappe import _
from frappe.email.doctype.email_queue.email_queue import EmailQueue
from frappe.email.doctype.notification.notification import Notification
from frappe.utils import now_datetime

from confidentiality_app import clients, gate, policy
from confidentiality_app.confidentiality.doctype.held_email.held_email import WRITER_FLAG
from confidentiality_app.permissions import can_read_without_share

PURPOSE = "Email"
MARKETING = "Marketing"
MARKETING_DOCTYPES = frozenset({"Newsletter", "Email Campaign", "Email Group"})
HELD = "Held"
STAMP = "confidentiality_stamp"  # Custom Field on Email Queue (install.py)
COMPOSER = "frappe.core.doctype.communication.email.make"
PENDING = ("Not Sent", "Partially Sent", "Error", "Sending")
_DECIDED = "confidentiality_decided"
_HOLD = "confidentiality_hold"
_ADDRESS = clients.ADDRESS
_ENVELOPE_HEADERS = re.compile(
	r"^(?:From|Sender|Reply-To|Return-Path|To|Cc|Bcc|Message-Id|In-Reply-To|References|"
	r"Disposition-Notification-To|X-[A-Za-z0-9-]+):[^\n]*(?:\n[ \t][^\n]*)*\n?",
	re.I | re.M,
)
_BASE64_TEXT = re.compile(
	r"Content-Type:\s*text/[^\n]*\n(?:[ \t][^\n]*\n|[^\n:]+:[^\n]*\n)*?Content-Transfer-Encoding:\s*base64",
	re.I,
)


# ---------------------------------------------------------------- what a mail is about
@dataclass
class Subject:
	purpose: str
	reference: tuple[str, str] | None
	records: list[tuple[str, str]] = field(default_factory=list)  # protected records carried
	by_address: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # address -> clients
	digest: str = ""  # of the content decided on (`content_digest`)
	# a site notification about the record to its user (Notification Log email): a user who
	# can open the record, through roles or a share that was itself decided, is inside
	notice: bool = False
	# recipients that were desk users when the mail was queued: only they are looked up
	# again when it is sent (anyone else is outside, which a later change cannot widen)
	colleagues: list[str] = field(default_factory=list)

	@property
	def empty(self) -> bool:
		return not self.records and not self.by_address

	def encode(self) -> str:
		return json.dumps(
			{
				"p": self.purpose,
				"r": list(self.reference) if self.reference else None,
				"d": [list(r) for r in self.records],
				"a": {a: [list(p) for p in parties] for a, parties in sorted(self.by_address.items())},
				"h": self.digest,
				"n": int(self.notice),
				"c": sorted(self.colleagues),
			},
			separators=(",", ":"),
		)

	@classmethod
	def decode(cls, raw: str | None) -> Subject | None:
		if not raw:
			return None
		try:
			data = json.loads(raw)
			return cls(
				data["p"],
				tuple(data["r"]) if data.get("r") else None,
				[tuple(r) for r in data.get("d") or []],
				{a: [tuple(p) for p in parties] for a, parties in (data.get("a") or {}).items()},
				data.get("h") or "",
				bool(data.get("n")),
				list(data.get("c") or []),
			)
		except (ValueError, KeyError, TypeError):
			return None  # unreadable: decided afresh, as an unstamped row


def content_digest(queue) -> str:
	"""What a decision about `queue` rested on: its reference, thread, attachments and
	message. A row changed after its decision (by any means) no longer matches its stamp
	and is described and decided afresh when sent."""
	h = hashlib.sha256()
	for value in (
		queue.reference_doctype,
		queue.reference_name,
		queue.communication,
		queue.attachments,
		queue.message,
	):
		h.update((value or "").encode("utf-8", "surrogatepass"))
		h.update(b"\x00")
	return h.hexdigest()


def stamp_of(queue) -> Subject | None:
	"""The decision stamp of `queue`, if it still matches the row's content."""
	subject = Subject.decode(queue.get(STAMP))
	if subject is None or subject.digest != content_digest(queue):
		return None
	return subject


def purpose_of(reference_doctype: str | None) -> str:
	return MARKETING if reference_doctype in MARKETING_DOCTYPES else PURPOSE


def printed_for_mail(doctype: str, name: str) -> None:
	"""A print rendered by `frappe.attach_print` (Auto Repeat, Workflow Action, Notification,
	custom code): the PDF is a mail's attachment, and the mails queued after it in this
	request or job carry the record (see `describe`)."""
	pending = getattr(frappe.local, "confidentiality_printed", None)
	if pending is None:
		pending = frappe.local.confidentiality_printed = []
	if (doctype, name) not in pending:
		pending.append((doctype, name))


def describe(queue, new: bool = False) -> Subject:
	"""What `queue` (an Email Queue row) is about, from the database and its message.
	`new` (queue time): also the records whose prints `frappe.attach_print` rendered since
	the last mail queued in this request or job (the rendered PDF carries no name in the
	row). Frappe's own callers (Auto Repeat, Workflow Action, Notification) also name the
	record as the mail's reference, so their later mails are about it too."""
	reference = (
		(queue.reference_doctype, queue.reference_name)
		if queue.reference_doctype and queue.reference_name
		else None
	)
	subject = Subject(purpose_of(queue.reference_doctype), reference, digest=content_digest(queue))
	carried = [reference] if reference else []
	if queue.communication:
		comm = frappe.db.get_value(
			"Communication", queue.communication, ["reference_doctype", "reference_name"], as_dict=True
		)
		if comm and comm.reference_doctype and comm.reference_name:
			carried.append((comm.reference_doctype, comm.reference_name))
	carried += _attached_records(queue.attachments)
	pending = getattr(frappe.local, "confidentiality_printed", None) if new else None
	if pending:
		carried += pending
		frappe.local.confidentiality_printed = []
	about = getattr(frappe.local, "confidentiality_mail_about", None)
	if about and not reference:
		carried.append(about)  # a Notification Log's email: about its document
		subject.notice = True
	for record in carried:
		if record not in subject.records and gate.is_protected(record[0]):
			subject.records.append(record)

	addresses = {policy.normalise(r.recipient) for r in queue.recipients if r.recipient}
	addresses |= _addresses_in(queue.message)
	subject.by_address = clients.clients_by_address(addresses)
	return subject


def _attached_records(attachments) -> list[tuple[str, str]]:
	"""The records whose files or prints a mail attaches (one query for every file)."""
	try:
		items = json.loads(attachments) if isinstance(attachments, str) and attachments else []
	except ValueError:
		return []
	records: list[tuple[str, str]] = []
	file_ids, file_urls = [], []
	for item in items if isinstance(items, list) else []:
		if not isinstance(item, dict):
			continue
		if item.get("print_format_attachment") and item.get("doctype") and item.get("name"):
			records.append((item["doctype"], item["name"]))
		elif item.get("fid"):
			file_ids.append(item["fid"])
		elif item.get("file_url"):
			file_urls.append(item["file_url"])
	if file_ids or file_urls:
		for row in frappe.get_all(
			"File",
			or_filters={"name": ["in", file_ids or [""]], "file_url": ["in", file_urls or [""]]},
			fields=["attached_to_doctype", "attached_to_name"],
		):
			if row.attached_to_doctype and row.attached_to_name:
				records.append((row.attached_to_doctype, row.attached_to_name))
	return records


def _addresses_in(message: str | None) -> set[str]:
	"""Addresses named in a queued MIME message: its Subject and text. Frappe encodes text
	parts quoted-printable, so decoding the whole message as such (C speed) exposes them;
	a base64 text part, which Frappe does not write, is decoded with the full parser. The
	sender, reply-to and message ids are not what the mail is about, and recipients are
	decided as recipients: every header but Subject is left out."""
	if not message:
		return set()
	head, blank, body = message.replace("\r\n", "\n").partition("\n\n")
	# only the message's own header block: a forwarded mail's "From: client@..." line in
	# the body is what the mail is about
	message = _ENVELOPE_HEADERS.sub("", head + "\n") + blank + body
	found = set(_ADDRESS.findall(message))
	try:
		found |= set(
			_ADDRESS.findall(
				binascii.a2b_qp(message.encode("utf-8", "surrogateescape")).decode("utf-8", "replace")
			)
		)
	except Exception:
		pass
	if _BASE64_TEXT.search(message):
		try:
			parsed = email_lib.message_from_string(message, policy=email_policy.default)
			for part in parsed.walk():
				if part.get_content_maintype() == "text":
					found |= set(
						_ADDRESS.findall(str(part.get_payload(decode=True) or b"", "utf-8", "replace"))
					)
		except Exception:
			pass
	return {policy.normalise(a) for a in found}


# ---------------------------------------------------------------- the decision
@dataclass
class Refusal:
	recipient: str
	verdict: gate.Verdict


def decide(
	queue,
	subject: Subject,
	recipients: list[str],
	*,
	channel: str,
	action: str,
	log_allowed: bool,
	refused_outcome: str | None = None,
	stamped: bool = False,
	sender: str | None = None,
) -> tuple[list[str], list[Refusal]]:
	"""Decide each recipient of `queue` about `subject`: (allowed, refused). One
	Confidentiality Log entry per recipient decided on a protected subject: allowed ones
	only with `log_allowed` (in the caller's transaction), refused ones always (durable).
	`stamped`: `subject` comes from the row's decision stamp (send time, release): only the
	recipients that were desk users then are looked up again. `sender`: whose release the
	mail is when not the session user's (see `cleared_to_send`)."""
	if subject.empty or not gate.active():
		return list(recipients), []
	marketing = subject.purpose == MARKETING
	if stamped:
		known = set(subject.colleagues)
		colleagues = clients.desk_users([r for r in recipients if policy.normalise(r) in known])
	else:
		colleagues = clients.desk_users(recipients)
		subject.colleagues = sorted(colleagues)
	reference = subject.reference or ("Email Queue", queue.name)
	every_client = [p for parties in subject.by_address.values() for p in parties]
	allowed: list[str] = []
	refused: list[Refusal] = []
	for recipient in recipients:
		address = policy.normalise(recipient)
		if marketing:
			about = list(subject.by_address.get(address, []))
		else:
			about = list(subject.records) + [p for p in every_client if p not in subject.records]
		if not about:
			allowed.append(recipient)
			continue
		user = colleagues.get(address)
		ids = policy.recipient_ids(address, user)
		has_access = (
			ids if user and not marketing and _reads_all(user, about, subject.notice) else frozenset()
		)
		kwargs = dict(
			channel=channel,
			action=action,
			recipients=(ids,),
			recipient_label=address,
			records=[(dt, dn, None) for dt, dn in about],
			has_access=has_access,
			service_to_client=not marketing,
			refused_outcome=refused_outcome,
			sender=sender,
		)
		# a refusal (or a monitored release) is always logged, durably; an allowed one in
		# the queueing transaction, and only with `log_allowed`
		verdict = gate.check(
			reference[0], reference[1], subject.purpose, with_action=True, log_allowed=log_allowed, **kwargs
		)
		if verdict.proceed:
			allowed.append(recipient)
		else:
			refused.append(Refusal(recipient, verdict))
	return allowed, refused


def _reads_all(user: str, records, shares_count: bool = False) -> bool:
	"""Can this colleague read every record through their own roles (not a share)?
	`shares_count`: or through a share (every share of a protected record was decided)."""
	for doctype, name in records:
		try:
			doc = frappe.get_doc(doctype, name)
		except frappe.DoesNotExistError:
			return False
		if shares_count and frappe.has_permission(doctype, "read", doc, user=user):
			continue
		if not can_read_without_share(doc, user):
			return False
	return True


def _unsent(queue) -> list[str]:
	return [r.recipient for r in queue.recipients if r.recipient and not r.is_mail_sent()]


def _interactive_composer() -> bool:
	"""Is this the form composer's request (the user is there to be told)?"""
	if getattr(frappe.local, "request", None) is None or frappe.flags.in_import:
		return False
	cmd = (frappe.local.form_dict or {}).get("cmd") or frappe.local.request.path or ""
	return COMPOSER in cmd


# ---------------------------------------------------------------- queue time
def queued(doc, method=None):
	"""doc_events["Email Queue"]["before_validate"]: decide a new queue row."""
	if not doc.is_new() or doc.flags.get(_DECIDED) or not gate.active():
		return
	doc.flags[_DECIDED] = True
	clients.forget_desk_users()
	subject = describe(doc, new=True)
	doc.set(STAMP, subject.encode())
	if subject.empty:
		return
	interactive = _interactive_composer()
	allowed, refused = decide(
		doc,
		subject,
		_unsent(doc),
		channel="Email",
		action="Email",
		log_allowed=True,
		refused_outcome=None if interactive else HELD,
	)
	doc.set(STAMP, subject.encode())  # with the recipients that are desk users
	if not refused:
		return
	if interactive:
		frappe.throw(
			"<br>".join(r.verdict.message for r in refused),
			gate.ConfidentialityBlocked,
			title=_("Email refused by confidentiality rules"),
		)
	doc.flags[_HOLD] = refused
	if not allowed:
		doc.status = HELD
	else:
		refused_set = {r.recipient for r in refused}
		doc.set("recipients", [r for r in doc.recipients if r.recipient not in refused_set])


def after_queued(doc, method=None):
	"""doc_events["Email Queue"]["after_insert"]: record what queue time held."""
	refused = doc.flags.pop(_HOLD, None)
	if refused:
		_hold(doc, refused, "Queued", split=doc.status != HELD)


# ---------------------------------------------------------------- send time
class GatedEmailQueue(EmailQueue):
	"""override_doctype_class["Email Queue"]: the last decision is made inside the one
	method that talks SMTP, for every recipient not yet sent to."""

	def can_send_now(self):
		return self.status != HELD and super().can_send_now()

	def send(self, smtp_server_instance=None):
		if self.can_send_now() and not cleared_to_send(self):
			return None
		return super().send(smtp_server_instance=smtp_server_instance)


def cleared_to_send(queue, stage: str = "Sending", commit: bool = True) -> bool:
	"""Decide `queue` again now; hold the recipients no longer allowed. True when some
	recipients are left to send to. `commit`: commit the hold at once, as EmailQueue.send
	commits its own status changes (not when the caller's transaction must stay whole)."""
	if not gate.active():
		return True
	clients.forget_desk_users()
	subject = stamp_of(queue)
	stamped = subject is not None
	if not stamped:
		# never decided (written by raw SQL, or before install) or changed since: afresh
		subject = describe(queue)
	allowed, refused = decide(
		queue,
		subject,
		_unsent(queue),
		channel="Email",
		action="Send email" if stage == "Sending" else "Hold pending email",
		log_allowed=False,
		refused_outcome=HELD,
		stamped=stamped,
		sender=_author(queue),
	)
	if not stamped:
		queue.db_set(STAMP, subject.encode(), update_modified=False)
	if refused:
		_hold(queue, refused, stage, split=bool(allowed))
		if commit:
			frappe.db.commit()
	return bool(allowed)


def _author(queue) -> str | None:
	"""Whose release a mail is at send time: its author's (the scheduler sends it as
	Administrator), so a sanction raised on them since it was queued holds it; unless a
	Confidentiality Officer released it from hold, which is that review done."""
	if not queue.owner or frappe.db.exists("Held Email", {"email_queue": queue.name, "status": "Released"}):
		return None
	return queue.owner


# ---------------------------------------------------------------- holding
def _hold(queue, refused: list[Refusal], stage: str, split: bool) -> str:
	"""Keep the refused recipients' mail in a row that is never sent. With `split`, the
	other recipients stay on `queue` and the refused ones move to a copy; otherwise
	`queue` itself is held. Returns the Held Email."""
	names = [r.recipient for r in refused]
	if split:
		held_row = queue.get_duplicate(names)
		held_row.status = HELD
		held_row.flags[_DECIDED] = True
		held_row.insert(ignore_permissions=True)
		gone = [r.name for r in queue.recipients if r.recipient in set(names) and not r.is_mail_sent()]
		if gone and not queue.is_new():
			frappe.db.delete("Email Queue Recipient", {"parent": queue.name, "name": ["in", gone]})
		queue.set("recipients", [r for r in queue.recipients if r.name not in set(gone)])
	else:
		held_row = queue
		if not queue.is_new() and queue.status != HELD:
			queue.db_set("status", HELD, update_modified=False)
			queue.status = HELD
	first = refused[0].verdict
	client = first.decision.client or (first.clients[0] if first.clients else (None, None))
	subject = Subject.decode(held_row.get(STAMP))
	held = frappe.get_doc(
		{
			"doctype": "Held Email",
			"status": HELD,
			"stage": stage,
			"purpose": subject.purpose if subject else PURPOSE,
			"held_on": now_datetime(),
			"client_doctype": client[0],
			"client_name": client[1],
			"reference_doctype": held_row.reference_doctype,
			"reference_name": held_row.reference_name,
			"email_queue": held_row.name,
			"subject": _subject_line(held_row.message),
			"sender": held_row.sender,
			"recipients": "\n".join(names),
			"queued_by": held_row.owner if frappe.db.exists("User", held_row.owner) else None,
			"queued_on": held_row.creation,
			"log": ", ".join(r.verdict.log for r in refused if r.verdict.log),
			"reason": "\n".join(r.verdict.message for r in refused),
		}
	)
	held.flags[WRITER_FLAG] = True
	held.flags.ignore_links = True  # the record of a hold is never refused for a stale link
	held.insert(ignore_permissions=True)
	return held.name


def _subject_line(message: str | None) -> str:
	if not message:
		return ""
	try:
		parsed = email_lib.message_from_string(message, policy=email_policy.default)
		return str(parsed.get("Subject") or "")[:140]
	except Exception:
		return ""


def hold_pending(reason: str, parties=None):
	"""Hook `confidentiality_consent_lost`: a consent of `parties` was withdrawn, expired
	or superseded. Decide their not-yet-sent mail again now and hold what is no longer
	allowed (the send-time decision would hold it too; this holds it at once)."""
	if not parties:
		return []
	covered: list[tuple[str, str]] = []
	for party in parties:
		for p in clients.covered_by(tuple(party)):
			if p not in covered:
				covered.append(p)
	conditions = " OR ".join([f"`{STAMP}` LIKE %s"] * len(covered))
	values = ["%" + _like(json.dumps(list(p), separators=(",", ":"))) + "%" for p in covered]
	rows = frappe.db.sql(
		f"""SELECT name FROM `tabEmail Queue`
		WHERE status IN ({", ".join(["%s"] * len(PENDING))}) AND ({conditions})""",
		(*PENDING, *values),
	)
	held = []
	for (name,) in rows:
		queue = frappe.get_doc("Email Queue", name)
		if not cleared_to_send(queue, stage="Consent Lost", commit=False) or queue.status == HELD:
			held.append(name)
	return held


def _like(value: str) -> str:
	return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# ---------------------------------------------------------------- release and discard
def release(held_name: str) -> str:
	"""Decide a held mail again; if allowed, send it now (once). Raises
	ConfidentialityBlocked when it is still not allowed."""
	held = frappe.get_doc("Held Email", held_name)
	if held.status != HELD:
		frappe.throw(_("Held Email {0} is already {1}.").format(held.name, _(held.status)))
	queue = frappe.get_doc("Email Queue", held.email_queue)
	subject = stamp_of(queue)
	stamped = subject is not None
	allowed, refused = decide(
		queue,
		subject if stamped else describe(queue),
		_unsent(queue),
		channel="Email",
		action="Release held email",
		log_allowed=True,
		stamped=stamped,
	)
	if refused:
		frappe.throw(
			"<br>".join(r.verdict.message for r in refused),
			gate.ConfidentialityBlocked,
			title=_("Still refused by confidentiality rules"),
		)
	held.update({"status": "Released", "released_by": frappe.session.user, "released_on": now_datetime()})
	held.flags[WRITER_FLAG] = True
	held.save(ignore_permissions=True)
	queue.db_set({"status": "Not Sent", "error": None}, update_modified=False)
	queue.status = "Not Sent"
	frappe.db.commit()  # the release and its log entry stand before the mail goes
	queue.send()
	return held.name


def discard(held_name: str, reason: str) -> str:
	from confidentiality_app import audit

	reason = (reason or "").strip()
	if not reason:
		frappe.throw(_("Give the reason the held email is discarded."))
	held = frappe.get_doc("Held Email", held_name)
	if held.status != HELD:
		frappe.throw(_("Held Email {0} is already {1}.").format(held.name, _(held.status)))
	held.update(
		{
			"status": "Discarded",
			"discarded_by": frappe.session.user,
			"discarded_on": now_datetime(),
			"discard_reason": reason,
		}
	)
	held.flags[WRITER_FLAG] = True
	held.save(ignore_permissions=True)
	audit.append_on_commit(
		audit.Entry(
			action="Discard held email",
			channel="Email",
			outcome="Discarded",
			reference_doctype=held.reference_doctype or "Email Queue",
			reference_name=held.reference_name or held.email_queue,
			client_doctype=held.client_doctype,
			client_name=held.client_name,
			recipient=(held.recipients or "").replace("\n", ", ")[:140],
			reason=_("Held Email {0} discarded: {1}").format(held.name, reason),
			basis=held.name,
		)
	)
	return held.name


# ---------------------------------------------------------------- standing mail rules
def _outside(addresses) -> list[str]:
	"""The addresses that are not enabled desk users of this site."""
	wanted = [policy.normalise(a) for a in addresses if a and policy.normalise(a)]
	inside = clients.desk_users(wanted)
	return sorted({a for a in wanted if a not in inside})


def _refuse_rule(doc, doctype: str, outside: list[str], what: str):
	"""Refuse (Enforce) or warn (Monitor) about a standing rule that mails a protected
	doctype's records to outside recipients; logged either way."""
	from confidentiality_app import audit

	message = _(
		"{0} {1} would send {2} records to {3}. {2} records are about protected clients, and mail about a client to anyone but the client needs that client's written consent for Email naming the recipient, which a standing rule cannot have for every record. Send to the client (a document field holding their address), to users of this site, or remove these recipients."
	).format(_(doc.doctype), doc.name, _(doctype), ", ".join(outside) or what)
	enforce = gate.mode() != policy.MONITOR
	audit.append(
		audit.Entry(
			action="Configure " + doc.doctype,
			channel="Email",
			decision="Deny",
			outcome="Blocked" if enforce else "Monitored",
			mode=gate.mode(),
			reference_doctype=doc.doctype,
			reference_name=doc.name,
			recipient=", ".join(outside)[:140] or what,
			reason=message,
			basis=policy.NO_CONSENT,
		)
	)
	if enforce:
		frappe.throw(message, gate.ConfidentialityBlocked, title=_("Refused by confidentiality rules"))
	frappe.msgprint(message, indicator="orange", title=_("Would be refused in Enforce mode"))


def _syncing() -> bool:
	"""Install, migrate or patch: records synced from apps' code are not refused on save
	(that would break the migration); every mail they cause is still decided when queued
	and when sent."""
	flags = frappe.flags
	return bool(flags.in_install or flags.in_migrate or flags.in_patch or flags.in_setup_wizard)


def validate_notification(doc, method=None):
	"""doc_events["Notification"]["validate"]: a Notification on a protected doctype may mail
	the client (a document field), users of the site (roles, owner, assignees) — never
	fixed outside addresses, nor a Slack channel."""
	if not doc.enabled or not doc.document_type or not gate.is_protected(doc.document_type):
		return
	if _syncing():
		return  # an app's standard rule synced at install or migrate: its mail is still decided
	if doc.channel == "Slack":
		_refuse_rule(doc, doc.document_type, [], _("a Slack channel"))
		return
	if doc.channel != "Email":
		return
	fixed = []
	for row in doc.get("recipients") or []:
		for value in (row.cc, row.bcc):
			fixed += [a.strip() for a in re.split(r"[,;\n]", value or "") if a.strip()]
	outside = _outside(fixed)
	if outside:
		_refuse_rule(doc, doc.document_type, outside, "")


def validate_auto_email_report(doc, method=None):
	"""doc_events["Auto Email Report"]["validate"]: a report on a protected doctype is mailed
	only to users of the site."""
	if not doc.enabled or not doc.report or _syncing():
		return
	ref_doctype = frappe.db.get_value("Report", doc.report, "ref_doctype")
	if not ref_doctype or not gate.is_protected(ref_doctype):
		return
	outside = _outside(re.split(r"[,;\n]", doc.email_to or ""))
	if outside:
		_refuse_rule(doc, ref_doctype, outside, "")


# ---------------------------------------------------------------- wiring
def check_wiring() -> bool:
	"""The send-time decision lives in the Email Queue class. Another app that overrides
	that class after this one (`override_doctype_class`: the last app wins) would remove it
	without a sound. Fail closed: suspend the email queue, log it and say why. Runs at
	migrate and daily."""
	from frappe.model.base_document import get_controller

	try:
		wired = issubclass(get_controller("Email Queue"), GatedEmailQueue)
	except Exception:
		wired = False
	if wired:
		return True
	frappe.db.set_default("suspend_email_queue", 1)
	message = _(
		"Outgoing email is suspended: the Email Queue class is no longer confidentiality_app's (another app overrides it), so mail could leave without its send-time decision. Make that app's class extend confidentiality_app.channels.email.GatedEmailQueue, migrate, then resume the email queue."
	)
	frappe.log_error(title="Confidentiality: email gate not wired", message=message)
	from confidentiality_app import audit

	audit.append(
		audit.Entry(
			action="Suspend email queue",
			channel="Email",
			decision="Deny",
			outcome="Blocked",
			mode=gate.mode(),
			reference_doctype="DocType",
			reference_name="Email Queue",
			reason=message,
			basis="wiring",
		)
	)
	return False


# ---------------------------------------------------------------- site notifications
def notification_about(doc, method=None):
	"""doc_events["Notification Log"]["before_insert"]: the email Frappe sends for a
	notification (share, assignment, mention, alert) carries no reference; it is about the
	notification's document. Set while the notification is inserted (its after_insert
	queues the mail)."""
	if doc.document_type and doc.document_name and gate.is_protected(doc.document_type):
		frappe.local.confidentiality_mail_about = (doc.document_type, doc.document_name)
	else:
		frappe.local.confidentiality_mail_about = None


def notification_done(doc, method=None):
	"""doc_events["Notification Log"]["after_insert"] (runs after Frappe's, which mails)."""
	frappe.local.confidentiality_mail_about = None


def decide_follow(doc, method=None):
	"""doc_events["Document Follow"]["after_insert"]: following a protected record mails its
	changes to the follower (daily or weekly digests). Allowed to a user who can read the
	record through their roles; anyone else needs the client's consent for Email naming
	them. Frappe follows records on its own inside saves, shares and assignments, so a
	refusal does not fail the operation: the follow is removed at once, logged, and the user
	told."""
	if not doc.ref_doctype or not doc.ref_docname or not gate.is_protected(doc.ref_doctype):
		return
	email = frappe.db.get_value("User", doc.user, "email") if doc.user else None
	ids = policy.recipient_ids(doc.user, email)
	try:
		record = frappe.get_doc(doc.ref_doctype, doc.ref_docname)
	except frappe.DoesNotExistError:
		record = None
	verdict = gate.check(
		doc.ref_doctype,
		doc.ref_docname,
		PURPOSE,
		channel="Email",
		action="Follow by email",
		recipients=(ids,),
		recipient_label=policy.normalise(email or doc.user),
		doc=record,
		has_access=ids if record is not None and can_read_without_share(record, doc.user) else frozenset(),
		with_action=True,
	)
	if verdict.proceed:
		return
	frappe.db.delete("Document Follow", {"name": doc.name})
	frappe.msgprint(verdict.message, indicator="orange", alert=True)


# ---------------------------------------------------------------- Notification: Slack
class GatedNotification(Notification):
	"""override_doctype_class["Notification"]: the email channel of a Notification goes
	through the Email Queue (decided above); its Slack channel posts straight to a webhook,
	so it is decided here, when it fires. A protected record goes to Slack only with its
	clients' consent for Email that names the webhook (or names no recipient). A refusal
	is logged and nothing is posted (`Notification.send` swallows exceptions: the log and
	the receiver are what show it)."""

	def send_a_slack_msg(self, doc, context):
		if gate.active() and gate.is_protected(doc.doctype):
			label = f"slack:{self.slack_webhook_url}"
			verdict = gate.check(
				doc.doctype,
				doc.name,
				PURPOSE,
				channel="Slack",
				action="Post to Slack",
				recipients=(policy.recipient_ids(label),),
				recipient_label=label,
				doc=doc,
			)
			if not verdict.proceed:
				return None
		return super().send_a_slack_msg(doc, context)

	def send_sms(self, doc, context):
		"""The SMS channel: decided in channels.sms (consent for SMS naming the numbers)."""
		from confidentiality_app.channels import sms

		if not sms.notification_sms(self, doc, context):
			return None
		return super().send_sms(doc, context)
