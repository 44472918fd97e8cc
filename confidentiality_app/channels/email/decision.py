"""The decision for a mail: every recipient (To, CC, BCC) decided by the one decision point on the
records the mail is about; marketing (Newsletter, Email Campaign, Email Group) needs purpose
Marketing even to the client themself."""

from __future__ import annotations

from dataclasses import dataclass

import frappe

from confidentiality_app.channels.email.subject import COMPOSER, MARKETING, Subject
from confidentiality_app.decision import clients, gate
from confidentiality_app.decision.permissions import can_read_without_share
from confidentiality_app.rules import policy


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
		has_access = ids if user and not marketing and reads_all(user, about, subject.notice) else frozenset()
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


def reads_all(user: str, records, shares_count: bool = False) -> bool:
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


def unsent(queue) -> list[str]:
	return [r.recipient for r in queue.recipients if r.recipient and not r.is_mail_sent()]


def interactive_composer() -> bool:
	"""Is this the form composer's request (the user is there to be told)?"""
	if getattr(frappe.local, "request", None) is None or frappe.flags.in_import:
		return False
	cmd = (frappe.local.form_dict or {}).get("cmd") or frappe.local.request.path or ""
	return COMPOSER in cmd
