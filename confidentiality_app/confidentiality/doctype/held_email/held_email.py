# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt

"""A mail the confidentiality rules held back (confidentiality_app.channels.email).

Lifecycle only: a Held Email is created by the email channel, changes state only through
`confidentiality_app.api.release_held_email` / `discard_held_email`, and is never deleted
(it is the record of what did not leave and why)."""

import frappe
from frappe import _
from frappe.model.document import Document

# set by the email channel and the release / discard API on the documents they write
from confidentiality_app.channels.email.held import WRITER_FLAG


class HeldEmail(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		client_doctype: DF.Link | None
		client_name: DF.DynamicLink | None
		discard_reason: DF.SmallText | None
		discarded_by: DF.Link | None
		discarded_on: DF.Datetime | None
		email_queue: DF.Link | None
		held_on: DF.Datetime | None
		log: DF.Data | None
		purpose: DF.Link | None
		queued_by: DF.Link | None
		queued_on: DF.Datetime | None
		reason: DF.SmallText | None
		recipients: DF.SmallText | None
		reference_doctype: DF.Link | None
		reference_name: DF.DynamicLink | None
		released_by: DF.Link | None
		released_on: DF.Datetime | None
		sender: DF.Data | None
		stage: DF.Literal["Queued", "Sending", "Consent Lost"]
		status: DF.Literal["Held", "Released", "Discarded"]
		subject: DF.Data | None
	# end: auto-generated types

	def validate(self):
		if not self.flags.get(WRITER_FLAG):
			frappe.throw(
				_(
					"A Held Email is written by the confidentiality rules only; use Release or Discard to decide it."
				),
				frappe.PermissionError,
			)
		if not self.is_new():
			before = self.get_doc_before_save()
			if before and before.status != "Held" and before.status != self.status:
				frappe.throw(_("Held Email {0} is already {1}.").format(self.name, _(before.status)))

	def on_trash(self):
		frappe.throw(
			_("Held Email {0} is the record of a mail that did not leave; it is never deleted.").format(
				self.name
			),
			frappe.PermissionError,
		)
