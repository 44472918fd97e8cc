"""Desk scenario for export (Playwright + system Chromium, over HTTP; realtime needs the
site's socket.io server, as every bench runs it: `.ci/run` starts it).

test_a_report_view_export_withholds_unconsented_rows_and_says_so:
  1. Two Leads share a tag; one client consented to Export (over REST, with a signed file).
  2. The Lead report view, filtered to the tag, is exported as CSV from its menu.
  3. The file holds the consented Lead only: no name, no address of the other.
  4. The desk shows why: 1 of 2 rows exported, 1 withheld, the record withheld, and how
     to include it (consent for Export).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path


def test_a_report_view_export_withholds_unconsented_rows_and_says_so(page, api, results_dir):
	tag = uuid.uuid4().hex[:8]
	last_name = f"Export {tag}"
	leads = {}
	for label in ("open", "closed"):
		email = f"browser-export-{label}-{tag}@example.com"
		leads[label] = (
			api.post(
				"/api/resource/Lead", {"first_name": label.title(), "last_name": last_name, "email_id": email}
			)["data"]["name"],
			email,
		)
	signed = api.upload(f"export-consent-{tag}.txt", b"I agree that my record is exported.", "text/plain")
	api.post(
		"/api/method/confidentiality_app.api.record_consent",
		{
			"party_type": "Lead",
			"party": leads["open"][0],
			"purposes": json.dumps(["Export"]),
			"evidence": signed["file_url"],
		},
	)

	page.goto(f"/app/lead/view/report?last_name={last_name.replace(' ', '%20')}")
	page.wait_for_function("() => frappe.realtime.socket && frappe.realtime.socket.connected", timeout=30_000)
	page.locator(".dt-scrollable").filter(has_text=leads["closed"][0]).wait_for()
	page.click(".menu-btn-group button")
	page.locator(".menu-btn-group .dropdown-menu .dropdown-item", has_text="Export").first.click()
	page.wait_for_function(
		"() => window.cur_dialog && cur_dialog.fields_dict.file_format && cur_dialog.$wrapper.is(':visible')"
	)
	page.evaluate("() => cur_dialog.set_value('file_format', 'CSV')")
	page.wait_for_timeout(300)
	with page.expect_download() as download_info:
		page.locator(".modal.show .btn-primary", has_text="Download").click()
	content = Path(download_info.value.path()).read_text(encoding="utf-8")
	assert leads["open"][0] in content
	assert leads["closed"][0] not in content and leads["closed"][1] not in content

	notice = page.locator(".msgprint").filter(has_text="withheld")
	notice.wait_for()
	text = notice.inner_text()
	assert "1 of 2 rows exported, 1 withheld" in text, text
	assert leads["closed"][0] in text and "consent for Export" in text, text
	page.screenshot(path=str(results_dir / "30-export-withheld.png"))
