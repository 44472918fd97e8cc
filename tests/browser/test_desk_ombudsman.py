"""Desk scenario for the Ombudsman Service (Playwright + system Chromium, over HTTP).

test_a_public_complaint_becomes_a_case_determined_with_a_sanction:
  1. A client (a Lead with the client's consent to share with a colleague), a coach who is a
     user of the site and a Practitioner, and the coach's release: the coach shares the
     client's record (logged, Allowed).
  2. A member of the public, not logged in, files a complaint on /complaint: the page shows
     the case's reference and nothing about any record.
  3. An Ombudsman Officer opens the case, links it to the client and the coach, moves it to
     Acknowledged (the letters go) and Under Investigation, opens Determine: the coach's
     share is the one release in the evidence; the officer finds it had no valid reason.
     The case records a breach of confidentiality and of duty of care and refuses to close.
  4. The officer raises a sanction (suspension) from the case, and closes the case; the
     practitioner is suspended. The client receives the receipt, the acknowledgement and the
     determination letters, the coach both letters, at a real SMTP server.
"""

from __future__ import annotations

import json
import uuid

from conftest import TIMEOUT_MS
from test_desk_consent import SIGNED_PDF
from test_desk_disclosure import PASSWORD, desk, make_user, open_form
from test_desk_email import smtp  # noqa: F401  (the SMTP fixture)


def login_api(playwright_instance, base_url, user):
	context = playwright_instance.request.new_context(
		base_url=base_url, extra_http_headers={"Accept": "application/json"}
	)
	response = context.post("/api/method/login", form={"usr": user, "pwd": PASSWORD})
	assert response.ok, response.text()[:500]
	return context


def click_menu(page, group, item):
	"""The form rebuilds its buttons when it reloads: open the group until the item shows."""
	entry = page.locator(".dropdown-menu.show .dropdown-item", has_text=item).first
	for _ in range(10):
		page.locator(".inner-group-button button:visible", has_text=group).first.click()
		try:
			entry.wait_for(state="visible", timeout=1500)
			break
		except Exception:
			page.keyboard.press("Escape")
	entry.click()


def case_status(page, status):
	page.wait_for_function(f"() => cur_frm && cur_frm.doc.status === {json.dumps(status)}")
	# the form reloads (and rebuilds its buttons) once the move's answer is in
	page.wait_for_load_state("networkidle")
	page.wait_for_timeout(500)


