"""Print and PDF: a protected record (and a document that carries a client through its
client field: a Quotation to a Lead, a Sales Invoice to a Customer...) is printed only with
the client's consent for **Print**.

Every render goes through `frappe.www.printview.get_rendered_template`, which runs the
document's `before_print` (doc_events["*"]): /printview, `download_pdf` (also a guest's
link with a Document Share Key), `download_multi_pdf` (sync and async), `get_html_and_style`,
network printing (`print_by_server`) and `frappe.get_print`. `frappe.attach_print` renders a
mail's attachment: it is decided with the mail (the email channel), which then carries the
record, so a print mailed to the client themself is service mail.

A print has no identified recipient (the paper or the file goes wherever its holder takes
it): only a consent for Print that names no recipients allows it. Refusals name the client
and the missing purpose; a PDF download refused in the browser is a plain page, not JSON; a
multi-document PDF is refused as a whole, naming every document withheld and why, never
printed with pages silently left out.
"""

from __future__ import annotations

import json

import frappe
from frappe import _

from confidentiality_app.decision import gate

PRINT = "Print"
CHANNEL = "Print"


def _cleared() -> set[tuple[str, str]]:
	cleared = getattr(frappe.local, "confidentiality_print_cleared", None)
	if cleared is None:
		cleared = frappe.local.confidentiality_print_cleared = set()
	return cleared


def before_print(doc, method=None, print_settings=None):
	"""doc_events["*"]["before_print"]: the one point every render passes."""
	if not gate.active() or not gate.is_protected(doc.doctype):
		return
	if frappe.flags.ignore_print_permissions:
		# frappe.attach_print: a mail's attachment, decided with the mail
		from confidentiality_app.channels import email

		email.printed_for_mail(doc.doctype, doc.name)
		return
	if (doc.doctype, doc.name) in _cleared():
		return  # decided (and logged) by the request that asked for several at once
	gate.enforce(doc.doctype, doc.name, PRINT, channel=CHANNEL, action="Print", doc=doc)


def decide_all(records) -> list[gate.Verdict]:
	"""Decide and log a print of each record ([(doctype, name)]); the refused verdicts.
	The allowed ones are not decided again when they are rendered in this request."""
	refused = []
	for doctype, name in records:
		verdict = gate.check(doctype, name, PRINT, channel=CHANNEL, action="Print")
		if verdict.proceed:
			_cleared().add((doctype, name))
		else:
			refused.append(verdict)
	return refused


def _browser_get() -> bool:
	"""A page the browser opened (window.open of a download link), not a desk XHR."""
	request = getattr(frappe.local, "request", None)
	return bool(
		request
		and request.method == "GET"
		and request.headers.get("X-Requested-With") != "XMLHttpRequest"
		and "application/json" not in (request.headers.get("Accept") or "")
	)


def _refuse(refused: list[gate.Verdict], total: int):
	title = _("Refused by confidentiality rules")
	escape = frappe.utils.escape_html  # client names are typed by users
	if total == 1:
		message = escape(refused[0].message)
	else:
		items = "".join(f"<li>{escape(v.message)}</li>" for v in refused)
		message = (
			_(
				"{0} of the {1} documents cannot be printed, so no PDF was made (none is left out silently). Leave them out, or record the clients' consent for Print:"
			).format(len(refused), total)
			+ f"<ul>{items}</ul>"
		)
	if _browser_get():
		from frappe.website.serve import get_response

		frappe.respond_as_web_page(title, message, http_status_code=403, indicator_color="red")
		return get_response("message", http_status_code=403)
	frappe.throw(message, gate.ConfidentialityBlocked, title=title)


def _parsed(doctype):
	"""download_multi_pdf's new form: {doctype: [names]}, also when sent as JSON text."""
	if isinstance(doctype, str) and doctype.strip().startswith("{"):
		return json.loads(doctype)
	return doctype


