"""Desk scenarios for client consent (Playwright + system Chromium, over HTTP).

test_record_consent_then_unconsented_share_is_refused:
  1. Two Leads are created over REST; a user to share with exists.
  2. Lead A's form shows the Client Consent panel's empty state.
  3. Record Consent (Confidentiality menu) opens a Client Consent for Lead A; purpose Share
     is picked in the Table MultiSelect, the signed document (uploaded over REST) is set,
     the consent is saved (Ctrl+S) and submitted (Submit, Yes): status Active.
  4. Lead A's panel lists the consent; sharing Lead A now works.
  5. Lead B (no consent): the sidebar share dialog's Add is refused with the gate's
     message, no DocShare exists, a Blocked log entry does, and the refusal's
     Record Consent button opens a consent for Lead B.

test_withdraw_needs_a_reason_and_removes_the_shares_it_allowed:
  a consent recorded over REST is withdrawn from its form: no reason, no withdrawal; with
  a reason it is Withdrawn (no Amend, Record New Consent instead), the share it allowed is
  gone and the Lead's panel says so.

Run against a running site, see conftest.py for the environment variables.
"""

from __future__ import annotations

import json
import re
import uuid

SHARE_TARGET = "browser.share.target@example.com"

# A minimal one-page PDF: the "signed consent form".
SIGNED_PDF = (
	b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
	b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
	b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
	b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def make_lead(api, label: str) -> str:
	lead = api.post(
		"/api/resource/Lead",
		{"first_name": "Browser", "last_name": label},
	)["data"]
	return lead["name"]


def ensure_user(api, email: str) -> None:
	if api.status(f"/api/resource/User/{email}") == 200:
		return
	api.post(
		"/api/resource/User",
		{
			"email": email,
			"first_name": "Share",
			"last_name": "Target",
			"user_type": "System User",
			"send_welcome_email": 0,
			# a role that reads no Lead: sharing with them releases something new
			"roles": [{"role": "Blogger"}],
		},
	)


def doc_shares(api, doctype: str, name: str) -> list[dict]:
	return api.get(
		"/api/resource/DocShare",
		params={
			"filters": json.dumps([["share_doctype", "=", doctype], ["share_name", "=", name]]),
			"fields": json.dumps(["name", "user"]),
		},
	)["data"]


def open_form(page, doctype: str, name: str) -> None:
	slug = doctype.lower().replace(" ", "-")
	page.goto(f"/app/{slug}/{name}")
	wait_for_form(page, doctype, name)


def wait_for_form(page, doctype: str, name: str | None = None) -> None:
	page.wait_for_function(
		"""([doctype, name]) => window.cur_frm && cur_frm.doctype === doctype && cur_frm.doc
			&& (name === null ? true : cur_frm.doc.name === name)
			&& cur_frm.layout && cur_frm.layout.wrapper && cur_frm.layout.wrapper.is(':visible')""",
		arg=[doctype, name],
	)


def no_modal_animating(page, open_modals: int = 0) -> None:
	"""Wait until Bootstrap's fade transitions are over: exactly `open_modals` dialogs shown,
	the others hidden (display: none), and backdrops to match."""
	page.wait_for_function(
		"""(n) => {
			const modals = [...document.querySelectorAll('.modal')];
			const shown = modals.filter((m) => getComputedStyle(m).display !== 'none');
			return shown.length === n && shown.every((m) => m.classList.contains('show'))
				&& document.querySelectorAll('.modal-backdrop').length === n
				&& [...document.querySelectorAll('.modal-backdrop')].every((b) => b.classList.contains('show'));
		}""",
		arg=open_modals,
	)
	page.wait_for_timeout(200)  # the last opacity transition


def consent_panel(page, party_type: str, party: str):
	"""The panel's block for one client, once the API answered (not 'Loading...')."""
	panel = page.locator(".confidentiality-consent-panel:visible")
	client = panel.locator(f'.consent-client[data-party-type="{party_type}"][data-party="{party}"]')
	client.wait_for(state="visible")
	return panel, client


def test_record_consent_then_unconsented_share_is_refused(page, api, results_dir):
	run = uuid.uuid4().hex[:8]
	lead_a = make_lead(api, f"Consented {run}")
	lead_b = make_lead(api, f"Unconsented {run}")
	ensure_user(api, SHARE_TARGET)
	evidence = api.upload(f"signed-consent-{run}.pdf", SIGNED_PDF, "application/pdf", is_private=1)
	assert evidence["is_private"] and evidence["file_url"].startswith("/private/files/")

	# -- Lead A: no consent yet -------------------------------------------------------------
	open_form(page, "Lead", lead_a)
	panel, client = consent_panel(page, "Lead", lead_a)
	empty = client.locator(".consent-empty")
	assert "No consent recorded" in empty.inner_text()
	assert "may not be shared, emailed, printed or exported" in empty.inner_text()
	assert panel.locator(".consent-panel-summary").inner_text().strip() == "No active consent"
	page.screenshot(path=str(results_dir / "01-lead-no-consent.png"))

	# -- Record Consent from the Confidentiality menu ----------------------------------------
	group = page.locator('.inner-group-button[data-label="Confidentiality"]:visible')
	group.locator("button").click()
	group.locator('.dropdown-item[data-label="Record%20Consent"]').click()
	page.wait_for_function("() => window.cur_frm && cur_frm.doctype === 'Client Consent' && cur_frm.is_new()")
	wait_for_form(page, "Client Consent")
	prefilled = page.evaluate("() => [cur_frm.doc.party_type, cur_frm.doc.party]")
	assert prefilled == ["Lead", lead_a]
	assert "Written evidence is required" in page.locator(".form-message:visible").inner_text()

	# purpose "Share" through the Table MultiSelect's awesomplete
	purposes = page.locator('.frappe-control[data-fieldname="purposes"] input:visible')
	purposes.click()
	purposes.fill("Share")
	option = page.locator(
		'.frappe-control[data-fieldname="purposes"] [role="listbox"] [role="option"]:visible',
		has_text=re.compile(r"^\s*Share\b"),
	).first
	option.click()
	page.wait_for_function("() => (cur_frm.doc.purposes || []).some((row) => row.purpose === 'Share')")
	# the signed document: uploaded over REST above, attached here
	page.evaluate("(url) => cur_frm.set_value('evidence_file', url)", evidence["file_url"])
	page.wait_for_function("(url) => cur_frm.doc.evidence_file === url", arg=evidence["file_url"])
	page.screenshot(path=str(results_dir / "02-new-consent-filled.png"), full_page=True)

	# save (Ctrl+S)
	page.locator("body").click(position={"x": 5, "y": 300})  # leave the input
	page.keyboard.press("Control+s")
	page.wait_for_function(
		"() => cur_frm.doctype === 'Client Consent' && !cur_frm.is_new() && cur_frm.doc.docstatus === 0 && !cur_frm.is_dirty()"
	)
	consent = page.evaluate("() => cur_frm.doc.name")
	assert consent.startswith("CONS-")

	# submit: the Submit primary action, then Yes in the confirmation
	page.locator(".page-actions .primary-action:visible", has_text="Submit").click()
	confirm = page.locator(".modal.show:visible", has_text=f"Permanently Submit {consent}")
	confirm.locator(".btn-primary", has_text="Yes").click()
	page.wait_for_function(
		"(name) => cur_frm.doc.name === name && cur_frm.doc.docstatus === 1 && cur_frm.doc.status === 'Active'",
		arg=consent,
	)
	indicator = page.locator(".page-head:visible .indicator-pill", has_text="Active").first
	indicator.wait_for(state="visible")
	assert indicator.inner_text().strip() == "Active"
	withdraw = page.locator(".page-actions:visible button", has_text="Withdraw")
	withdraw.first.wait_for(state="visible")  # the form re-renders its buttons after submit
	assert withdraw.count() == 1
	no_modal_animating(page)
	page.screenshot(path=str(results_dir / "03-consent-submitted.png"))

	# -- Lead A again: the panel lists the consent ------------------------------------------
	open_form(page, "Lead", lead_a)
	panel, client = consent_panel(page, "Lead", lead_a)
	link = client.locator("a.consent-link", has_text=consent)
	link.wait_for(state="visible")
	row = client.locator(".consent-list li").filter(has=page.locator("a.consent-link", has_text=consent))
	assert "Active" in row.locator(".indicator-pill").inner_text()
	assert "Share" in row.inner_text()
	assert client.locator(".consent-empty").count() == 0
	assert "Share" in client.locator(".consent-covers").inner_text()
	page.screenshot(path=str(results_dir / "04-lead-with-consent.png"))

	# the consent allows sharing Lead A (no named recipients: anyone)
	shared = page.evaluate(
		"""([name, user]) => frappe.call({method: 'frappe.share.add',
			args: {doctype: 'Lead', name, user, read: 1}}).then((r) => r.message && r.message.user)""",
		[lead_a, SHARE_TARGET],
	)
	assert shared == SHARE_TARGET
	assert [s["user"] for s in doc_shares(api, "Lead", lead_a)] == [SHARE_TARGET]

	# -- Lead B: no consent, the share dialog is refused -------------------------------------
	open_form(page, "Lead", lead_b)
	consent_panel(page, "Lead", lead_b)[1].locator(".consent-empty").wait_for(state="visible")
	page.locator(".form-sidebar:visible .form-shared .share-doc-btn").click()
	share_dialog = page.locator(".modal.show:visible", has_text=f"Share {lead_b} with")
	user_input = share_dialog.locator(".input-wrapper-add-share input")
	user_input.wait_for(state="visible")
	user_input.click()
	user_input.fill(SHARE_TARGET)
	suggestion = share_dialog.locator('[role="option"]:visible', has_text=SHARE_TARGET).first
	suggestion.click()
	page.wait_for_function(
		"(user) => cur_dialog && cur_dialog.share_with && cur_dialog.share_with.get_value() === user",
		arg=SHARE_TARGET,
	)
	share_dialog.locator(".add-share-read").check()
	share_dialog.locator(".btn-add-share").click()

	refusal = page.locator(".modal.show .modal-dialog.msgprint-dialog:visible")
	refusal.wait_for(state="visible")
	no_modal_animating(page, open_modals=2)  # the share dialog, and the refusal on top
	title = refusal.locator(".modal-title").inner_text()
	message = refusal.locator(".msgprint").inner_text()
	page.screenshot(path=str(results_dir / "05-share-refused.png"))
	assert "Refused by confidentiality rules" in title
	assert "is refused" in message
	assert "no consent for purpose Share" in message
	assert lead_b in message

	assert doc_shares(api, "Lead", lead_b) == []

	# the refusal offers to record the missing consent, for this Lead
	refusal.locator(".modal-footer .btn-primary", has_text="Record Consent").click()
	page.wait_for_function(
		"(lead) => cur_frm.doctype === 'Client Consent' && cur_frm.is_new() && cur_frm.doc.party === lead",
		arg=lead_b,
	)
	assert page.evaluate("() => cur_frm.doc.party_type") == "Lead"
	no_modal_animating(page)
	# the refusal was accepted at once; seal it into the chain now, as the desk list does
	api.post("/api/method/confidentiality_app.api.seal_log", {})
	blocked = api.get(
		"/api/resource/Confidentiality Log",
		params={
			"filters": json.dumps(
				[
					["reference_doctype", "=", "Lead"],
					["reference_name", "=", lead_b],
					["outcome", "=", "Blocked"],
				]
			),
			"fields": json.dumps(["name", "action", "outcome"]),
		},
	)["data"]
	assert blocked, f"no Blocked Confidentiality Log entry for Lead {lead_b}"

	assert not page.js_errors, f"JavaScript errors in the desk: {page.js_errors}"


def test_withdraw_needs_a_reason_and_removes_the_shares_it_allowed(page, api, results_dir):
	run = uuid.uuid4().hex[:8]
	lead = make_lead(api, f"Withdrawing {run}")
	ensure_user(api, SHARE_TARGET)
	evidence = api.upload(f"signed-consent-{run}.pdf", SIGNED_PDF, "application/pdf", is_private=1)
	consent = api.post(
		"/api/method/confidentiality_app.api.record_consent",
		{"party_type": "Lead", "party": lead, "purposes": ["Share"], "evidence": evidence["file_url"]},
	)["message"]
	api.post(
		"/api/method/frappe.share.add",
		{"doctype": "Lead", "name": lead, "user": SHARE_TARGET, "read": 1},
	)
	assert [s["user"] for s in doc_shares(api, "Lead", lead)] == [SHARE_TARGET]

	open_form(page, "Client Consent", consent)
	page.wait_for_function("() => cur_frm.doc.docstatus === 1 && cur_frm.doc.status === 'Active'")
	# Withdraw replaces Cancel
	actions = page.locator(".page-actions:visible")
	actions.locator("button", has_text="Withdraw").click()
	dialog = page.locator(".modal.show:visible", has_text=f"Withdraw Consent {consent}")
	dialog.wait_for(state="visible")
	assert "kept as evidence" in dialog.inner_text()

	# no reason: refused by the dialog, nothing withdrawn
	dialog.locator(".modal-footer .btn-danger", has_text="Withdraw").click()
	missing = page.locator(".modal.show .modal-dialog.msgprint-dialog:visible", has_text="Reason")
	missing.wait_for(state="visible")
	missing.locator(".btn-modal-close").click()
	no_modal_animating(page, open_modals=1)
	assert page.evaluate("() => cur_frm.doc.docstatus") == 1

	dialog.locator('textarea[data-fieldname="reason"]').fill("The client asked by email to stop sharing.")
	page.screenshot(path=str(results_dir / "06-withdraw-dialog.png"))
	dialog.locator(".modal-footer .btn-danger", has_text="Withdraw").click()
	page.wait_for_function(
		"(name) => cur_frm.doc.name === name && cur_frm.doc.docstatus === 2 && cur_frm.doc.status === 'Withdrawn'",
		arg=consent,
	)
	intro = page.locator(".form-message:visible")
	intro.wait_for(state="visible")
	assert "The client asked by email to stop sharing." in intro.inner_text()
	assert page.locator(".page-head:visible .indicator-pill").first.inner_text().strip() == "Withdrawn"
	assert page.locator(".page-actions:visible button", has_text="Record New Consent").count() == 1
	assert page.locator(".page-actions:visible .primary-action:visible", has_text="Amend").count() == 0
	no_modal_animating(page)
	page.screenshot(path=str(results_dir / "07-consent-withdrawn.png"))

	# the share the consent allowed is gone, and the Lead shows why
	assert doc_shares(api, "Lead", lead) == []
	open_form(page, "Lead", lead)
	_panel, client = consent_panel(page, "Lead", lead)
	client.locator(".consent-empty").wait_for(state="visible")
	assert "No active consent" in client.locator(".consent-empty").inner_text()
	row = client.locator(".consent-list li").filter(has=page.locator("a.consent-link", has_text=consent))
	assert "Withdrawn" in row.locator(".indicator-pill").inner_text()
	page.screenshot(path=str(results_dir / "08-lead-after-withdrawal.png"))

	assert not page.js_errors, f"JavaScript errors in the desk: {page.js_errors}"
