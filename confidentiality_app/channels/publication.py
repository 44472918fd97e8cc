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

from confidentiality_app.decision import clients, gate

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
# a colleague is never a client (a User is a client only as an LMS learner)
_EXTRA = {
	"User": f"AND NOT (`tabUser`.user_type = 'System User' AND {clients.STAFF.replace('u.name', '`tabUser`.name')})"
}
_NAME_FIELDS = {
	"Lead": "lead_name",
	"Customer": "customer_name",
	"Contact": "full_name",
	"CRM Lead": "lead_name",
	"User": "full_name",
}


def named_clients(text: str) -> list[tuple[str, str]]:
	"""The client records a text names, by address or by full name."""
	from confidentiality_app.decision.clients import ADDRESS as _ADDRESS
	from confidentiality_app.decision.clients import clients_by_address

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


# ---------------------------------------------------------------------------
# Frappe LMS: its public pages show learners (a learner is a User, the client record).
# The pages are a Vue app fed by guest-allowed methods; hooks.py overrides the ones that
# name learners, and each override removes the learners without Presentation consent
# before the answer leaves. The learner themself always sees their own entry.
# ---------------------------------------------------------------------------
SHOW = "Show on public page"


def _screen_users(users, reference: tuple[str, str]) -> set[str]:
	"""The users among `users` who may not be shown publicly."""
	me = frappe.session.user
	withheld = gate.screen(
		[("User", u) for u in users if u],
		PRESENTATION,
		channel="Presentation",
		action=SHOW,
		reference=reference,
		exempt=frozenset({("User", me)}),
	)
	return {name for _dt, name in withheld}


@frappe.whitelist(allow_guest=True)
def lms_certified_participants():
	"""Overrides lms.lms.api.get_certified_participants (the public Certified Participants
	page): a learner is listed only with consent for Presentation."""
	from lms.lms.api import get_certified_participants

	rows = [row for row in get_certified_participants() if row]
	hidden = _screen_users([row.get("name") for row in rows], ("Web Page", "certified-participants"))
	return [row for row in rows if row.get("name") not in hidden]


@frappe.whitelist(allow_guest=True)
def lms_reviews(course):
	"""Overrides lms.lms.utils.get_reviews (a course page's reviews): a review is shown
	only when its author has consented to Presentation."""
	from lms.lms.utils import get_reviews

	rows = get_reviews(course)
	hidden = _screen_users([row.get("owner") for row in rows], ("LMS Course", str(course)))
	return [row for row in rows if row.get("owner") not in hidden]


@frappe.whitelist(allow_guest=True)
def lms_batch_details(batch):
	"""Overrides lms.lms.utils.get_batch_details (a batch page): the students list names
	only learners who consented to Presentation (seats left are still counted on all)."""
	from lms.lms.utils import get_batch_details

	details = get_batch_details(batch)
	if details and details.get("students"):
		hidden = _screen_users(details.students, ("LMS Batch", str(batch)))
		details.students = [s for s in details.students if s not in hidden]
	return details


def validate_certificate(doc, method=None):
	"""doc_events["LMS Certificate"]["validate"]: a certificate is published (shown on the
	public certificate page and the Certified Participants list) only with the learner's
	consent for Presentation."""
	if not doc.get("published") or not doc.get("member") or not gate.active():
		return
	gate.enforce(
		doc.doctype,
		doc.name or doc.get("member"),
		PRESENTATION,
		channel="Presentation",
		action="Publish",
		records=[("User", doc.member, None)],
		service_to_client=False,
		with_action=True,
	)
