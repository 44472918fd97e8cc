"""Desk scenario for a disclosure (Playwright + system Chromium, over HTTP, a real SMTP server).

test_a_practitioner_requests_an_officer_approves_the_mail_goes_out_and_the_letter_is_queued:
  1. A Lead (with its own address) and a government body in the Disclosure Authority
     register exist; a practitioner and a Confidentiality Officer are users of the site.
  2. The practitioner opens the Lead, chooses Confidentiality > Request Disclosure, fills in
     the ground (a government requirement), what is disclosed and why, the authority, its
     reference and the channel (Email), saves and submits: the request is Pending Approval.
  3. The officer opens it and approves it.
  4. The authority is mailed from the Lead's form (by the office's mailbox user): the
     composer sends (the disclosure allows it), and the SMTP server receives the mail once.
  5. The officer completes the disclosure: the letter to the client is queued to the
     client's own address with its PDF, and sent.
"""

from __future__ import annotations

import json
import uuid

from conftest import TIMEOUT_MS
from test_desk_email import smtp  # noqa: F401  (the SMTP fixture)

PASSWORD = "Cf-" + uuid.uuid4().hex[:12] + "-9!"


def make_user(api, roles) -> str:
	email = f"cf-browser-{uuid.uuid4().hex[:8]}@example.com"
	api.post(
		"/api/resource/User",
		{
			"email": email,
			"first_name": email.split("@")[0],
			"send_welcome_email": 0,
			"user_type": "System User",
			"roles": [{"role": r} for r in roles],
		},
	)
	# after insert: an app that re-saves the user (Frappe LMS adds a role) drops a password
	# given at insert
	response = api.r.put(f"/api/resource/User/{email}", data={"new_password": PASSWORD})
	assert response.ok, response.text()[:500]
	return email


def desk(browser, base_url, user):
	context = browser.new_context(base_url=base_url, viewport={"width": 1440, "height": 1000})
	context.set_default_timeout(TIMEOUT_MS)
	page = context.new_page()
	page.goto("/login")
	page.fill("#login_email", user)
	page.fill("#login_password", PASSWORD)
	page.click(".btn-login")
	page.wait_for_url(lambda url: "/login" not in url)
	page.goto("/app")
	page.wait_for_function("() => window.frappe && frappe.boot && frappe.session.user")
	return page


def open_form(page, doctype_route, name):
	page.goto(f"/app/{doctype_route}/{name}")
	page.wait_for_function(f"() => window.cur_frm && cur_frm.doc.name === {json.dumps(name)}")


def set_link(page, fieldname, value):
	"""A Link (or Table MultiSelect) value set through the form's own model, as picking it
	from the dropdown does (its change handlers run); Frappe's dropdown itself is not what
	this test is about."""
	page.evaluate("([f, v]) => cur_frm.set_value(f, v)", [fieldname, value])


def queue(api, doctype, name):
	return api.get(
		"/api/resource/Email Queue",
		params={
			"filters": json.dumps([["reference_doctype", "=", doctype], ["reference_name", "=", name]]),
			"fields": json.dumps(["name", "status"]),
		},
	)["data"]


