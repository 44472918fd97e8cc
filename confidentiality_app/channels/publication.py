"""Presentations and social media: a client is never shown in a public page, a blog post or
a social media post without their consent for **Presentation** (web pages, blog posts) or
**Social Media** (social media posts).

A publication names a client when its text carries the address of one of their records, or
the full name of one (a name of two words or more, matched whole, case-insensitively:
"Ann" alone never matches). Matching is set-based: one query per client doctype for the
names, one set of queries for the addresses, whatever the length of the text. It is
decided when the page is saved published (or scheduled / posted), and refused with the
client named and the purpose missing.
"""

from __future__ import annotations

import re

import frappe
from frappe.utils import strip_html

from confidentiality_app import clients, gate

PRESENTATION = "Presentation"
SOCIAL_MEDIA = "Social Media"
# doctype: (purpose, text fields, "is it public?" field or None: always when saved)
PUBLICATIONS = {
	"Web Page": (
		PRESENTATION,
		("title", "main_section", "main_section_md", "main_section_html", "meta_description", "header"),
		"published",
	),
	"Blog Post": (
		PRESENTATION,
		("title", "blog_intro", "content", "content_md", "content_html", "meta_description"),
		"published",
	),
	# ERPNext v14's Social Media Post (not in ERPNext v15; wired for sites that still have it)
	"Social Media Post": (SOCIAL_MEDIA, ("text", "linkedin_post_text", "title"), None),
}
MIN_NAME_WORDS = 2
# a desk user is a colleague, never a client (a User is a client only as an LMS learner)
_EXTRA = {"User": "AND user_type = 'Website User'"}
_NAME_FIELDS = {
	"Lead": "lead_name",
	"Customer": "customer_name",
	"Contact": "full_name",
	"CRM Lead": "lead_name",
	"User": "full_name",
}


def named_clients(text: str) -> list[tuple[str, str]]:
	"""The client records a text names, by address or by full name."""
	from confidentiality_app.clients import ADDRESS as _ADDRESS
	from confidentiality_app.clients import clients_by_address

	if not text:
		return []
	plain = strip_html(text)
	found: list[tuple[str, str]] = []
	for parties in clients_by_address(set(_ADDRESS.findall(plain))).values():
		found += [p for p in parties if p not in found]
	folded = " " + re.sub(r"\s+", " ", plain).lower() + " "
	kinds = clients.client_doctypes()
	for doctype, field in _NAME_FIELDS.items():
		if doctype not in kinds or not frappe.db.table_exists(doctype):
			continue
		if not frappe.get_meta(doctype).has_field(field):
			continue
		# the database finds the names contained in the text: one query, no scan in Python
		for name, title in frappe.db.sql(
			f"""SELECT name, `{field}` FROM `tab{doctype}`
			WHERE `{field}` LIKE '%% %%' AND CHAR_LENGTH(`{field}`) >= 5 {_EXTRA.get(doctype, "")}
			AND LOCATE(CONCAT(' ', LOWER(TRIM(`{field}`)), ' '), %s) > 0""",
			(re.sub(r"[^\w'-]", " ", folded),),
		):
			if len((title or "").split()) >= MIN_NAME_WORDS and (doctype, name) not in found:
				found.append((doctype, name))
	return found


def _text_of(doc, fields) -> str:
	return "\n".join(str(doc.get(f) or "") for f in fields)


def validate_publication(doc, method=None):
	"""doc_events[<Web Page | Blog Post | Social Media Post>]["validate"]."""
	rule = PUBLICATIONS.get(doc.doctype)
	if not rule or not gate.active():
		return
	purpose, fields, public_field = rule
	if public_field and not doc.get(public_field):
		return
	named = named_clients(_text_of(doc, fields))
	if not named:
		return
	gate.enforce(
		doc.doctype,
		doc.name or doc.get("title") or "",
		purpose,
		channel="Presentation" if purpose == PRESENTATION else "Social Media",
		action="Publish",
		records=[(dt, dn, None) for dt, dn in named],
		service_to_client=False,
		with_action=True,
	)
