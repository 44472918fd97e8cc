"""Cost of the export gate and of the API read limit, enforcement on vs off, same run.

	bench --site SITE execute confidentiality_app.benchmarks.export_read.run --kwargs "{'rows': 10000, 'reads': 1000}"

1. Export: `rows` Leads (written in bulk; `consented` of them with Export consent) exported
   as CSV through the list view's Export (`frappe.desk.reportview.export_query`) as
   Administrator, in process: on = the app's override (one set-based decision, one log
   entry), off = Frappe's own export_query with the gate switched off. Alternating rounds.
2. API reads: `reads` REST list reads (`GET /api/resource/Lead`, 20 rows, filtered to the
   benchmark's Leads) by an API-key user over real HTTP on loopback (the site served by
   this process), on and off alternating request by request.

"Off" is the gate switched off in this process only (`gate.active` patched; the served site
runs in this process's threads). Prints ratios, percentiles and queries per operation
(every connection of this process counted). Leads and consents are removed at the end;
log entries are kept.
"""

from __future__ import annotations

import json
import time

import frappe
from frappe.utils import random_string

from confidentiality_app.benchmarks import delete_consents, delete_leads, gate_switched, ratio, summary
from confidentiality_app.tests.fixtures import LiveSite, QueryCount, bulk_leads, consent, make_lead, make_user


def _export(tag: str, on: bool) -> bytes:
	from frappe.desk import reportview

	from confidentiality_app.channels import export

	frappe.local.form_dict = frappe._dict(
		doctype="Lead",
		file_format_type="CSV",
		title="Lead",
		fields=json.dumps(["`tabLead`.`name`", "`tabLead`.`email_id`", "`tabLead`.`lead_name`"]),
		filters=json.dumps([["Lead", "last_name", "=", f"Bench {tag}"]]),
	)
	frappe.local.response = frappe._dict()
	frappe.local.confidentiality_facts = {}
	with gate_switched(on):
		(export.export_query if on else reportview.export_query)()
	return frappe.local.response.get("filecontent") or b""


def run(rows: int = 10000, reads: int = 1000, consented: int = 50, rounds: int = 5):
	frappe.set_user("Administrator")
	tag = random_string(6)
	leads, consents, made = [], [], []
	site = LiveSite()
	try:
		leads = bulk_leads(f"CF-BENCH-{tag}", rows, last_name=f"Bench {tag}")
		for _ in range(consented):
			lead = make_lead(last_name=f"Bench {tag}")
			made.append(lead.name)
			consents.append(consent("Lead", lead.name, ["Export"]))
		user = make_user(f"cf-bench-{tag.lower()}@example.com", roles=("Sales Manager",))
		frappe.db.commit()
		session = site.api_key(user)

		# 1. export
		times, queries, sizes = {True: [], False: []}, {True: 0, False: 0}, {}
		_export(tag, True)  # warm
		for _ in range(rounds):
			for on in (True, False):
				with QueryCount() as counted:
					start = time.perf_counter()
					content = _export(tag, on)
					times[on].append(time.perf_counter() - start)
				queries[on] += counted.count
				sizes[on] = content.count(b"\n") - 1
		# the decision alone, over every row (what "on" adds before Frappe writes the file)
		from confidentiality_app.decision import gate

		names = leads + made
		decide_times = []
		for _ in range(rounds):
			frappe.local.confidentiality_facts = {}
			start = time.perf_counter()
			gate.decide_rows("Lead", names, "Export")
			decide_times.append(time.perf_counter() - start)
		on_s, off_s = summary(times[True]), summary(times[False])
		print(
			json.dumps(
				{
					"decide_rows": {"rows": len(names), **summary(decide_times)},
					"export_query": {
						"rows": rows + consented,
						"rows_written": {"on": sizes[True], "off": sizes[False]},
						"on": on_s,
						"off": off_s,
						"ratio_total": ratio(on_s, off_s, "total_s"),
						"queries_per_export": {"on": queries[True] / rounds, "off": queries[False] / rounds},
					},
				},
				indent=1,
			)
		)

		# 2. API reads
		url = f"{site.url}/api/resource/Lead"
		params = {
			"filters": json.dumps([["Lead", "last_name", "=", f"Bench {tag}"]]),
			"fields": json.dumps(["name", "email_id"]),
			"limit_page_length": 20,
		}
		times, queries, returned = {True: [], False: []}, {True: 0, False: 0}, {}
		session.get(url, params=params)  # warm
		for _ in range(reads):
			for on in (True, False):
				with QueryCount() as counted, gate_switched(on):
					start = time.perf_counter()
					response = session.get(url, params=params)
					times[on].append(time.perf_counter() - start)
				queries[on] += counted.count
				returned[on] = len(response.json()["data"])
		on_s, off_s = summary(times[True]), summary(times[False])
		print(
			json.dumps(
				{
					"rest_list_read": {
						"reads": reads,
						"rows_returned": {"on": returned[True], "off": returned[False]},
						"on": on_s,
						"off": off_s,
						"ratio_total": ratio(on_s, off_s, "total_s"),
						"queries_per_read": {"on": queries[True] / reads, "off": queries[False] / reads},
					}
				},
				indent=1,
			)
		)
	finally:
		site.stop()
		delete_consents(consents)
		delete_leads(leads + made)
		frappe.db.commit()