def _records(doctype, name) -> list[tuple[str, str]]:
	"""The (doctype, name) pairs of a download_multi_pdf call, in both of its forms."""
	doctype = _parsed(doctype)
	if isinstance(doctype, dict):
		return [(dt, str(dn)) for dt, names in doctype.items() for dn in names or []]
	names = json.loads(name) if isinstance(name, str) and name.strip().startswith("[") else name
	if isinstance(names, str):
		names = [names]
	return [(doctype, str(n)) for n in names or []]


@frappe.whitelist(allow_guest=True)
def download_pdf(doctype, name, format=None, doc=None, no_letterhead=0, language=None, letterhead=None):
	"""Overrides frappe.utils.print_format.download_pdf: a refusal opened in the browser is
	a page that says why (Frappe would answer a JSON error)."""
	from frappe.utils import print_format

	if gate.active() and gate.is_protected(doctype) and not frappe.flags.ignore_print_permissions:
		# Frappe's own checks (read permission, share key) come first: a stranger learns nothing
		target = frappe.get_doc(doctype, name)
		from frappe.www.printview import validate_print_permission

		validate_print_permission(target)
		refused = decide_all([(doctype, name)])
		if refused:
			return _refuse(refused, 1)
	return print_format.download_pdf(
		doctype,
		name,
		format=format,
		doc=doc,
		no_letterhead=no_letterhead,
		language=language,
		letterhead=letterhead,
	)


@frappe.whitelist()
def download_multi_pdf(doctype, name, format=None, no_letterhead=False, letterhead=None, options=None):
	"""Overrides frappe.utils.print_format.download_multi_pdf (Frappe skips a page it cannot
	print without a word): every document is decided first; any refused, no PDF."""
	from frappe.utils import print_format

	records = _records(doctype, name)
	refused = decide_all([r for r in records if gate.active() and gate.is_protected(r[0])])
	if refused:
		return _refuse(refused, len(records))
	return print_format.download_multi_pdf(_parsed(doctype), name, format, no_letterhead, letterhead, options)


@frappe.whitelist()
def download_multi_pdf_async(doctype, name, format=None, no_letterhead=False, letterhead=None, options=None):
	"""Overrides frappe.utils.print_format.download_multi_pdf_async: decided in the request,
	before the job is queued (the job's renders are decided again, as every render is)."""
	from frappe.utils import print_format

	records = _records(doctype, name)
	refused = decide_all([r for r in records if gate.active() and gate.is_protected(r[0])])
	if refused:
		return _refuse(refused, len(records))
	return print_format.download_multi_pdf_async(
		_parsed(doctype), name, format, no_letterhead, letterhead, options
	)


@frappe.whitelist()
def report_to_pdf(html, orientation="Landscape"):
	"""Overrides frappe.utils.print_format.report_to_pdf, which turns HTML the browser sends
	(a report or list on screen) into a PDF: the HTML names no record, so the clients it
	names by address are decided, all at once, for Print. Any refused, no PDF."""
	from frappe.utils import print_format

	if gate.active():
		from confidentiality_app.decision import clients

		plain = frappe.utils.strip_html(html or "")
		addresses = set(clients.ADDRESS.findall(html or "")) | set(clients.ADDRESS.findall(plain))
		# a colleague named in the report (an owner, an assignee) is not a client
		colleagues = set(clients.desk_users(addresses, remember=False))
		found = [
			record
			for record, address in clients.records_with_addresses(addresses)
			if address not in colleagues
		]
		records = [(dt, dn, None) for dt, dn in dict.fromkeys(found) if gate.is_protected(dt)]
		if records:
			# the entry names the client who decides it (the refused one, if any)
			decision, _parties = gate.evaluate_records(records, PRINT)
			reference = decision.client or records[0][:2]
			verdict = gate.check(
				reference[0],
				reference[1],
				PRINT,
				channel=CHANNEL,
				action="Report PDF",
				records=records,
			)
			if not verdict.proceed:
				return _refuse([verdict], 1)
	return print_format.report_to_pdf(html, orientation=orientation)
