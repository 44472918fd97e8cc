# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt
"""Client Consent: the client's written consent, immutable once submitted.

Lifecycle rules only; decisions live in confidentiality_app.decision.gate / policy.
Withdrawal cancels the consent (history kept, never deleted) and removes the shares it
no longer allows.
"""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import get_link_to_form, getdate, now_datetime, today

from confidentiality_app.decision import clients, consents, facts
from confidentiality_app.decision.permissions import can_act_for_office
from confidentiality_app.log import audit


class ClientConsent(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from confidentiality_app.confidentiality.doctype.client_consent_purpose.client_consent_purpose import (
			ClientConsentPurpose,
		)
		from confidentiality_app.confidentiality.doctype.consent_recipient.consent_recipient import (
			ConsentRecipient,
		)

		amended_from: DF.Link | None
		consent_form: DF.Link | None
		consent_form_version: DF.Int
		evidence_communication: DF.Link | None
		evidence_file: DF.Attach | None
		evidence_note: DF.SmallText | None
		evidence_type: DF.Literal["Signed Document", "Written Acceptance"]
		expired_on: DF.Date | None
		given_on: DF.Date
		given_on_behalf: DF.Check
		guardian_name: DF.Data | None
		guardian_relationship: DF.Data | None
		how_obtained: DF.SmallText | None
		party: DF.DynamicLink
		party_name: DF.Data | None
		party_type: DF.Link
		purposes: DF.TableMultiSelect[ClientConsentPurpose]
		recipients: DF.Table[ConsentRecipient]
		status: DF.Literal["Draft", "Active", "Expired", "Withdrawn"]
		status_note: DF.SmallText | None
		valid_from: DF.Date
		valid_until: DF.Date | None
		withdrawal_reason: DF.SmallText | None
		withdrawn_by: DF.Link | None
		withdrawn_on: DF.Datetime | None
	# end: auto-generated types

	def validate(self):
		self.validate_party()
		self.validate_purposes()
		self.validate_recipients()
		self.validate_evidence()
		self.validate_dates()
		self.validate_consent_form()
		if self.given_on_behalf and not (self.guardian_name and self.how_obtained):
			frappe.throw(
				_(
					"A consent given on behalf of the client needs the guardian's name and how it was obtained."
				)
			)
		if self.docstatus == 0:
			self.status = "Draft"

	def validate_party(self):
		kinds = clients.client_doctypes()
		if self.party_type not in kinds:
			frappe.throw(
				_("{0} is not a client record type. Consent can be recorded on: {1}.").format(
					frappe.bold(self.party_type or _("(empty)")),
					", ".join(sorted(kinds)) or _("none configured"),
				),
				title=_("Invalid Client"),
			)
		if not self.party or not frappe.db.exists(self.party_type, self.party):
			frappe.throw(
				_("Client {0} {1} does not exist.").format(_(self.party_type), frappe.bold(self.party))
			)
		if not can_act_for_office() and not frappe.has_permission(self.party_type, "read", self.party):
			frappe.throw(
				_("You can record consent only for clients you work with ({0} {1} is not yours).").format(
					_(self.party_type), self.party
				),
				frappe.PermissionError,
			)
		self.party_name = clients.title_of((self.party_type, self.party)).split(" (")[0]

	def validate_purposes(self):
		seen = set()
		for row in self.purposes:
			if row.purpose in seen:
				frappe.throw(_("Purpose {0} is listed twice.").format(frappe.bold(row.purpose)))
			seen.add(row.purpose)
		if not seen:
			frappe.throw(_("Choose at least one purpose the client consents to."))

	def validate_recipients(self):
		for row in self.recipients:
			if not (row.recipient_user or row.recipient_email or row.recipient_address):
				frappe.throw(
					_(
						"Named recipient in row {0} needs a user, an email address, or a number or system (tel:, webhook:, google:)."
					).format(row.idx)
				)

	def validate_evidence(self):
		if self.evidence_type == "Signed Document":
			if not self.evidence_file:
				frappe.throw(
					_(
						"Attach the signed consent document: the Code requires the client's consent in writing."
					),
					title=_("Written Evidence Missing"),
				)
			if not frappe.db.exists("File", {"file_url": self.evidence_file}):
				frappe.throw(
					_("The signed document {0} is not an uploaded file.").format(self.evidence_file),
					title=_("Written Evidence Missing"),
				)
		elif self.evidence_type == "Written Acceptance":
			if not self.evidence_communication:
				frappe.throw(
					_(
						"Link the Communication (e.g. the client's email) in which the client accepted in writing."
					),
					title=_("Written Evidence Missing"),
				)
			if not frappe.db.exists("Communication", self.evidence_communication):
				frappe.throw(_("Communication {0} does not exist.").format(self.evidence_communication))
		else:
			frappe.throw(_("Choose how the written consent is evidenced."))

	def validate_dates(self):
		if self.valid_until and getdate(self.valid_until) < getdate(self.valid_from):
			frappe.throw(_("Valid Until cannot be before Valid From."))

	def validate_consent_form(self):
		if not self.consent_form:
			return
		form = frappe.db.get_value("Consent Form", self.consent_form, ["status", "version"], as_dict=True)
		if not form:
			frappe.throw(_("Consent Form {0} does not exist.").format(self.consent_form))
		if self.docstatus == 0 and form.status != "Current":
			frappe.throw(
				_("Consent Form {0} is {1}; consent can only be given on the current version.").format(
					frappe.bold(self.consent_form), _(form.status)
				)
			)
		self.consent_form_version = form.version

	def before_submit(self):
		self.validate_agreement()
		self.status = self.current_status()

	def validate_agreement(self):
		"""The level of confidentiality agreed at the start holds for ever (rule 3): a consent
		cannot go beyond the client's Confidentiality Agreement (the gate ignores what does)."""
		agreement = consents.agreement_for(clients.identity((self.party_type, self.party)))
		if agreement is None:
			return
		beyond = [_(row.purpose) for row in self.purposes if row.purpose not in agreement.purposes]
		if agreement.recipients:
			if not self.recipients:
				beyond.append(_("any recipient"))
			for row in self.recipients:
				ids = consents.row_ids(row)
				if not ids & agreement.recipients:
					beyond.append(row.recipient_user or row.recipient_email or row.recipient_address)
		if beyond:
			frappe.throw(
				_(
					"This consent goes beyond the Confidentiality Agreement {0} made with the client at the start ({1}). A consent cannot widen what was agreed; make a new written agreement with the client first."
				).format(get_link_to_form("Confidentiality Agreement", agreement.name), ", ".join(beyond)),
				title=_("Beyond The Confidentiality Agreement"),
			)

	def current_status(self):
		if self.docstatus == 2 or self.withdrawn_on:
			return "Withdrawn"
		if self.valid_until and getdate(self.valid_until) < getdate(today()):
			return "Expired"
		return "Active"

	def on_submit(self):
		self.forget_cached()
		self._log("Record Consent", _("Consent recorded for purposes: {0}.").format(self.purpose_list()))

	def on_update_after_submit(self):
		self.forget_cached()

	def before_cancel(self):
		if not self.withdrawal_reason:
			frappe.throw(
				_(
					"Use Withdraw to record why the client withdrew consent; a consent is never cancelled without a reason."
				),
				title=_("Withdrawal Reason Needed"),
			)
		self.withdrawn_on = self.withdrawn_on or now_datetime()
		self.withdrawn_by = self.withdrawn_by or frappe.session.user

	def on_cancel(self):
		self.db_set("status", "Withdrawn")
		self.forget_cached()
		self._log("Withdraw Consent", _("Consent withdrawn: {0}").format(self.withdrawal_reason))
		consents.lost(
			_("Consent {0} was withdrawn.").format(self.name), parties=[(self.party_type, self.party)]
		)

	def on_trash(self):
		if self.docstatus != 0:
			frappe.throw(
				_("Consent {0} is evidence and is never deleted. Withdraw it instead.").format(
					get_link_to_form(self.doctype, self.name)
				),
				frappe.PermissionError,
			)

	def purpose_list(self):
		return ", ".join(row.purpose for row in self.purposes)

	def forget_cached(self):
		if not consents.invalidate((self.party_type, self.party)):
			frappe.msgprint(
				_(
					"The consent cache could not be cleared; the change applies everywhere within {0} minutes."
				).format(facts.CACHE_TTL // 60),
				indicator="orange",
				alert=True,
			)

	def _log(self, action, reason):
		audit.append_on_commit(
			audit.Entry(
				action=action,
				channel="Client Consent",
				outcome="Recorded",
				reference_doctype=self.doctype,
				reference_name=self.name,
				client_doctype=self.party_type,
				client_name=self.party,
				reason=reason,
				basis=self.name,
			)
		)


def expire_consents():
	"""Scheduled daily: mark consents past Valid Until as Expired and remove the shares
	they allowed. The policy already ignores expired consents; this keeps the status true."""
	expired_parties = frappe.get_all(
		"Client Consent",
		filters={"docstatus": 1, "status": "Active", "valid_until": ["<", today()]},
		fields=["name", "party_type", "party"],
	)
	names = [row.name for row in expired_parties]
	for name in names:
		doc = frappe.get_doc("Client Consent", name)
		doc.db_set({"status": "Expired", "expired_on": doc.valid_until}, notify=True)
		doc.forget_cached()
		doc._log("Consent Expired", _("Consent expired on {0}.").format(doc.valid_until))
	if names:
		consents.lost(
			_("Consents expired: {0}.").format(", ".join(names)),
			parties=list({(p.party_type, p.party) for p in expired_parties}),
		)
	return names
