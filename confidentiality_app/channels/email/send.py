"""Send time: the last decision, inside `GatedEmailQueue.send` (override_doctype_class), the one
method that talks SMTP (flush, send_now, retries, bulk jobs), for every recipient not yet sent
to; and the check that the class is still this app's (else the queue is suspended)."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.email.doctype.email_queue.email_queue import EmailQueue

from confidentiality_app.channels.email.decision import decide, unsent
from confidentiality_app.channels.email.held import hold
from confidentiality_app.channels.email.subject import HELD, STAMP, describe, stamp_of
from confidentiality_app.decision import clients, gate


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
		unsent(queue),
		channel="Email",
		action="Send email" if stage == "Sending" else "Hold pending email",
		log_allowed=False,
		refused_outcome=HELD,
		stamped=stamped,
		sender=author_of(queue),
	)
	if not stamped:
		queue.db_set(STAMP, subject.encode(), update_modified=False)
	if refused:
		hold(queue, refused, stage, split=bool(allowed))
		if commit:
			frappe.db.commit()
	return bool(allowed)


def author_of(queue) -> str | None:
	"""Whose release a mail is at send time: its author's (the scheduler sends it as
	Administrator), so a sanction raised on them since it was queued holds it; unless a
	Confidentiality Officer released it from hold, which is that review done."""
	if not queue.owner or frappe.db.exists("Held Email", {"email_queue": queue.name, "status": "Released"}):
		return None
	return queue.owner


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
		"Outgoing email is suspended: the Email Queue class is no longer confidentiality_app's (another app overrides it), so mail could leave without its send-time decision. Make that app's class extend confidentiality_app.channels.email.send.GatedEmailQueue, migrate, then resume the email queue."
	)
	frappe.log_error(title="Confidentiality: email gate not wired", message=message)
	from confidentiality_app.log import audit

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
