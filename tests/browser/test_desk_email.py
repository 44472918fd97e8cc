"""Desk scenario for email (Playwright + system Chromium, over HTTP, a real SMTP server).

test_compose_to_a_third_party_is_refused_then_sent_after_consent:
  1. A Lead (with its own address) exists; the site's outgoing Email Account points at an
     aiosmtpd server started by this test on loopback.
  2. From the Lead's form, New Email to an outside address with a subject and a message:
     Send is refused with the gate's message (the client, the recipient, purpose Email,
     how to record consent); nothing is queued; New Email brings back what was written.
  3. A consent for Email naming that address is recorded (over REST, with a signed file).
  4. Send again from the composer: it closes; the queued mail is sent (Frappe's
     send_now, what the scheduler's flush calls) and the SMTP server receives it, once,
     for that address only.
"""

from __future__ import annotations

import json
import socket
import uuid

import pytest

ACCOUNT = "Confidentiality Browser SMTP"


class Sink:
	def __init__(self):
		from aiosmtpd.controller import Controller

		self.received: list[tuple[list[str], bytes]] = []
		sink = self

		class Handler:
			async def handle_DATA(self, server, session, envelope):
				sink.received.append(([r.lower() for r in envelope.rcpt_tos], envelope.content))
				return "250 OK"

		with socket.socket() as s:
			s.bind(("127.0.0.1", 0))
			self.port = s.getsockname()[1]
		self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
		self.controller.start()

	def count(self, address: str) -> int:
		return sum(r.count(address.lower()) for r, _data in self.received)


@pytest.fixture()
def smtp(api):
	pytest.importorskip("aiosmtpd")
	sink = Sink()
	values = {
		"email_id": "office@browser-test.example",
		"enable_outgoing": 1,
		"default_outgoing": 1,
		"smtp_server": "127.0.0.1",
		"smtp_port": sink.port,
		"use_tls": 0,
		"use_ssl_for_outgoing": 0,
		"no_smtp_authentication": 1,
		"enable_incoming": 0,
	}
	if api.status(f"/api/resource/Email Account/{ACCOUNT}") == 200:
		api.r.put(f"/api/resource/Email Account/{ACCOUNT}", data=values)
	else:
		api.post("/api/resource/Email Account", {"email_account_name": ACCOUNT, **values})
	yield sink
	api.r.put(f"/api/resource/Email Account/{ACCOUNT}", data={"enable_outgoing": 0, "default_outgoing": 0})
	api.r.delete(f"/api/resource/Email Account/{ACCOUNT}")
	sink.controller.stop()


def queue_rows(api, lead: str) -> list[dict]:
	return api.get(
		"/api/resource/Email Queue",
		params={
			"filters": json.dumps([["reference_doctype", "=", "Lead"], ["reference_name", "=", lead]]),
			"fields": json.dumps(["name", "status"]),
		},
	)["data"]


def test_compose_to_a_third_party_is_refused_then_sent_after_consent(page, api, smtp, results_dir):
	tag = uuid.uuid4().hex[:8]
	lead = api.post(
		"/api/resource/Lead",
		{
			"first_name": "Browser",
			"last_name": f"Mail {tag}",
			"email_id": f"browser-client-{tag}@example.com",
		},
	)["data"]["name"]
	outside = f"supervisor-{tag}@elsewhere.example"
	subject = f"Session summary {tag}"
	body = f"What we agreed today {tag}"

	page.goto(f"/app/lead/{lead}")
	page.wait_for_function(f"() => window.cur_frm && cur_frm.doc.name === {json.dumps(lead)}")
	# the form's timeline (Activities tab) has the composer's New Email button
	activity_tab = page.locator(".form-tabs .nav-link", has_text="Activities")
	if activity_tab.count():
		activity_tab.first.click()
	page.locator(".timeline-actions button:visible", has_text="New Email").first.click()
	dialog = page.locator(".modal").filter(has=page.locator('[data-fieldname="recipients"]'))
	dialog.wait_for(state="visible")
	# subject and message first, the address last: the address field is an autocomplete
	# that can take keystrokes meant for the next field while its suggestions load
	dialog.locator('[data-fieldname="subject"] input').fill(subject)
	dialog.locator('[data-fieldname="content"] .ql-editor[contenteditable="true"]').fill(body)
	recipients = dialog.locator('[data-fieldname="recipients"] input')
	recipients.fill(outside)
	page.wait_for_function(
		"(v) => [...document.querySelectorAll('.modal.show [data-fieldname=\"recipients\"] input')].some(i => i.value.includes(v))",
		arg=outside,
	)
	assert dialog.locator('[data-fieldname="subject"] input').input_value() == subject
	dialog.locator(".modal-footer .btn-primary").click()

	refusal = page.locator(".msgprint").filter(has_text="no consent for purpose Email")
	refusal.wait_for()
	message = refusal.inner_text()
	assert outside in message and "Record Consent" in message and lead in message
	page.screenshot(path=str(results_dir / "11-email-refused.png"))
	assert queue_rows(api, lead) == []
	assert smtp.count(outside) == 0
	page.locator(".modal.show .btn-modal-close").last.click()  # close the refusal
	# nothing written is lost: New Email brings the composer back with it (Frappe keeps the
	# last unsent mail of the record until one is sent)
	page.locator(".timeline-actions button:visible", has_text="New Email").first.click()
	dialog = page.locator(".modal.show").filter(has=page.locator('[data-fieldname="recipients"]'))
	dialog.wait_for(state="visible")
	assert dialog.locator('[data-fieldname="subject"] input').input_value() == subject
	assert (
		body in dialog.locator('[data-fieldname="content"] .ql-editor[contenteditable="true"]').inner_text()
	)
	assert outside in dialog.locator('input[data-fieldname="recipients"]').first.input_value()

	signed = api.upload(f"consent-{tag}.txt", b"I agree that my coach emails my supervisor.", "text/plain")
	api.post(
		"/api/method/confidentiality_app.api.record_consent",
		{
			"party_type": "Lead",
			"party": lead,
			"purposes": json.dumps(["Email"]),
			"evidence": signed["file_url"],
			"recipients": json.dumps([outside]),
		},
	)

	with page.expect_response(lambda r: "communication.email.make" in r.url) as sent:
		dialog.locator(".modal-footer .btn-primary").click()
	assert sent.value.ok, sent.value.text()
	dialog.wait_for(state="hidden")
	(row,) = queue_rows(api, lead)
	api.post("/api/method/frappe.email.doctype.email_queue.email_queue.send_now", {"name": row["name"]})
	assert smtp.count(outside) == 1
	assert smtp.count(f"browser-client-{tag}@example.com") == 0
	assert api.get(f"/api/resource/Email Queue/{row['name']}")["data"]["status"] == "Sent"
