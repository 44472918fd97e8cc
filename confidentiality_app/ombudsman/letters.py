"""The case's letters (acknowledgement, determination) to the complainant and each respondent: print
formats made into PDFs kept on the case, mailed through the email gate and logged; the released
items only to the client at the client's own address."""

from __future__ import annotations

import frappe
from frappe import _

from confidentiality_app.decision import clients
from confidentiality_app.ombudsman.cases import log_case

# --------------------------------------------------------------------------- letters


def _practitioner_address(practitioner: str) -> str | None:
	email, user = frappe.db.get_value("Practitioner", practitioner, ["email", "user"]) or (None, None)
	return email or (frappe.db.get_value("User", user, "email") if user else None)


def letter_recipients(doc) -> list[tuple[str, str, str]]:
	"""(to whom, name, address): the complainant and every respondent with an address, once each. The
	complainant is written to as the client only at an address the client's own records hold
	(whoever ticks "complainant is the client", an address given on a form proves nothing)."""
	found: list[tuple[str, str, str]] = []
	if doc.complainant_email:
		address = doc.complainant_email.strip()
		own = clients.own_addresses(clients.identity((doc.client_type, doc.client))) if doc.client else ()
		is_client = clients.normalise(address) in own
		found.append(("client" if is_client else "complainant", doc.complainant_name, address))
	for row in doc.respondents:
		address = row.practitioner and _practitioner_address(row.practitioner)
		if address and address.strip() not in [a for _, _, a in found]:
			found.append(("respondent", row.practitioner_name or row.practitioner, address.strip()))
	return found


def send_letters(doc, print_format: str) -> list[str]:
	"""The letter of a stage (a print format) to the complainant and to each respondent: its PDF
	kept on the case (private) and mailed, each logged with its recipient. The determination
	letter lists what was released, and to whom, only to the client themself (at the client's
	own address) and to the respondents (who released it): any other complainant is told the
	outcome.
	Returns the Email Queue names."""
	queued = []
	for to_whom, name, address in letter_recipients(doc):
		try:
			queued += _send_letter(doc, print_format, to_whom, name, address)
		except Exception as error:
			# the stage has moved; a letter that could not be made is not lost silently: the
			# log and the officer are told to print it from the case and post it
			frappe.log_error(title=f"Confidentiality: {print_format} for {doc.name} not sent")
			log_case(
				doc,
				"Letter Not Sent",
				_("{0} to the {1} could not be made ({2}): print it from the case and post it").format(
					_(print_format),
					_(to_whom),
					str(error).splitlines()[0][:200] if str(error) else type(error).__name__,
				),
				recipient=address,
			)
			frappe.msgprint(
				_("The {0} to {1} could not be made: print it from the case and post it.").format(
					_(print_format), address
				),
				indicator="orange",
				alert=True,
			)
	return queued


def _send_letter(doc, print_format: str, to_whom: str, name: str, address: str) -> list[str]:
	from frappe.utils.file_manager import save_file

	doc.flags.letter_for, doc.flags.letter_to = to_whom, name
	try:
		attachment = frappe.attach_print(
			"Ombudsman Case",
			doc.name,
			file_name=_("{0} {1} ({2})").format(_(print_format), doc.name, _(to_whom)),
			print_format=print_format,
			doc=doc,
		)
	finally:
		doc.flags.letter_for = doc.flags.letter_to = None
	if not attachment["fname"].endswith(".pdf"):
		from frappe.utils.pdf import get_pdf

		attachment = {
			"fname": attachment["fname"].rsplit(".", 1)[0] + ".pdf",
			"fcontent": get_pdf(attachment["fcontent"]),
		}
	save_file(attachment["fname"], attachment["fcontent"], "Ombudsman Case", doc.name, is_private=1)
	mine = {"reference_doctype": "Ombudsman Case", "reference_name": doc.name}
	before = set(frappe.get_all("Email Queue", mine, pluck="name"))
	frappe.sendmail(
		recipients=[address],
		subject=_("{0}: {1}").format(_(print_format), doc.name),
		message=_("<p>Please find attached the Ombudsman Service's letter about case {0}.</p>").format(
			doc.name
		),
		attachments=[attachment],
		**mine,
	)
	log_case(
		doc, "Send Letter", _("{0} sent to the {1}").format(_(print_format), _(to_whom)), recipient=address
	)
	return [q for q in frappe.get_all("Email Queue", mine, pluck="name") if q not in before]
