"""Cost of the print gate: real PDFs of consented Leads, with the gate on and off, same run.

	bench --site SITE execute confidentiality_app.benchmarks.print_render.run --kwargs "{'n': 200}"

Each render is Frappe's `frappe.get_print(..., as_pdf=True)`: the print format rendered,
`before_print` (the decision and its log entry when on), then wkhtmltopdf loading the
print's assets from the site, served on loopback by this process (as in the tests). "Off"
is the same path with the gate switched off in this process only (`gate.active` patched
here; there is no such switch on a site). On and off alternate render by render over the
same leads. Prints the ratio, percentiles and the main connection's queries per render
(decision queries; wkhtmltopdf's asset requests are served by other connections). Leads and
consents are removed at the end; log entries are kept.
"""

from __future__ import annotations

import time

import frappe

from confidentiality_app.benchmarks import delete_consents, delete_leads, gate_switched, ratio, summary
from confidentiality_app.decision import epoch
from confidentiality_app.tests.fixtures import LiveSite, consent, make_lead


def run(n: int = 200):
	frappe.set_user("Administrator")
	leads, consents = [], []
	site = LiveSite()
	undo = site.as_host_name()
	times = {True: [], False: []}
	queries = {True: 0, False: 0}
	sizes = set()
	try:
		for _ in range(n):
			lead = make_lead()
			consents.append(consent("Lead", lead.name, ["Print"]))
			leads.append(lead.name)
		frappe.db.commit()
		frappe.get_print("Lead", leads[0], as_pdf=True)  # warm up wkhtmltopdf and templates
		for lead in leads:
			for on in (True, False):
				original = frappe.db.sql
				counter = [0]

				def sql(*args, _original=original, _counter=counter, **kwargs):
					_counter[0] += 1
					return _original(*args, **kwargs)

				frappe.local.confidentiality_facts = {}  # a new request
				frappe.local.confidentiality_print_cleared = set()
				frappe.db.sql = sql
				try:
					with gate_switched(on):
						start = time.perf_counter()
						pdf = frappe.get_print("Lead", lead, as_pdf=True)
						times[on].append(time.perf_counter() - start)
				finally:
					frappe.db.sql = original
				queries[on] += counter[0]
				sizes.add(pdf[:4])
	finally:
		undo()
		site.stop()
		_cleanup(leads, consents)

	on, off = summary(times[True]), summary(times[False])
	result = {
		"renders_each_way": n,
		"all_pdf": sizes == {b"%PDF"},
		"with_enforcement": {**on, "queries_per_render": round(queries[True] / n, 1)},
		"without_enforcement": {**off, "queries_per_render": round(queries[False] / n, 1)},
		"ratio_total": ratio(on, off, "total_s"),
		"ratio_p50": ratio(on, off, "p50_ms"),
	}
	print(result)
	return result


def _cleanup(leads, consents):
	frappe.db.rollback()
	if leads:
		delete_leads(leads)
	delete_consents(consents)
	frappe.db.commit()
	epoch.bump()
