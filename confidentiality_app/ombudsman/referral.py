"""Referral to a regulator or government body, only on a government requirement or serious danger:
a Disclosure Request the Confidentiality Office approves, and the case sent once under it."""

from __future__ import annotations

import frappe
from frappe import _

from confidentiality_app.decision.permissions import OMBUDSMAN
from confidentiality_app.log import audit
from confidentiality_app.ombudsman.cases import DETERMINATION_LETTER, REFERRAL_GROUNDS, log_case, refuse

# --------------------------------------------------------------------------- referral


def refer(doc, authority: str, ground: str, purpose: str, authority_reference: str | None = None) -> str:
	"""Referral of a case to a regulator or government body (a Disclosure Authority) is itself a
	disclosure: it becomes a Disclosure Request for the case's client, naming the client and
	the records released in the findings, to the authority's address by email, on the ground
	given; the Confidentiality Office approves it by the disclosure rules and only then does
	`send_referral` mail the case. Returns the request's name."""
	if OMBUDSMAN not in frappe.get_roles():
		refuse(_("Only an Ombudsman Officer refers a case."))
	if doc.referral and frappe.db.get_value("Disclosure Request", doc.referral, "docstatus") != 2:
		refuse(_("Case {0} is already referred: {1}.").format(doc.name, doc.referral))
	if not doc.client:
		refuse(_("Link the case to its client first: a referral discloses the client's information."))
	if ground not in REFERRAL_GROUNDS:
		refuse(
			_(
				"A referral to a regulator is made on a government requirement or for serious danger, not {0}."
			).format(_(ground or "-"))
		)
	if not (purpose or "").strip():
		refuse(_("Say why the case is referred."))
	values = frappe.db.get_value(
		"Disclosure Authority", authority or "", ["authority_name", "email", "disabled"], as_dict=True
	)
	if not values or values.disabled:
		refuse(_("{0} is not a Disclosure Authority in the register.").format(authority or "-"))
	if not values.email:
		refuse(_("Disclosure Authority {0} has no email address to refer the case to.").format(authority))
	records = [(doc.client_type, doc.client)]
	for row in frappe.get_all(
		audit.LOG_DOCTYPE,
		{"name": ["in", [f.log_entry for f in doc.findings] or [""]]},
		["reference_doctype", "reference_name"],
	):
		if (
			row.reference_doctype
			and row.reference_name
			and frappe.db.exists(row.reference_doctype, row.reference_name)
			and (row.reference_doctype, row.reference_name) not in records
		):
			records.append((row.reference_doctype, row.reference_name))
	request = frappe.get_doc(
		{
			"doctype": "Disclosure Request",
			"party_type": doc.client_type,
			"party": doc.client,
			"ground": ground,
			"description": _("Ombudsman Case {0} ({1}) and the records it examined").format(
				doc.name, doc.about
			),
			"purpose": purpose.strip(),
			"records": [{"reference_doctype": d, "reference_name": n} for d, n in records],
			"channels": [{"channel": "Email"}],
			"recipient_name": values.authority_name,
			"recipient_email": values.email,
			"authority": authority,
			"authority_reference": (authority_reference or "").strip() or doc.name,
			"evidence": _("Referral of Ombudsman Case {0}: {1}").format(doc.name, purpose.strip()),
			"client_told": 1,
			"max_uses": 1,
		}
	)
	request.flags.ignore_permissions = True
	request.insert()
	request.submit()
	frappe.db.set_value("Ombudsman Case", doc.name, "referral", request.name, update_modified=False)
	doc.referral = request.name
	log_case(
		doc,
		"Refer Case",
		_("Referral to {0} requested as {1} ({2})").format(values.authority_name, request.name, _(ground)),
		recipient=values.email,
	)
	return request.name


def send_referral(doc) -> str:
	"""Mail the case to the authority under its approved referral. The mail is about the
	client's record, so the email gate decides it like any other: the approved disclosure
	allows it (and its use is counted); without one it is held and logged. Returns the Email
	Queue name."""
	if OMBUDSMAN not in frappe.get_roles():
		refuse(_("Only an Ombudsman Officer refers a case."))
	if not doc.referral:
		refuse(_("Case {0} has no referral: refer it first.").format(doc.name))
	request = frappe.db.get_value(
		"Disclosure Request", doc.referral, ["status", "recipient_email", "recipient_name"], as_dict=True
	)
	if request.status != "Approved":
		refuse(
			_(
				"The referral {0} is {1}: the Confidentiality Office approves it before the case is sent."
			).format(doc.referral, _(request.status))
		)
	doc.flags.letter_for = "authority"
	try:
		attachment = frappe.attach_print(
			"Ombudsman Case",
			doc.name,
			file_name=_("Referral {0}").format(doc.name),
			print_format=DETERMINATION_LETTER,
			doc=doc,
		)
	finally:
		doc.flags.letter_for = None
	frappe.sendmail(
		recipients=[request.recipient_email],
		subject=_("Referral of Ombudsman Case {0}").format(doc.name),
		message=_("<p>{0}: please find attached Ombudsman Case {1}, referred under {2}.</p>").format(
			frappe.utils.escape_html(request.recipient_name), doc.name, doc.referral
		),
		attachments=[attachment],
		reference_doctype=doc.client_type,
		reference_name=doc.client,
		now=False,
	)
	queued = frappe.get_all(
		"Email Queue",
		{"reference_doctype": doc.client_type, "reference_name": doc.client},
		["name", "status"],
		order_by="creation desc",
		limit=1,
	)
	status = queued[0].status if queued else None
	log_case(
		doc,
		"Send Referral",
		_("Case sent to {0} under {1}: {2}").format(request.recipient_name, doc.referral, status or "-"),
		recipient=request.recipient_email,
		decision="Allow" if status == "Not Sent" else "Deny",
	)
	return queued[0].name if queued else ""
