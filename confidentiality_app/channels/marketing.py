"""Marketing: the Code's first sentence — client information is never used in marketing.

A client is put on a mailing list (Email Group Member), or made the recipient of an ERPNext
Email Campaign, only with their consent for purpose **Marketing**, even though the mail goes
to the client themself. The mails these send (Newsletter, Email Campaign) are decided again
by the email channel (`channels.email`, purpose Marketing) when queued and when sent, so a
consent withdrawn later holds them; unsubscribe links keep working (they remove, never add).

`EmailGroup.import_from` (Leads, Contacts, Customers... into a list) inserts one member per
address and skips the ones whose insert raises `frappe.UniqueValidationError`: a refused
member raises `MemberWithheld`, which is that error too, so the import goes on without
the client, and the user is told how many were withheld (each is logged).
"""

from __future__ import annotations

import frappe
from frappe import _

from confidentiality_app.decision import gate
from confidentiality_app.rules import policy

PURPOSE = "Marketing"


class MemberWithheld(gate.ConfidentialityBlocked, frappe.UniqueValidationError):
	"""A refused Email Group Member: a 403 for the caller, a skipped row for import_from."""

	http_status_code = 403


def _decide(doc, address: str, action: str, reference=None):
	from confidentiality_app.decision.clients import clients_by_address

	address = policy.normalise(address)
	parties = clients_by_address([address]).get(address) if address else None
	if not parties:
		return None
	reference = reference or (doc.doctype, doc.name or address)
	return gate.check(
		reference[0],
		reference[1],
		PURPOSE,
		channel="Marketing",
		action=action,
		recipients=(policy.recipient_ids(address),),
		recipient_label=address,
		records=[(dt, dn, None) for dt, dn in parties],
		service_to_client=False,
		with_action=True,
	)


def validate_member(doc, method=None):
	"""doc_events["Email Group Member"]["before_validate"]: a new member, or a member whose
	address changed, that is a protected client needs their Marketing consent."""
	if not gate.active() or not doc.email:
		return
	if not doc.is_new() and doc.email == frappe.db.get_value(doc.doctype, doc.name, "email"):
		return
	verdict = _decide(doc, doc.email, "Add to mailing list", reference=("Email Group", doc.email_group))
	if verdict is None or verdict.proceed:
		return
	withheld = frappe.local.flags.setdefault("confidentiality_members_withheld", [])
	withheld.append(doc.email)
	if len(withheld) == 1:
		frappe.msgprint(
			_(
				"Clients without consent for Marketing are not added to mailing lists (the first: {0}); each is recorded in the Confidentiality Log."
			).format(doc.email),
			indicator="orange",
			alert=True,
		)
	raise MemberWithheld(verdict.message)


def validate_campaign(doc, method=None):
	"""doc_events["Email Campaign"]["validate"]: an ERPNext Email Campaign to a Lead or
	Contact that is a protected client needs their Marketing consent."""
	if not gate.active() or not doc.recipient or not doc.email_campaign_for:
		return
	if not gate.is_protected(doc.email_campaign_for):
		return
	gate.enforce(
		doc.email_campaign_for,
		doc.recipient,
		PURPOSE,
		channel="Marketing",
		action="Email campaign",
		service_to_client=False,
		with_action=True,
	)