def test_a_public_complaint_becomes_a_case_determined_with_a_sanction(
	browser,
	playwright_instance,
	base_url,
	api,
	smtp,  # noqa: F811
	results_dir,
):
	tag = uuid.uuid4().hex[:8]
	# 1. the client, the coach, the coach's release of the client's record
	lead = api.post(
		"/api/resource/Lead",
		{"first_name": "Complaining", "last_name": f"Client {tag}", "email_id": f"client-{tag}@example.com"},
	)["data"]["name"]
	coach = make_user(api, ["Sales User"])
	colleague = make_user(api, ["Sales User"])
	officer = make_user(api, ["Ombudsman Officer"])
	practitioner = api.post(
		"/api/resource/Practitioner",
		{
			"practitioner_name": f"Coach {tag}",
			"category": "Coach",
			"organisation": "Coaching Works Ltd",
			"user": coach,
		},
	)["data"]["name"]
	evidence = api.upload(f"signed-{tag}.pdf", SIGNED_PDF, "application/pdf", is_private=1)
	api.post(
		"/api/method/confidentiality_app.api.record_consent",
		{
			"party_type": "Lead",
			"party": lead,
			"purposes": ["Share"],
			"recipients": [colleague],
			"evidence": evidence["file_url"],
		},
	)
	as_coach = login_api(playwright_instance, base_url, coach)
	shared = as_coach.post(
		"/api/method/frappe.share.add", data={"doctype": "Lead", "name": lead, "user": colleague, "read": 1}
	)
	assert shared.ok, shared.text()[:1000]
	as_coach.dispose()

	# 2. the public complaint, without a login
	context = browser.new_context(base_url=base_url, viewport={"width": 1200, "height": 1000})
	context.set_default_timeout(TIMEOUT_MS)
	public = context.new_page()
	public.goto("/complaint")
	public.fill("#complainant_name", f"Complaining Client {tag}")
	public.fill("#complainant_email", f"client-{tag}@example.com")
	public.fill("#about", f"My coaching notes were shared {tag}")
	public.fill("#respondent", f"Coach {tag}")
	public.fill("#organisation", "Coaching Works Ltd")
	public.fill("#description", "My coach shared my notes with a colleague without a reason.")
	public.click("#complaint-submit")
	result = public.locator("#complaint-result")
	result.wait_for(state="visible")
	public.screenshot(path=str(results_dir / "51-complaint-filed.png"))
	(case,) = api.get(
		"/api/resource/Ombudsman Case",
		params={"filters": json.dumps([["complainant_email", "=", f"client-{tag}@example.com"]])},
	)["data"]
	case = case["name"]
	assert case in result.inner_text()
	assert lead not in public.content()
	context.close()

	# 3. the officer investigates and determines
	page = desk(browser, base_url, officer)
	open_form(page, "ombudsman-case", case)
	case_status(page, "Received")
	page.evaluate(
		"""([lead, practitioner]) => {
			cur_frm.set_value("client_type", "Lead");
			return frappe.after_ajax(() => {
				cur_frm.set_value("client", lead);
				cur_frm.add_child("respondents", { practitioner });
				cur_frm.refresh_field("respondents");
			});
		}""",
		[lead, practitioner],
	)
	page.wait_for_function(f"() => cur_frm.doc.client === {json.dumps(lead)}")
	page.keyboard.press("Control+s")
	page.wait_for_function("() => !cur_frm.is_dirty() && (cur_frm.doc.respondents || []).length === 1")
	click_menu(page, "Move To", "Acknowledged")
	case_status(page, "Acknowledged")
	click_menu(page, "Move To", "Under Investigation")
	case_status(page, "Under Investigation")
	page.locator(".page-actions button", has_text="Determine").first.click()
	dialog = page.locator(".modal.show", has_text="Record Determination")
	dialog.wait_for(state="visible")
	rows = dialog.locator(".grid-body .grid-row")
	rows.first.wait_for(state="visible")
	assert rows.count() == 1, dialog.inner_text()
	assert colleague in rows.first.inner_text()
	page.screenshot(path=str(results_dir / "52-case-determine.png"))
	dialog.locator(".modal-footer .btn-primary", has_text="Record Determination").click()
	case_status(page, "Determination")
	assert page.evaluate(
		"() => [cur_frm.doc.breach_of_confidentiality, cur_frm.doc.breach_of_duty_of_care]"
	) == [1, 1]
	# a breach without a sanction does not close
	click_menu(page, "Move To", "Closed")
	refusal = page.locator(".modal.show:visible", has_text="raise at least one sanction").first
	refusal.wait_for(state="visible")
	refusal.locator(".btn-modal-close").click()
	refusal.wait_for(state="hidden")
	click_menu(page, "Move To", "Sanctions")
	case_status(page, "Sanctions")

	# 4. the sanction, then the case closes
	page.locator(".page-actions button", has_text="Raise Sanction").first.click()
	page.wait_for_function(
		f"() => cur_frm && cur_frm.doctype === 'Sanction' && cur_frm.doc.case === {json.dumps(case)}"
	)
	page.select_option('.frappe-control[data-fieldname="sanction_type"] select', "Suspension")
	page.keyboard.press("Control+s")
	page.wait_for_function("() => cur_frm.doctype === 'Sanction' && !cur_frm.is_new() && !cur_frm.is_dirty()")
	page.screenshot(path=str(results_dir / "53-sanction.png"))
	open_form(page, "ombudsman-case", case)
	click_menu(page, "Move To", "Closed")
	case_status(page, "Closed")
	page.screenshot(path=str(results_dir / "54-case-closed.png"))

	assert api.get(f"/api/resource/Practitioner/{practitioner}")["data"]["status"] == "Suspended"
	sanctions = api.get(
		"/api/resource/Sanction",
		params={
			"filters": json.dumps([["case", "=", case]]),
			"fields": json.dumps(["sanction_type", "practitioner"]),
		},
	)["data"]
	assert sanctions == [{"sanction_type": "Suspension", "practitioner": practitioner}]
	breaches = api.get(
		"/api/resource/Confidentiality Breach",
		params={
			"filters": json.dumps([["case", "=", case]]),
			"fields": json.dumps(["practitioner", "recipient"]),
		},
	)["data"]
	assert len(breaches) == 1 and breaches[0]["practitioner"] == practitioner

	# the receipt, the acknowledgement and the determination reach the client; both letters
	# reach the coach (sent now rather than by the scheduler)
	queued = api.get(
		"/api/resource/Email Queue",
		params={
			"filters": json.dumps(
				[["reference_doctype", "=", "Ombudsman Case"], ["reference_name", "=", case]]
			),
			"fields": json.dumps(["name"]),
		},
	)["data"]
	for row in queued:
		api.post("/api/method/frappe.email.doctype.email_queue.email_queue.send_now", {"name": row["name"]})
	assert smtp.count(f"client-{tag}@example.com") == 3
	assert smtp.count(coach) == 2
	page.context.close()
