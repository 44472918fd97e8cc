"""What a mail is about: its reference record, the records of the files it attaches, and the clients
whose addresses it is sent to or names in its subject or body (addresses matched normalised,
set-based); the stamp that records what was decided at queue time."""

from __future__ import annotations

import binascii
import email as email_lib
import hashlib
import json
import re
from dataclasses import dataclass, field
from email import policy as email_policy

import frappe

from confidentiality_app.decision import clients, gate
from confidentiality_app.rules import policy

PURPOSE = "Email"
MARKETING = "Marketing"
MARKETING_DOCTYPES = frozenset({"Newsletter", "Email Campaign", "Email Group"})
HELD = "Held"
STAMP = "confidentiality_stamp"  # Custom Field on Email Queue (install.py)
COMPOSER = "frappe.core.doctype.communication.email.make"
PENDING = ("Not Sent", "Partially Sent", "Error", "Sending")
DECIDED = "confidentiality_decided"
HOLD = "confidentiality_hold"
ADDRESS = clients.ADDRESS
ENVELOPE_HEADERS = re.compile(
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
	carried += attached_records(queue.attachments)
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
	addresses |= addresses_in(queue.message)
	subject.by_address = clients.clients_by_address(addresses)
	return subject


def attached_records(attachments) -> list[tuple[str, str]]:
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


def addresses_in(message: str | None) -> set[str]:
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
	message = ENVELOPE_HEADERS.sub("", head + "\n") + blank + body
	found = set(ADDRESS.findall(message))
	try:
		found |= set(
			ADDRESS.findall(
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
						ADDRESS.findall(str(part.get_payload(decode=True) or b"", "utf-8", "replace"))
					)
		except Exception:
			pass
	return {policy.normalise(a) for a in found}
