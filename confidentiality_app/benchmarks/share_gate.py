"""Cost of the sharing gate: shares of protected Leads with consent (decision + cache +
log append) against the same shares with Lead unprotected, in the same run.

	bench --site SITE execute confidentiality_app.benchmarks.share_gate.run --kwargs "{'n': 200}"

Prints the ratio and per-share percentiles; nothing is timed in tests. Everything but the
log entries is rolled back at the end (the log is append-only: run it on a test site).
"""

import time

import frappe

from confidentiality_app.benchmarks import ratio, set_protected, summary
from confidentiality_app.tests.utils import consent, make_lead, make_user


def _time_shares(leads, user):
	times = []
	for lead in leads:
		start = time.perf_counter()
		frappe.share.add_docshare("Lead", lead, user, flags={"ignore_share_permission": True})
		times.append(time.perf_counter() - start)
	return times


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
	set_protected("Lead", False)
	without_gate = _time_shares(plain, user)

	frappe.db.rollback()
	frappe.clear_document_cache("Confidentiality Settings", "Confidentiality Settings")
	on, off = summary(with_gate), summary(without_gate)
	result = {
		"shares": n,
		"with_enforcement": on,
		"without_enforcement": off,
		"ratio": ratio(on, off, "total_s"),
		"ratio_p50": ratio(on, off, "p50_ms"),
	}
	print(result)
	return result
