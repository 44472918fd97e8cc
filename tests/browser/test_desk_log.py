"""The Confidentiality Log in the desk, as the Ombudsman Officer who relies on it.

test_ombudsman_officer_lists_filters_and_opens_log_entries:
  1. An Ombudsman Officer (only that role) is created over REST, and a refused share
     writes a Blocked entry for a new Lead.
  2. Logged in as the officer, /app/confidentiality-log lists entries (no "Page not
     found"), with no button to add one; Verify Chain shows the last full verification
     and runs a new one, which passes (every entry, the chain, the Merkle tree and the
     published checkpoints); a filter on Outcome = Blocked shows the entry.
  3. The entry opens read-only: no Save, and the Open > Document button leads to the
     Lead it names.

Run against a running site, see conftest.py for the environment variables.
"""

from __future__ import annotations

import json
import uuid

from test_desk_consent import SHARE_TARGET, ensure_user, make_lead, wait_for_form

PASSWORD = "Ombudsman-" + uuid.uuid4().hex[:10] + "!9"


def make_ombudsman(api, run: str) -> str:
	email = f"ombudsman-{run}@example.com"
	api.post(
		"/api/resource/User",
		{
			"email": email,
			"first_name": "Ombudsman",
			"last_name": run,
			"user_type": "System User",
			"send_welcome_email": 0,
			"new_password": PASSWORD,
			"roles": [{"role": "Ombudsman Officer"}],
		},
	)
	# apps that re-save a new user may drop new_password: set it again
	api.post(
		"/api/method/frappe.client.set_value",
		{"doctype": "User", "name": email, "fieldname": "new_password", "value": PASSWORD},
	)
	return email


def login(browser, base_url, user, password):
	context = browser.new_context(base_url=base_url, viewport={"width": 1440, "height": 1000})
	context.set_default_timeout(30_000)
	page = context.new_page()
	errors: list[str] = []
	page.on("pageerror", lambda e: errors.append(str(e)))
	page.js_errors = errors
	page.goto("/login")
	page.fill("#login_email", user)
	page.fill("#login_password", password)
	page.click(".btn-login")
	page.wait_for_url(lambda url: "/login" not in url)
	return context, page


def test_ombudsman_officer_lists_filters_and_opens_log_entries(browser, base_url, api, results_dir):
	run = uuid.uuid4().hex[:8]
	lead = make_lead(api, f"Logged {run}")
	ensure_user(api, SHARE_TARGET)
	refused = api.r.post(
		"/api/method/frappe.share.add",
		data={"doctype": "Lead", "name": lead, "user": SHARE_TARGET, "read": 1},
	)
	assert refused.status == 403, refused.text()[:500]
	# the refusal is accepted at once and sealed within the merge delay: seal now, as the
	# desk list does when it opens
	api.post("/api/method/confidentiality_app.api.seal_log", {})
	entry = api.get(
		"/api/resource/Confidentiality Log",
		params={
			"filters": json.dumps([["reference_name", "=", lead], ["outcome", "=", "Blocked"]]),
			"fields": json.dumps(["name"]),
			# the newest: a lead name can come back after a rolled-back test reused it
			"order_by": "sequence desc",
			"limit_page_length": 1,
		},
	)["data"][0]["name"]
	officer = make_ombudsman(api, run)

	context, page = login(browser, base_url, officer, PASSWORD)
	try:
		_check(page, entry, lead, results_dir)
	except Exception:
		page.screenshot(path=str(results_dir / "log-list-failure.png"), full_page=True)
		raise
	finally:
		context.close()


