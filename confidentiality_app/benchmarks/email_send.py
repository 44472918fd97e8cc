"""Cost of the email gate: queue and send mails about consented Leads to a real SMTP server
on loopback, with the gate on and off, in the same run.

	bench --site SITE execute confidentiality_app.benchmarks.email_send.run --kwargs "{'n': 1000}"

Each mail goes the whole way: `frappe.sendmail` (queue time: what the mail is about, every
recipient decided, a log entry in the queueing transaction), commit, then the scheduler's
`frappe.email.queue.flush` (send time: decided again inside `EmailQueue.send`) to an
aiosmtpd server in this process. "Off" is the same code path with the app's email gate
switched off in this process only (`gate.active` patched here; there is no such switch on
a site). On and off run in alternating batches over the same leads, so drift (cache,
disk, the other core) falls on both. Two rounds: the first mail about each client (its
consent facts not yet cached: the worst case) and a second mail about each (warm). Prints the ratios, percentiles and the main
connection's queries per mail; the log's own connection is counted apart. Run it on a test
site: leads, consents and queue rows are removed at the end, the log entries are kept.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

import frappe

from confidentiality_app.benchmarks import delete_consents, delete_leads, gate_switched, ratio, summary
from confidentiality_app.decision import epoch
from confidentiality_app.log import audit
from confidentiality_app.tests import mail
from confidentiality_app.tests.fixtures import consent, make_lead

RECIPIENT = "bench-recipient@elsewhere.example"


class _Counter:
	def __init__(self):
		self.main = 0
		self.log = 0

	@contextmanager
	def counting(self):
		db = frappe.db
		original = db.sql
		original_insert = audit._insert

		def sql(*args, **kwargs):
			self.main += 1
			return original(*args, **kwargs)

		def insert(*args, **kwargs):
			self.log += 1
			return original_insert(*args, **kwargs)

		db.sql = sql
		audit._insert = insert
		try:
			yield
		finally:
			db.sql = original
			audit._insert = original_insert


def _phase(leads, counter: _Counter):
	queue_times = []
	with counter.counting():
		for lead in leads:
			frappe.local.confidentiality_facts = {}  # a new request or job
			start = time.perf_counter()
			frappe.sendmail(
				recipients=[RECIPIENT],
				subject=f"Session summary for {lead}",
				message="<p>Notes from our session.</p>",
				reference_doctype="Lead",
				reference_name=lead,
			)
			frappe.db.commit()
			queue_times.append(time.perf_counter() - start)
		frappe.local.confidentiality_facts = {}
		start = time.perf_counter()
		mail.flush()
		frappe.db.commit()
		flush_total = time.perf_counter() - start
	return queue_times, flush_total


def run(n: int = 1000, batch: int = 100):
	frappe.set_user("Administrator")
	sink = mail.SMTPSink()
	mail.use_sink(sink)
	leads, consents = [], []
	try:
		for _ in range(n):
			lead = make_lead()
			consents.append(consent("Lead", lead.name, ["Email"], recipients=[RECIPIENT]))
			leads.append(lead.name)
		frappe.db.commit()
		# first mail about each client (its facts are cold), then a second one (warm: a
		# client is mailed more than once in practice)
		rounds = []
		for _round in ("first", "second"):
			results = {True: ([], [], _Counter()), False: ([], [], _Counter())}
			for start in range(0, n, batch):
				chunk = leads[start : start + batch]
				for on in (True, False):
					queue_times, flush_times, counter = results[on]
					with gate_switched(on):
						q, f = _phase(chunk, counter)
					queue_times += q
					flush_times += [f / len(chunk)] * len(chunk)
			rounds.append(results)
		received = sink.count(RECIPIENT)
		held = frappe.db.count("Email Queue", {"reference_name": ["in", leads], "status": "Held"})
	finally:
		_cleanup(leads, consents)
		sink.stop()
		mail.drop_sink()

	def block(results, on):
		queue_times, flush_times, counter = results[on]
		totals = [a + b for a, b in zip(queue_times, flush_times, strict=True)]
		return {
			"queue": summary(queue_times),
			"send_per_mail_ms": round(sum(flush_times) / len(flush_times) * 1000, 2),
			"total": summary(totals),
			"queries_per_mail": round(counter.main / n, 1),
			"log_inserts_per_mail": round(counter.log / n, 2),
		}

	result = {"mails_each_way_per_round": n, "received_by_smtp": received, "held": held}
	for label, results in zip(
		("first_mail_about_a_client", "second_mail_about_a_client"), rounds, strict=True
	):
		on, off = block(results, True), block(results, False)
		result[label] = {
			"with_enforcement": on,
			"without_enforcement": off,
			"ratio_total": ratio(on["total"], off["total"], "total_s"),
			"ratio_queue": ratio(on["queue"], off["queue"], "total_s"),
			"ratio_send": round(on["send_per_mail_ms"] / off["send_per_mail_ms"], 2),
		}
	print(result)
	return result


def _cleanup(leads, consents):
	frappe.db.rollback()
	if leads:
		marks = ", ".join(["%s"] * len(leads))
		queues = [
			q
			for (q,) in frappe.db.sql(
				f"SELECT name FROM `tabEmail Queue` WHERE reference_doctype = 'Lead' AND reference_name IN ({marks})",
				leads,
			)
		]
		if queues:
			qmarks = ", ".join(["%s"] * len(queues))
			frappe.db.sql(f"DELETE FROM `tabEmail Queue Recipient` WHERE parent IN ({qmarks})", queues)
			frappe.db.sql(f"DELETE FROM `tabEmail Queue` WHERE name IN ({qmarks})", queues)
		delete_leads(leads)
	delete_consents(consents)
	frappe.db.commit()
	epoch.bump()
