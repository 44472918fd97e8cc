"""Google Contacts and Google Calendar: a protected record pushed to a Google account is an
export to it.

Frappe pushes a Contact (`sync_with_google_contacts`) and an Event
(`sync_with_google_calendar`) in their after_insert / on_update hooks, reading the flag from
the document in memory. `guard_sync` (doc_events before_validate, which runs even with
flags.ignore_validate) decides the push for purpose Export with the account
(`google:<account>`) as recipient, and turns the flag off when it is refused: the record is
saved, nothing is pushed, the user is told, the refusal logged. An allowed push is logged
with the save (it commits with it). A record pulled from Google is not pushed back.
"""

from __future__ import annotations

import frappe
from frappe import _

from confidentiality_app.decision import clients, gate
from confidentiality_app.rules import policy

PURPOSE = "Export"
CHANNEL = "Google"
# doctype: (sync flag, pulled flag, account link, account doctype, account id field, action)
SYNCED = {
	"Contact": (
		"sync_with_google_contacts",
		"pulled_from_google_contacts",
		"google_contacts",
		"Google Contacts",
		"email_id",
		"push_to_google_contacts",
		"Sync to Google Contacts",
	),
	"Event": (
		"sync_with_google_calendar",
		"pulled_from_google_calendar",
		"google_calendar",
		"Google Calendar",
		"google_calendar_id",
		"push_to_google_calendar",
		"Sync to Google Calendar",
	),
}


def guard_sync(doc, method=None):
	spec = SYNCED.get(doc.doctype)
	if not spec:
		return
	flag, pulled, link, account_doctype, id_field, push_field, action = spec
	if not doc.get(flag) or doc.get(pulled) or not gate.active() or not gate.is_protected(doc.doctype):
		return
	if clients.client_optional(doc.doctype) and not clients.clients_of(doc.doctype, doc.name, doc=doc):
		return  # an internal meeting: no client among its participants
	account = doc.get(link)
	row = (
		frappe.db.get_value(account_doctype, account, [id_field, push_field], as_dict=True)
		if account
		else None
	)
	if row is not None and not row.get(push_field):
		return  # this account does not push: nothing leaves
	label = f"google:{(row.get(id_field) if row else None) or account or _('no account')}"
	verdict = gate.check(
		doc.doctype,
		doc.name,
		PURPOSE,
		channel=CHANNEL,
		action=action,
		recipients=(policy.recipient_ids(label),),
		recipient_label=label[:140],
		doc=doc,
		with_action=True,
	)
	if verdict.proceed:
		return
	doc.set(flag, 0)
	frappe.msgprint(
		verdict.message + " " + _("The record is saved without syncing it to Google."),
		indicator="orange",
		title=_("Not synced: confidentiality rules"),
	)
