"""Cost of the sharing gate: shares of protected Leads with consent (decision + cache +
log entry) against the same shares with Lead unprotected, in the same run.

	bench --site SITE execute confidentiality_app.benchmarks.share_gate.run --kwargs "{'n': 200}"

Each share is one request's work: a fresh request memo, the share, the commit. The leads
and consents are committed first (as on a live site, where consent is recorded before the
share), and everything but the log entries is removed at the end (the log is
append-only: run it on a test site). `profile=True` also prints where the gate's time
goes. Prints the ratio and per-share percentiles; nothing is timed in tests.
"""

import time

import frappe

from confidentiality_app.benchmarks import delete_consents, ratio, set_protected, summary
from confidentiality_app.decision import epoch
from confidentiality_app.tests.fixtures import consent, make_lead, make_user


def _time_shares(leads, user, profiler=None):
	times = []
	for lead in leads:
		frappe.local.confidentiality_facts = {}  # a new request
		start = time.perf_counter()
		if profiler:
			profiler.enable()
		frappe.share.add_docshare("Lead", lead, user, flags={"ignore_share_permission": True})
		frappe.db.commit()
		if profiler:
			profiler.disable()
		times.append(time.perf_counter() - start)
	return times


def _cleanup(leads, consents):
	frappe.db.rollback()
	if leads:
		marks = ", ".join(["%s"] * len(leads))
		frappe.db.sql(
			f"DELETE FROM `tabDocShare` WHERE share_doctype = 'Lead' AND share_name IN ({marks})", leads
		)
		frappe.db.sql(f"DELETE FROM `tabLead` WHERE name IN ({marks})", leads)
	delete_consents(consents)
	frappe.db.commit()
	epoch.bump()


def run(n: int = 100, profile: bool = False):
	import cProfile
	import pstats

	frappe.set_user("Administrator")
	user = make_user("cf-bench-target@example.com")
	frappe.db.commit()
	enforced, consents, plain = [], [], []
	try:
		for _ in range(n):
			lead = make_lead()
			consents.append(consent("Lead", lead.name, ["Share"]))
			enforced.append(lead.name)
		plain = [make_lead().name for _ in range(n)]
		frappe.db.commit()

		profiler = cProfile.Profile() if profile else None
		with_gate = _time_shares(enforced, user, profiler)
		set_protected("Lead", False)
		frappe.db.commit()
		try:
			profiler_off = cProfile.Profile() if profile else None
			without_gate = _time_shares(plain, user, profiler_off)
		finally:
			set_protected("Lead", True)
			frappe.db.commit()
	finally:
		_cleanup(enforced + plain, consents)
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
	if profiler:
		for title, prof in (("with enforcement", profiler), ("without", profiler_off)):
			print(f"--- {title}: where the time goes (cumulative)")
			pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
	return result
