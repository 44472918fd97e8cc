"""Webhooks: a protected record sent by machine to another system is an export to it.

Frappe v15 queues a webhook after the commit that fired it (`run_webhooks` ->
`flush_webhook_execution_queue` -> `frappe.enqueue(enqueue_webhook)`) and a worker posts the
document. Two points are gated:

* **Configuration** (`validate_webhook`, doc_events["Webhook"]["validate"]): a webhook on a
  protected doctype is a standing rule that sends every matching record to one receiver.
  It may be enabled only with a stated basis (the *Confidentiality Basis* field, why the
  receiver may have these records), by a Confidentiality Officer; logged either way.
* **Each firing** (`before_job`, hooks.before_job, when the worker picks the job up): the
  record is decided for purpose Export, the receiver (`webhook:<scheme://host[:port]>`) as
  recipient, the author of the change as the releasing user. A consent for Export covers it
  when it names the receiver or names no recipient; an approved disclosure when its record,
  channel Export and recipient match. Refused, the job still runs but sends nothing:
  `GatedWebhook` (the Webhook class) refuses to load for that job, so Frappe's
  `enqueue_webhook` writes a Webhook Request Log holding no data and the refusal as its
  error. The refusal is in the Confidentiality Log.

The decision is made in the worker, not when the record is saved: a consent withdrawn
between the save and the post stops it.
"""

from __future__ import annotations

from urllib.parse import urlparse

import frappe
from frappe import _
from frappe.integrations.doctype.webhook.webhook import Webhook

from confidentiality_app.decision import gate
from confidentiality_app.decision.permissions import OFFICER
from confidentiality_app.rules import policy

PURPOSE = "Export"
CHANNEL = "Webhook"
JOB = "frappe.integrations.doctype.webhook.webhook.enqueue_webhook"
BASIS_FIELD = "confidentiality_basis"  # Custom Field on Webhook (install.py)
_REFUSED = "confidentiality_webhook_refused"


def receiver(url: str | None) -> str:
	"""The recipient a webhook's URL names: its origin (scheme, host and port), so a consent
	naming `webhook:https://crm.example.org` covers every path there."""
	parsed = urlparse((url or "").strip())
	if not parsed.scheme or not parsed.netloc:
		return f"webhook:{(url or '').strip()}"
	return f"webhook:{parsed.scheme.lower()}://{parsed.netloc.lower()}"


def _syncing() -> bool:
	flags = frappe.flags
	return bool(flags.in_install or flags.in_migrate or flags.in_patch)


# ---------------------------------------------------------------- configuration
def validate_webhook(doc, method=None):
	"""doc_events["Webhook"]["validate"]."""
	if not gate.active() or not doc.enabled or not doc.webhook_doctype:
		return
	if not gate.is_protected(doc.webhook_doctype) or _syncing():
		return
	basis = (doc.get(BASIS_FIELD) or "").strip()
	label = receiver(doc.request_url) if not doc.is_dynamic_url else f"webhook:{doc.request_url}"
	changed = doc.is_new() or any(
		doc.has_value_changed(f)
		for f in ("enabled", "webhook_doctype", "request_url", "is_dynamic_url", BASIS_FIELD)
	)
	if not changed:
		return
	from confidentiality_app.log import audit

	problem = None
	if not basis:
		problem = _(
			"Webhook {0} would send every {1} it fires for to {2}. {1} records are about protected clients: state the basis on which this receiver may have them (Confidentiality Basis). Each record is still sent only with its client's consent for Export naming the receiver, or an approved disclosure."
		).format(doc.name, _(doc.webhook_doctype), label)
	elif OFFICER not in frappe.get_roles():
		problem = _(
			"Webhook {0} sends {1} records, which are about protected clients, to {2}: only a Confidentiality Officer can enable it."
		).format(doc.name, _(doc.webhook_doctype), label)
	enforce = gate.mode() != policy.MONITOR
	# a refusal is kept whatever happens to the request; an allowed change with the save
	write = audit.append if problem else audit.append_on_commit
	write(
		audit.Entry(
			action="Configure Webhook",
			channel=CHANNEL,
			decision="Deny" if problem else "Allow",
			outcome=("Blocked" if enforce else "Monitored") if problem else "Allowed",
			mode=gate.mode(),
			reference_doctype="Webhook",
			reference_name=doc.name,
			recipient=label[:140],
			reason=problem
			or _("Webhook {0} on {1} to {2} enabled on this basis: {3}").format(
				doc.name, _(doc.webhook_doctype), label, basis
			),
			basis=policy.NO_CONSENT if problem else "stated basis",
		)
	)
	if not problem:
		return
	if enforce:
		frappe.throw(problem, gate.ConfidentialityBlocked, title=_("Refused by confidentiality rules"))
	frappe.msgprint(problem, indicator="orange", title=_("Would be refused in Enforce mode"))


# ---------------------------------------------------------------- each firing
def before_job(method=None, kwargs=None, transaction_type=None):
	"""hooks.before_job: the webhook job of a protected record is decided before it runs."""
	frappe.local.flags.pop(_REFUSED, None)
	if method != JOB or not kwargs or not gate.active():
		return
	doc = kwargs.get("doc")
	hook = kwargs.get("webhook") or {}
	if doc is None or not getattr(doc, "doctype", None) or not gate.is_protected(doc.doctype):
		return
	name = hook.get("name")
	try:
		url = frappe.db.get_value("Webhook", name, ["request_url", "is_dynamic_url"], as_dict=True)
		if url and url.is_dynamic_url:
			from frappe.integrations.doctype.webhook.webhook import get_context

			target = frappe.render_template(url.request_url, get_context(doc))
		else:
			target = url.request_url if url else ""
	except Exception:
		target = ""
	label = receiver(target)
	try:
		current = frappe.get_doc(doc.doctype, doc.name)
	except frappe.DoesNotExistError:
		current = doc  # on_trash: the record as it was sent
	job = getattr(frappe.local, "job", None) or {}
	verdict = gate.check(
		doc.doctype,
		doc.name,
		PURPOSE,
		channel=CHANNEL,
		action="Send by webhook",
		recipients=(policy.recipient_ids(label),),
		recipient_label=label[:140],
		doc=current,
		sender=job.get("user") or frappe.session.user,
	)
	if not verdict.proceed:
		frappe.local.flags[_REFUSED] = {"webhook": name, "message": verdict.message}


class WebhookRefused(gate.ConfidentialityBlocked):
	pass


class GatedWebhook(Webhook):
	"""override_doctype_class["Webhook"]: loaded by a webhook job that `before_job`
	refused, it does not load, so Frappe's `enqueue_webhook` sends nothing and records the
	refusal in its Webhook Request Log (without the record's data)."""

	def load_from_db(self):
		refused = frappe.local.flags.get(_REFUSED)
		if refused and refused.get("webhook") == self.name:
			frappe.local.flags.pop(_REFUSED, None)
			raise WebhookRefused(refused["message"])
		return super().load_from_db()
