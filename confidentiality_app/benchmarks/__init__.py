"""Benchmarks: ratios (enforcement on vs off, same run) and latency percentiles. Never
timed in tests. Run them on a test site: the log entries they write are kept. Code that only
a benchmark needs lives here (the foundation's locked append, in `log_append`); the records
they make come from the tests' factories (`tests.fixtures`)."""

import statistics
from contextlib import contextmanager


def summary(times: list[float]) -> dict:
	"""Total and per-operation percentiles, in milliseconds."""
	ordered = sorted(times)

	def pct(p):
		return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 2)

	return {
		"total_s": round(sum(times), 4),
		"p50_ms": pct(50),
		"p95_ms": pct(95),
		"max_ms": round(ordered[-1] * 1000, 2),
		"mean_ms": round(statistics.mean(times) * 1000, 2),
	}


def set_protected(doctype: str, enabled: bool):
	import frappe

	settings = frappe.get_single("Confidentiality Settings")
	for row in settings.protected_doctypes:
		if row.document_type == doctype:
			row.enabled = int(enabled)
	settings.save()
	frappe.clear_document_cache("Confidentiality Settings", "Confidentiality Settings")


def ratio(on: dict, off: dict, key: str):
	return round(on[key] / off[key], 2) if off[key] else None


def delete_consents(consents: list[str]):
	"""Remove the consents a benchmark recorded (raw SQL: consents are never deleted
	through documents)."""
	import frappe

	if not consents:
		return
	marks = ", ".join(["%s"] * len(consents))
	for table in ("Client Consent Purpose", "Consent Recipient"):
		frappe.db.sql(f"DELETE FROM `tab{table}` WHERE parent IN ({marks})", consents)
	frappe.db.sql(f"DELETE FROM `tabClient Consent` WHERE name IN ({marks})", consents)


@contextmanager
def gate_switched(on: bool):
	"""The gate on, or off in this process only (no such switch exists on a site)."""
	from confidentiality_app.decision import gate

	saved = gate.active
	if not on:
		gate.active = lambda: False
	try:
		yield
	finally:
		gate.active = saved


def delete_leads(leads: list[str]):
	"""Remove the Leads a benchmark made and the Contacts ERPNext made for them (raw SQL)."""
	import frappe

	if not leads:
		return
	marks = ", ".join(["%s"] * len(leads))
	frappe.db.sql(
		f"DELETE FROM `tabContact` WHERE name IN (SELECT parent FROM `tabDynamic Link` WHERE link_doctype='Lead' AND link_name IN ({marks}))",
		leads,
	)
	frappe.db.sql(f"DELETE FROM `tabLead` WHERE name IN ({marks})", leads)
