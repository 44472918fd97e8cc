"""Mail from site notifications (share, assignment, mention, alert: decided as a mail about the
notification's document), Document Follow digests, and a Notification's Slack post (decided
when it fires)."""

from __future__ import annotations

import frappe
from frappe.email.doctype.notification.notification import Notification

from confidentiality_app.channels.email.subject import PURPOSE
from confidentiality_app.decision import gate
from confidentiality_app.decision.permissions import can_read_without_share
from confidentiality_app.rules import policy


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
