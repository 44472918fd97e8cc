"""Queue time (doc_events["Email Queue"], before_validate, which runs even with
flags.ignore_validate): every recipient decided; the form composer is refused outright (the
dialog keeps what the user wrote), any other path is held."""

from __future__ import annotations

import frappe
from frappe import _

from confidentiality_app.channels.email.decision import decide, interactive_composer, unsent
from confidentiality_app.channels.email.held import hold
from confidentiality_app.channels.email.subject import DECIDED, HELD, HOLD, STAMP, describe
from confidentiality_app.decision import clients, gate


# ---------------------------------------------------------------- queue time
def queued(doc, method=None):
	"""doc_events["Email Queue"]["before_validate"]: decide a new queue row."""
	if not doc.is_new() or doc.flags.get(DECIDED) or not gate.active():
		return
	doc.flags[DECIDED] = True
	clients.forget_desk_users()
	subject = describe(doc, new=True)
	doc.set(STAMP, subject.encode())
	if subject.empty:
		return
	interactive = interactive_composer()
	allowed, refused = decide(
		doc,
		subject,
		unsent(doc),
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
	doc.flags[HOLD] = refused
	if not allowed:
		doc.status = HELD
	else:
		refused_set = {r.recipient for r in refused}
		doc.set("recipients", [r for r in doc.recipients if r.recipient not in refused_set])


def after_queued(doc, method=None):
	"""doc_events["Email Queue"]["after_insert"]: record what queue time held."""
	refused = doc.flags.pop(HOLD, None)
	if refused:
		hold(doc, refused, "Queued", split=doc.status != HELD)
