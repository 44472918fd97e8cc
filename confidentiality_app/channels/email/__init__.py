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

Modules: `subject` (what a mail is about), `decision` (every recipient decided), `queue`
(queue time), `send` (send time), `held` (holding a mail), `recheck` (pending mail when a
consent is lost; release and discard), `rules` (standing rules), `notifications` (site
notifications, follow digests, Slack).

The package's public names are re-exported here (`confidentiality_app.channels.email.<name>`);
hooks.py names the modules themselves."""

from confidentiality_app.channels.email.decision import (
	Refusal,
	decide,
	interactive_composer,
	reads_all,
	unsent,
)
from confidentiality_app.channels.email.held import hold, like, subject_line
from confidentiality_app.channels.email.notifications import (
	GatedNotification,
	decide_follow,
	notification_about,
	notification_done,
)
from confidentiality_app.channels.email.queue import after_queued, queued
from confidentiality_app.channels.email.recheck import discard, hold_pending, release
from confidentiality_app.channels.email.rules import (
	outside_addresses,
	validate_auto_email_report,
	validate_notification,
)
from confidentiality_app.channels.email.send import GatedEmailQueue, author_of, check_wiring, cleared_to_send
from confidentiality_app.channels.email.subject import (
	ADDRESS,
	COMPOSER,
	DECIDED,
	ENVELOPE_HEADERS,
	HELD,
	HOLD,
	MARKETING,
	MARKETING_DOCTYPES,
	PENDING,
	PURPOSE,
	STAMP,
	Subject,
	addresses_in,
	attached_records,
	content_digest,
	describe,
	printed_for_mail,
	purpose_of,
	stamp_of,
)

__all__ = [
	"ADDRESS",
	"COMPOSER",
	"DECIDED",
	"ENVELOPE_HEADERS",
	"GatedEmailQueue",
	"GatedNotification",
	"HELD",
	"HOLD",
	"MARKETING",
	"MARKETING_DOCTYPES",
	"PENDING",
	"PURPOSE",
	"Refusal",
	"STAMP",
	"Subject",
	"addresses_in",
	"after_queued",
	"attached_records",
	"author_of",
	"check_wiring",
	"cleared_to_send",
	"content_digest",
	"decide",
	"decide_follow",
	"describe",
	"discard",
	"hold",
	"hold_pending",
	"interactive_composer",
	"like",
	"notification_about",
	"notification_done",
	"outside_addresses",
	"printed_for_mail",
	"purpose_of",
	"queued",
	"reads_all",
	"release",
	"stamp_of",
	"subject_line",
	"unsent",
	"validate_auto_email_report",
	"validate_notification",
]