def test_a_practitioner_requests_an_officer_approves_the_mail_goes_out_and_the_letter_is_queued(
	browser,
	base_url,
	api,
	smtp,  # noqa: F811
	results_dir,
	page,
):
	admin_page = page
	tag = uuid.uuid4().hex[:8]
	client_email = f"browser-client-{tag}@example.com"
	lead = api.post(
		"/api/resource/Lead",
		{"first_name": "Browser", "last_name": f"Disclosure {tag}", "email_id": client_email},
	)["data"]["name"]
	authority_email = f"safeguarding-{tag}@authority.example"
	authority = api.post(
		"/api/resource/Disclosure Authority",
		{
			"authority_name": f"Safeguarding Board {tag}",
			"authority_type": "Government Body",
			"email": authority_email,
		},
	)["data"]["name"]
	practitioner = make_user(api, ["Practitioner", "Sales User"])
	officer = make_user(api, ["Confidentiality Officer", "Sales User"])

	# 2. the practitioner files the request from the client's form
	page = desk(browser, base_url, practitioner)
	open_form(page, "lead", lead)
	page.locator(".inner-group-button button", has_text="Confidentiality").first.click()
	page.locator(".dropdown-menu.show .dropdown-item", has_text="Request Disclosure").first.click()
	page.wait_for_function(
		f"() => window.cur_frm && cur_frm.doctype === 'Disclosure Request' && cur_frm.doc.party === {json.dumps(lead)}"
	)
	page.select_option('.frappe-control[data-fieldname="ground"] select', "Government Requirement")
	page.locator('.frappe-control[data-fieldname="description"] textarea').fill(f"Attendance dates {tag}")
	page.locator('.frappe-control[data-fieldname="purpose"] textarea').fill("A production order of the board")
	set_link(page, "authority", authority)
	page.wait_for_function(f"() => cur_frm.doc.recipient_email === {json.dumps(authority_email)}")
	page.locator('.frappe-control[data-fieldname="authority_reference"] input').fill(f"ORDER-{tag}")
	page.locator('.frappe-control[data-fieldname="evidence"] textarea').fill(
		"The board's order of 1 December"
	)
	set_link(page, "channels", [{"channel": "Email"}])
	page.wait_for_function("() => (cur_frm.doc.channels || []).some(r => r.channel === 'Email')")
	page.keyboard.press("Control+s")
	page.wait_for_function("() => !cur_frm.is_new() && !cur_frm.is_dirty()")
	request = page.evaluate("() => cur_frm.doc.name")
	page.locator(".page-actions .primary-action", has_text="Submit").click()
	page.locator(".modal.show .btn-primary", has_text="Yes").click()
	page.wait_for_function("() => cur_frm.doc.docstatus === 1 && cur_frm.doc.status === 'Pending Approval'")
	page.screenshot(path=str(results_dir / "41-disclosure-requested.png"))
	page.context.close()

	# 3. the officer approves it
	page = desk(browser, base_url, officer)
	open_form(page, "disclosure-request", request)
	page.locator(".page-actions button", has_text="Approve").first.click()
	page.locator(".modal.show .btn-primary", has_text="Yes").click()
	page.wait_for_function("() => cur_frm.doc.status === 'Approved'")
	page.screenshot(path=str(results_dir / "42-disclosure-approved.png"))

	# 4. the mail to the authority goes out from the client's form (the office's mailbox user:
	# a Sales User's composer cannot read the site's Email Accounts)
	officer_page = page
	page = admin_page
	open_form(page, "lead", lead)
	activity_tab = page.locator(".form-tabs .nav-link", has_text="Activities")
	if activity_tab.count():
		activity_tab.first.click()
	page.locator(".timeline-actions button:visible", has_text="New Email").first.click()
	dialog = page.locator(".modal.show").filter(has=page.locator('[data-fieldname="recipients"]'))
	dialog.wait_for(state="visible")
	dialog.locator('[data-fieldname="subject"] input').fill(f"Attendance {tag}")
	dialog.locator('[data-fieldname="content"] .ql-editor[contenteditable="true"]').fill(f"Dates {tag}")
	dialog.locator('[data-fieldname="recipients"] input').fill(authority_email)
	page.wait_for_function(
		"(v) => [...document.querySelectorAll('.modal.show [data-fieldname=\"recipients\"] input')].some(i => i.value.includes(v))",
		arg=authority_email,
	)
	with page.expect_response(lambda r: "communication.email.make" in r.url) as sent:
		dialog.locator(".modal-footer .btn-primary").click()
	assert sent.value.ok, sent.value.text()[:1000]
	dialog.wait_for(state="hidden")
	(row,) = queue(api, "Lead", lead)
	api.post("/api/method/frappe.email.doctype.email_queue.email_queue.send_now", {"name": row["name"]})
	assert smtp.count(authority_email) == 1

	# 5. completing it writes to the client
	page = officer_page
	open_form(page, "disclosure-request", request)
	page.locator(".page-actions button", has_text="Complete and Write to the Client").first.click()
	page.locator(".modal.show .btn-primary", has_text="Yes").click()
	page.wait_for_function("() => cur_frm.doc.status === 'Completed' && cur_frm.doc.letter_sent === 1")
	page.screenshot(path=str(results_dir / "43-disclosure-letter.png"))
	(letter,) = queue(api, "Disclosure Request", request)
	recipients = api.get(f"/api/resource/Email Queue/{letter['name']}")["data"]["recipients"]
	assert [r["recipient"] for r in recipients] == [client_email]
	api.post("/api/method/frappe.email.doctype.email_queue.email_queue.send_now", {"name": letter["name"]})
	assert smtp.count(client_email) == 1
	assert smtp.count(authority_email) == 1
	page.context.close()