def _check(page, entry, lead, results_dir):
	if True:
		page.goto("/app/confidentiality-log")
		page.wait_for_function(
			"() => window.cur_list && cur_list.doctype === 'Confidentiality Log' && cur_list.data && cur_list.data.length > 0"
		)
		assert "not found" not in page.locator(".page-container:visible").inner_text().lower()
		# append-only: no way to add an entry
		assert page.locator(".page-actions:visible .primary-action:visible").count() == 0

		# the officer opens the last verification from the list, runs a new one and sees it pass
		page.locator(".page-actions:visible button", has_text="Verify Chain").first.click()
		result = page.locator(".modal:visible .confidentiality-verify-result")
		result.wait_for(state="visible", timeout=60_000)
		page.locator(".modal:visible .btn-primary", has_text="Run Verification Now").click()
		passed = page.locator('.modal:visible .confidentiality-verify-result[data-status="Passed"]')
		passed.wait_for(state="visible", timeout=180_000)
		text = passed.inner_text()
		assert "The log verifies" in text and "Tree root" in text, text
		page.screenshot(path=str(results_dir / "08-log-verify-ombudsman.png"))
		page.locator(".modal:visible .btn-modal-close").first.click()
		result.wait_for(state="hidden")

		# filtered as an officer would from a link or the Outcome filter
		page.goto("/app/confidentiality-log?outcome=Blocked")
		page.wait_for_function(
			"""(name) => window.cur_list && cur_list.doctype === 'Confidentiality Log' && cur_list.data
				&& cur_list.data.some((d) => d.name === name) && cur_list.data.every((d) => d.outcome === 'Blocked')""",
			arg=entry,
		)
		row = page.locator(f'.list-row-container:visible a[data-name="{entry}"]').first
		row.wait_for(state="visible")
		page.screenshot(path=str(results_dir / "09-log-list-ombudsman.png"))

		row.click()
		wait_for_form(page, "Confidentiality Log", entry)
		assert page.evaluate("() => cur_frm.doc.reference_name") == lead
		assert page.locator(".page-actions:visible .primary-action:visible", has_text="Save").count() == 0
		page.screenshot(path=str(results_dir / "10-log-entry-ombudsman.png"))

		group = page.locator('.inner-group-button[data-label="Open"]:visible')
		group.locator("button").click()
		group.locator('.dropdown-item[data-label="Document"]').click()
		page.wait_for_function("(lead) => location.pathname.endsWith('/' + lead)", arg=lead)
		assert not page.js_errors, f"JavaScript errors in the desk: {page.js_errors}"


def test_officer_redacts_a_client_and_the_entry_says_so(page, api, results_dir):
	"""An officer (Administrator holds every role) erases a client from the log from the
	list's Client menu; the entry then shows who redacted it, when and why, and the client's
	name is gone from it while the entry stays."""
	run = uuid.uuid4().hex[:8]
	lead = make_lead(api, f"Erased {run}")
	ensure_user(api, SHARE_TARGET)
	refused = api.r.post(
		"/api/method/frappe.share.add",
		data={"doctype": "Lead", "name": lead, "user": SHARE_TARGET, "read": 1},
	)
	assert refused.status == 403, refused.text()[:500]
	api.post("/api/method/confidentiality_app.api.seal_log", {})
	entry = api.get(
		"/api/resource/Confidentiality Log",
		params={
			"filters": json.dumps([["reference_name", "=", lead], ["outcome", "=", "Blocked"]]),
			"fields": json.dumps(["name"]),
			"order_by": "sequence desc",
			"limit_page_length": 1,
		},
	)["data"][0]["name"]
	try:
		page.goto("/app/confidentiality-log")
		page.wait_for_function("() => window.cur_list && cur_list.doctype === 'Confidentiality Log'")
		group = page.locator('.inner-group-button[data-label="Client"]:visible')
		group.locator("button").click()
		group.locator('.dropdown-item[data-label="Redact%20Client"]').click()
		page.wait_for_function("() => window.cur_dialog && cur_dialog.fields_dict.client_name")
		page.evaluate(
			"""(lead) => { cur_dialog.set_value("client_doctype", "Lead");
			   return cur_dialog.set_value("client_name", lead); }""",
			lead,
		)
		page.wait_for_function("(lead) => cur_dialog.get_value('client_name') === lead", arg=lead)
		page.locator(".modal:visible textarea[data-fieldname='reason']").fill(f"Erasure request {run}")
		page.locator(".modal:visible .btn-primary", has_text="Redact").click()
		page.locator(".modal:visible .btn-primary", has_text="Yes").click()
		page.locator(".modal:visible .msgprint", has_text="entries redacted").wait_for(state="visible")
		page.screenshot(path=str(results_dir / "11-log-redacted.png"))

		page.goto(f"/app/confidentiality-log/{entry}")
		wait_for_form(page, "Confidentiality Log", entry)
		headline = page.locator(".layout-main-section :text('Redacted on')").first
		headline.wait_for(state="visible")
		text = headline.inner_text()
		assert "Redacted on" in text and f"Erasure request {run}" in text, text
		assert page.evaluate("() => cur_frm.doc.client_name") == ""
		assert page.evaluate("() => cur_frm.doc.reference_name") == ""
		page.screenshot(path=str(results_dir / "12-log-entry-redacted.png"))
		assert not page.js_errors, f"JavaScript errors in the desk: {page.js_errors}"
	except Exception:
		page.screenshot(path=str(results_dir / "log-redact-failure.png"), full_page=True)
		raise
