"""Cost of guarding identity on every save of a protected record (doc_events "*"
validate / on_update): saves of protected Leads against the same saves with Lead
unprotected, in the same run. Two kinds of edit: an ordinary field (no identity change:
the snapshot comparison only) and the email address (an identity change: checked,
logged, shares re-decided).

	bench --site SITE execute confidentiality_app.benchmarks.edit_guard.run --kwargs "{'n': 200}"

Prints ratios and per-save percentiles. Everything but the log is rolled back.
"""

import time

import frappe
from frappe.utils import random_string

from confidentiality_app.benchmarks import ratio, set_protected, summary
from confidentiality_app.tests.fixtures import make_lead


def _time_saves(leads, change):
	times = []
	for name in leads:
		doc = frappe.get_doc("Lead", name)
		change(doc)
		start = time.perf_counter()
		doc.save(ignore_permissions=True)
		times.append(time.perf_counter() - start)
	return times


def _ordinary(doc):
	doc.job_title = f"Coach {random_string(4)}"


def _address(doc):
	doc.email_id = f"bench-{random_string(8).lower()}@example.com"


def run(n: int = 100):
	frappe.set_user("Administrator")
	leads = [make_lead().name for _ in range(n)]
	result = {"saves": n}
	for label, change in (("ordinary_edit", _ordinary), ("address_edit", _address)):
		set_protected("Lead", True)
		on = summary(_time_saves(leads, change))
		set_protected("Lead", False)
		off = summary(_time_saves(leads, change))
		result[label] = {
			"with_enforcement": on,
			"without_enforcement": off,
			"ratio": ratio(on, off, "total_s"),
			"ratio_p50": ratio(on, off, "p50_ms"),
		}
	frappe.db.rollback()
	frappe.clear_document_cache("Confidentiality Settings", "Confidentiality Settings")
	print(result)
	return result
