# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt

"""Disclosure Request: lifecycle rules only (the grounds are checked in
confidentiality_app.disclosures; the gate honours an approved one as a scoped grant).

Draft -> (submit) Pending Approval -> Approved / Refused; Approved -> Completed (the letter to
the client); a submitted request can be revoked (cancelled). After submission nothing changes
except through those transitions: an edit from any entry point (form, REST,
frappe.client.set_value) is refused. A submitted request is evidence and is never deleted."""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import now_datetime

from confidentiality_app import disclosures
from confidentiality_app.decision import clients

# set only by confidentiality_app.disclosures' transitions
_DECIDED = (
	"approved_by",
	"approved_on",
	"refused_by",
	"refusal_reason",
	"completed_on",
	"letter_sent",
	"letter_email",
	"letter_file",
	"letter_note",
	"requested_on",
)


class DisclosureRequest(Document):
	def validate(self):
		if self.docstatus == 0 or self.is_new():
			self.status = "Draft"
			# a decision is made only by its transitions, never carried in by an insert
			# (REST, Data Import, a copy)
			for field in _DECIDED:
				self.set(field, None)
			self.uses = 0
		if self.is_new() or not self.requested_by:
			self.requested_by = frappe.session.user  # whoever files it, never named by the input
		if self.party_type and self.party:
			if not frappe.db.exists(self.party_type, self.party):
				frappe.throw(_("Client {0} {1} does not exist.").format(_(self.party_type), self.party))
			self.party_name = clients.title_of((self.party_type, self.party)).split(" (")[0]
			if not self.records:
				self.append("records", {"reference_doctype": self.party_type, "reference_name": self.party})
		self.max_uses = self.max_uses if self.max_uses is not None else 1

	def before_submit(self):
		self.requested_by = self.requested_by or frappe.session.user
		self.requested_on = now_datetime()
		disclosures.check_request(self)
		self.status = "Pending Approval"

	def on_submit(self):
		disclosures.log_request(self)
		disclosures.notify(
			disclosures.officers(exclude=(self.requested_by,)),
			self,
			_("Disclosure {0} waits for approval ({1})").format(self.name, _(self.ground)),
		)

	def before_update_after_submit(self):
		frappe.throw(
			_(
				"A submitted disclosure changes only by Approve, Refuse, Complete or Revoke; amend it to change what it says."
			),
			frappe.PermissionError,
		)

	def on_cancel(self):
		disclosures.revoked(self)

	def on_trash(self):
		if self.docstatus != 0:
			frappe.throw(
				_("Disclosure {0} is evidence and is never deleted; revoke it instead.").format(self.name),
				frappe.PermissionError,
			)
