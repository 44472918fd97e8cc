"""The client's own page: what was disclosed about them, to whom, when and on which ground
(the Code asks the practitioner to tell the client; the letter links here). Opened with the
signed, expiring link of the letter, or by the client logged in as their own User record.
Disclosures on serious danger whose letter was withheld (telling the client would increase
the danger) are not listed. Every view is logged."""

from __future__ import annotations

import hmac
import time

import frappe
from frappe import _

from confidentiality_app.decision import clients
from confidentiality_app.disclosures import client_page
from confidentiality_app.log import audit

no_cache = 1


def _client_from_request() -> tuple[str, str] | None:
	form = frappe.form_dict
	party_type, party = form.get("party_type"), form.get("party")
	if party_type and party and form.get("signature") and form.get("expires"):
		try:
			expires = int(form.get("expires"))
		except (TypeError, ValueError):
			return None
		if expires < time.time():
			return None
		if hmac.compare_digest(client_page.signature(party_type, party, expires), str(form.get("signature"))):
			return (party_type, party)
		return None
	user = frappe.session.user
	if user not in ("Guest", "Administrator") and "User" in clients.client_doctypes():
		return ("User", user)
	return None


def get_context(context):
	client = _client_from_request()
	if client is None:
		# the same answer whether or not the client exists: nothing is revealed
		frappe.throw(
			_("This link is not valid or has expired. Ask us for a new one."), frappe.PermissionError
		)
	same_person = clients.identity(client)
	rows = frappe.get_all(
		"Disclosure Request",
		filters={
			"docstatus": 1,
			"status": ["in", ["Approved", "Completed"]],
			"client_told": 1,
			"party": ["in", [p[1] for p in same_person]],
		},
		fields=[
			"name",
			"party_type",
			"party",
			"description",
			"recipient_name",
			"ground",
			"purpose",
			"approved_on",
			"completed_on",
		],
		order_by="approved_on desc",
	)
	same = set(map(tuple, same_person))
	context.disclosures = [r for r in rows if (r.party_type, r.party) in same]
	context.client_name = clients.title_of(client).split(" (")[0]
	context.title = _("What we disclosed about you")
	context.no_breadcrumbs = True
	try:
		audit.append(
			audit.Entry(
				action="View Own Disclosures",
				channel="Client Page",
				decision="Allow",
				outcome="Allowed",
				reference_doctype=client[0],
				reference_name=client[1],
				client_doctype=client[0],
				client_name=client[1],
				reason=_("The client viewed the {0} disclosures made about them.").format(
					len(context.disclosures)
				),
				basis="to_client",
			)
		)
	except audit.LogUnavailable:
		frappe.log_error(title="Confidentiality: log unavailable")
	return context
