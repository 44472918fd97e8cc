"""Latency of one decision (gate.evaluate: resolve the clients, read their facts, decide),
for a consented Lead shared with a user, in four states, in the same run:

* warm: facts cached in Redis, the request's memo emptied before each decision (one MGET);
* memo: the same client decided again within a request (no round trip);
* cold: another worker's change bumped the epoch before each decision (facts loaded on a
  fresh read view and cached);
* uncached: facts loaded from the database every time (use_cache=False), for reference.

	bench --site SITE execute confidentiality_app.benchmarks.decision.run --kwargs "{'n': 2000}"

Prints p50/p95 in microseconds. Nothing is timed in tests. The Lead and its consent are
committed (the shared cache holds committed state only) and removed at the end.
"""

import time

import frappe

from confidentiality_app.decision import epoch, gate
from confidentiality_app.rules import policy
from confidentiality_app.tests.fixtures import consent, make_lead


def _percentiles(times):
	ordered = sorted(times)
	pick = lambda p: round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1e6, 1)  # noqa: E731
	return {"p50_us": pick(50), "p95_us": pick(95), "max_us": round(ordered[-1] * 1e6, 1)}


def run(n: int = 2000):
	frappe.set_user("Administrator")
	lead = make_lead()
	name = consent("Lead", lead.name, ["Share"])
	frappe.db.commit()
	recipient = (policy.recipient_ids("cf-bench-target@example.com"),)
	doc = frappe.get_doc("Lead", lead.name)

	def decide(**kwargs):
		decision, _parties = gate.evaluate("Lead", lead.name, "Share", recipient, doc=doc, **kwargs)
		assert decision.allowed, decision

	def new_request():
		frappe.local.confidentiality_facts = {}

	def changed_elsewhere():
		epoch.incr()  # what another worker's committed change does
		new_request()

	def timed(before, **kwargs):
		times = []
		for _ in range(n):
			before()
			start = time.perf_counter()
			decide(**kwargs)
			times.append(time.perf_counter() - start)
		return _percentiles(times)

	try:
		decide()  # warm up
		result = {
			"decisions": n,
			"warm": timed(new_request),
			"memo": timed(lambda: None),
			"cold": timed(changed_elsewhere),
			"uncached": timed(lambda: None, use_cache=False),
		}
	finally:
		frappe.db.rollback()
		for table, field in (
			("Client Consent Purpose", "parent"),
			("Consent Recipient", "parent"),
			("Client Consent", "name"),
		):
			frappe.db.sql(f"DELETE FROM `tab{table}` WHERE `{field}` = %s", name)
		frappe.db.sql("DELETE FROM `tabLead` WHERE name = %s", lead.name)
		frappe.db.commit()
		epoch.incr()
	print(result)
	return result
