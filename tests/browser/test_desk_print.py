"""Desk scenario for print (Playwright + system Chromium, over HTTP).

test_print_of_a_lead_without_consent_is_refused_with_the_reason:
  1. A Lead exists with no consent.
  2. Its print view in the desk (/app/print/Lead/<name>) shows the refusal: the client, the
     missing purpose Print and how to record consent; no preview of the record.
  3. The PDF link opened in a browser tab is a page that says the same (not JSON, no PDF).
  4. A consent for Print is recorded (over REST, with a signed file): the same link now
     answers a PDF.
"""

from __future__ import annotations

import json
import uuid


def test_print_of_a_lead_without_consent_is_refused_with_the_reason(page, api, results_dir):
	tag = uuid.uuid4().hex[:8]
	email = f"browser-print-{tag}@example.com"
	lead = api.post(
		"/api/resource/Lead", {"first_name": "Browser", "last_name": f"Print {tag}", "email_id": email}
	)["data"]["name"]

	page.goto(f"/app/print/Lead/{lead}")
	refusal = page.locator(".msgprint").filter(has_text="purpose Print")
	refusal.wait_for()
	message = refusal.inner_text()
	assert lead in message and "Record Consent" in message
	assert email not in page.locator(".print-preview-wrapper, .print-format").all_inner_texts()
	page.screenshot(path=str(results_dir / "20-print-refused.png"))

	pdf_link = f"/api/method/frappe.utils.print_format.download_pdf?doctype=Lead&name={lead}"
	tab = page.context.new_page()
	response = tab.goto(pdf_link)
	assert response.status == 403
	assert response.headers["content-type"].startswith("text/html")
	body = tab.locator(".page-card").inner_text()
	assert "Refused by confidentiality rules" in body and "purpose Print" in body and lead in body
	tab.screenshot(path=str(results_dir / "21-pdf-refused.png"))

	signed = api.upload(f"print-consent-{tag}.txt", b"I agree that my file is printed.", "text/plain")
	api.post(
		"/api/method/confidentiality_app.api.record_consent",
		{
			"party_type": "Lead",
			"party": lead,
			"purposes": json.dumps(["Print"]),
			"evidence": signed["file_url"],
		},
	)
	pdf = api.r.get(pdf_link)
	assert pdf.status == 200, pdf.text()[:500]
	assert pdf.body().startswith(b"%PDF")
