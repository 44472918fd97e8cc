"""The site's decision epoch: one Redis counter that every change able to alter any client's
facts bumps, when it happens and again when its transaction commits or rolls back. Cached
facts (`facts`) and cached row sets (`gate`) are used only under the current epoch.

Read with the raw Redis client (frappe's wrapper hides a dead Redis): a bump that cannot
reach Redis says so (False and an Error Log); cached entries then expire by their TTL."""

from __future__ import annotations

import frappe
import redis

KEY = "confidentiality_app:epoch"


def dirty() -> bool:
	"""This transaction changed facts (it bumped): it decides on its own view and shares
	nothing until it ends."""
	return bool(getattr(frappe.local, "confidentiality_bump_queued", False))


def bump(*args, **kwargs) -> bool:
	"""Something that can change a client's facts happened: make every cached entry stale,
	now and again when the transaction commits. False (and an Error Log) when Redis is
	down: entries then expire within CACHE_TTL."""
	frappe.local.confidentiality_facts = {}
	ok = incr()
	if getattr(frappe.local, "db", None) is not None and not getattr(
		frappe.local, "confidentiality_bump_queued", False
	):
		frappe.local.confidentiality_bump_queued = True
		frappe.db.after_commit.add(_bump_after_commit)
		frappe.db.after_rollback.add(_forget_queued)
	return ok


def incr() -> bool:
	try:
		redis.Redis.incr(frappe.cache, frappe.cache.make_key(KEY))
		return True
	except redis.exceptions.RedisError:
		frappe.log_error(title="Confidentiality: decision cache invalidation failed")
		return False


def _bump_after_commit():
	frappe.local.confidentiality_bump_queued = False
	frappe.local.confidentiality_facts = {}
	incr()


def _forget_queued():
	"""Rollback: other workers may have cached entries under the in-transaction bump while
	this transaction's change was visible to nobody; they are still right, but bump again
	so that nothing loaded in between survives (cheap, and rollbacks of such changes are
	rare)."""
	frappe.local.confidentiality_bump_queued = False
	frappe.local.confidentiality_facts = {}
	incr()
