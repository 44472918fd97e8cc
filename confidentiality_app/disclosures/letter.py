"""The letter to the client on completion (the Code: the practitioner writes to the client
confirming what was disclosed and why): the client's own address, the stored PDF, the mail
through the email gate and the signed link to the client's own page."""

from __future__ import annotations

import frappe
from frappe import _

from confidentiality_app.decision import clients
from confidentiality_app.disclosures import client_page
from confidentiality_app.disclosures.request import (
	DOCTYPE,
	LETTER_EMAIL_TEMPLATE,
	LETTER_PRINT_FORMAT,
	write_transition,
)

# --------------------------------------------------------------------------- the letter


def client_email(doc) -> str | None:
	"""The client's own email address: on the client record first, else any on the records
	of the same person."""
	meta = frappe.get_meta(doc.party_type)
	for field in clients._EMAIL_FIELDS:
		if meta.has_field(field):
			value = frappe.db.get_value(doc.party_type, doc.party, field)
			if value:
				return value
	if doc.party_type == "User":
		return frappe.db.get_value("User", doc.party, "email")
	found = sorted(
		a for a in clients.own_addresses(clients.identity((doc.party_type, doc.party))) if "@" in a
	)
	return found[0] if found else None


def send_letter(doc) -> str:
	"""The letter to the client: rendered from the office's print format, its PDF stored on
	the disclosure, and emailed to the client (service mail: it goes to the client
	themself). Returns what happened, for the log."""
	from frappe.utils.file_manager import save_file

	settings = clients.settings()
	print_format = settings.get("disclosure_letter_print_format") or LETTER_PRINT_FORMAT
	template = settings.get("disclosure_letter_email_template") or LETTER_EMAIL_TEMPLATE
	attachment = frappe.attach_print(
		DOCTYPE, doc.name, file_name=_("Disclosure Letter {0}").format(doc.name), print_format=print_format
	)
	content = attachment["fcontent"]
	if not attachment["fname"].endswith(".pdf"):
		from frappe.utils.pdf import get_pdf

		content = get_pdf(content)
		attachment = {"fname": attachment["fname"].rsplit(".", 1)[0] + ".pdf", "fcontent": content}
	stored = save_file(attachment["fname"], content, DOCTYPE, doc.name, is_private=1)
	address = client_email(doc)
	if not address:
		note = _(
			"The letter is stored on the disclosure; the client has no email address: print and post it."
		)
		write_transition(doc, {"letter_file": stored.file_url, "letter_note": note})
		return note

	context = {"doc": doc, "client_name": doc.party_name, "disclosures_link": client_page_link(doc)}
	if frappe.db.exists("Email Template", template):
		email = frappe.get_doc("Email Template", template)
		subject = frappe.render_template(email.subject, context)
		message = frappe.render_template(email.response_html if email.use_html else email.response, context)
	else:
		subject = _("What was disclosed about you: {0}").format(doc.name)
		message = _("Please find attached our letter about a disclosure of your information.")
	before = set(
		frappe.get_all(
			"Email Queue", {"reference_doctype": DOCTYPE, "reference_name": doc.name}, pluck="name"
		)
	)
	frappe.sendmail(
		recipients=[address],
		subject=subject,
		message=message,
		attachments=[attachment],
		reference_doctype=DOCTYPE,
		reference_name=doc.name,
	)
	queued = [
		q
		for q in frappe.get_all(
			"Email Queue",
			{"reference_doctype": DOCTYPE, "reference_name": doc.name},
			["name", "status"],
			order_by="creation desc",
		)
		if q.name not in before
	]
	sent = bool(queued) and queued[0].status not in ("Error", "Held")
	note = (
		_("The letter was queued to the client at {0}.").format(address)
		if sent
		else _("The letter to the client at {0} could not be queued; it is stored on the disclosure.").format(
			address
		)
	)
	write_transition(
		doc,
		{
			"letter_file": stored.file_url,
			"letter_sent": 1 if sent else 0,
			"letter_email": queued[0].name if queued else None,
			"letter_note": note,
		},
	)
	return note


def client_page_link(doc) -> str:
	"""The signed, expiring link to the page where the client sees what was disclosed about
	them (www/client_disclosures)."""
	return client_page.signed_link(doc.party_type, doc.party)
