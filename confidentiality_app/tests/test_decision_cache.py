"""The decision cache (confidentiality_app.decision.facts) never serves a state that is older than a
committed change, nor one that was never committed."""

import frappe
import redis

from confidentiality_app.decision import epoch, facts, gate
from confidentiality_app.log import audit
from confidentiality_app.tests.fixtures import ConfidentialityTestCase, consent, make_lead


def _allowed(lead: str) -> bool:
	return gate.check("Lead", lead, "Share", channel="Test", log=False).decision.allowed


def _cached(lead: str):
	"""What other workers would read for this lead: the shared entry, if it is current."""
	current, raw = redis.Redis.mget(
		frappe.cache, [frappe.cache.make_key(epoch.KEY), facts._key(("Lead", lead))]
	)
	return facts._decode(raw, int(current or 0)) if raw is not None else None


class TestDecisionCache(ConfidentialityTestCase):
	def test_a_withdrawal_committed_elsewhere_is_seen_by_an_older_transaction(self):
		"""A request whose read view predates another worker's withdrawal must not cache
		the consent it can still see under the epoch that withdrawal's commit bumped."""
		lead = make_lead(first_name="CacheWithdrawal")
		name = consent("Lead", lead.name, ["Share"])
		frappe.db.commit()  # committed: another connection can withdraw it
		self.addCleanup(self._remove, lead.name, name)
		frappe.db.rollback()
		self.assertTrue(_allowed(lead.name))
		frappe.db.rollback()
		frappe.db.sql("select name from `tabClient Consent` where name = %s", name)  # this read view begins

		# another worker withdraws the consent and commits (then bumps, as the controller does)
		other = audit.connect()
		try:
			other.sql(
				"update `tabClient Consent` set docstatus = 2, withdrawn_on = now(), status = 'Withdrawn' where name = %s",
				name,
			)
			other.commit()
		finally:
			other.close()
		epoch.incr()
		frappe.local.confidentiality_facts = {}  # a new request of this worker

		# this transaction still sees the consent as submitted ...
		self.assertEqual(frappe.db.get_value("Client Consent", name, "docstatus"), 1)
		# ... but the decision is taken on the committed state, and that is what is cached
		self.assertFalse(_allowed(lead.name))
		cached = _cached(lead.name)
		self.assertIsNotNone(cached)
		self.assertTrue(all(g.withdrawn_at or not g.active for g in cached.grants))
		frappe.db.rollback()
		frappe.local.confidentiality_facts = {}
		self.assertFalse(_allowed(lead.name))

	def test_a_consent_that_is_rolled_back_never_reaches_other_workers(self):
		lead = make_lead(first_name="CacheRollback")
		frappe.db.commit()
		self.addCleanup(self._remove, lead.name, None)
		self.assertFalse(_allowed(lead.name))
		consent("Lead", lead.name, ["Share"])
		# this transaction decides on its own uncommitted consent ...
		self.assertTrue(_allowed(lead.name))
		# ... but keeps it to itself: nothing current is cached for other workers
		cached = _cached(lead.name)
		self.assertTrue(cached is None or not cached.grants)
		frappe.db.rollback()
		self.assertFalse(_allowed(lead.name))
		self.assertFalse(_cached(lead.name).grants)

	def test_a_warm_decision_reads_the_cache_once_and_the_database_never(self):
		lead = make_lead(first_name="CacheWarm")
		frappe.db.commit()
		self.addCleanup(self._remove, lead.name, None)
		_allowed(lead.name)  # warms the shared cache
		frappe.local.confidentiality_facts = {}  # a new request
		calls = []
		real_mget = redis.Redis.mget

		def counting_mget(*args, **kwargs):
			calls.append(args)
			return real_mget(*args, **kwargs)

		queries = []
		real_sql = frappe.db.sql

		def counting_sql(query, *args, **kwargs):
			queries.append(str(query))
			return real_sql(query, *args, **kwargs)

		from unittest.mock import patch

		with patch.object(redis.Redis, "mget", counting_mget), patch.object(frappe.db, "sql", counting_sql):
			self.assertFalse(_allowed(lead.name))
			self.assertFalse(_allowed(lead.name))  # the request's memo: no second round trip
		self.assertEqual(len(calls), 1)
		self.assertEqual([q for q in queries if "Client Consent" in q or "Dynamic Link" in q], [])

	@staticmethod
	def _remove(lead: str, consent_name: str | None):
		frappe.db.rollback()
		if consent_name:
			frappe.db.sql("delete from `tabClient Consent Purpose` where parent = %s", consent_name)
			frappe.db.sql("delete from `tabClient Consent` where name = %s", consent_name)
		frappe.db.sql("delete from `tabLead` where name = %s", lead)
		frappe.db.commit()
		epoch.bump()
