"""Cost of the sharing gate: shares of protected Leads with consent (decision + cache +
log append) against the same shares with Lead unprotected, in the same run.

	bench --site SITE execute confidentiality_app.benchmarks.share_gate.run --kwargs "{'n': 200}"

Prints the ratio; nothing is timed in tests. Everything but the log entries is rolled
back at the end (the log is append-only: run it on a test site).
"""

import time

import frappe

from confidentiality_app.tests.utils import consent, make_lead, make_user


def _time_shares(leads, user):
	start = time.perf_counter()
	for lead in leads:
		frappe.share.add_docshare("Lead", lead, user, flags={"ignore_share_permission": True})
	return time.perf_counter() - start


def run(n: int = 100):
	frappe.set_user("Administrator")
	user = make_user("cf-bench-target@example.com")
	enforced = []
	for _ in range(n):
		lead = make_lead()
		consent("Lead", lead.name, ["Share"])
		enforced.append(lead.name)
	plain = [make_lead().name for _ in range(n)]

	with_gate = _time_shares(enforced, user)

	settings = frappe.get_single("Confidentiality Settings")
	for row in settings.protected_doctypes:
		if row.document_type == "Lead":
			row.enabled = 0
	settings.save()
	without_gate = _time_shares(plain, user)

	frappe.db.rollback()
	frappe.clear_document_cache("Confidentiality Settings", "Confidentiality Settings")
	result = {
		"shares": n,
		"with_enforcement_s": round(with_gate, 4),
		"without_enforcement_s": round(without_gate, 4),
		"ratio": round(with_gate / without_gate, 2) if without_gate else None,
	}
	print(result)
	return result
