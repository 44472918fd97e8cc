"""SMS: a text message about a client leaves only with the client's consent for SMS.

Frappe v15 sends SMS through `frappe.core.doctype.sms_settings.sms_settings.send_sms`
(a whitelisted method: the desk's Send SMS dialog, REST, integrations), from a
Notification whose channel is SMS, and from ERPNext's SMS Center (bulk, to every Lead,
Contact or Customer). Each is gated here (hooks.py: override_whitelisted_methods and
override_doctype_class):

* What a message is about: the record it is sent from (a Notification's document), the
  clients whose numbers it is sent to, and the clients whose email address or number it
  names in its text. Numbers are compared without spaces, dashes, dots and brackets, a
  leading 00 read as +.
* The receivers are the recipients (`tel:<number>`). A message to the client's own number
  about the client alone needs no consent (it is theirs); anyone else needs the client's
  consent for **SMS** naming the number, or naming no recipient, or an approved disclosure.
* SMS Center sends the same text to many people: that is marketing. Each receiver who is a
  client needs consent for **Marketing** (even to their own number, as for mail
  campaigns); the others are left out of the send and the user is told how many.

A refused message is not sent: the sender is told why (the dialog keeps the text), one
log entry records the decision. Frappe has no SMS queue to hold it in.
"""

from __future__ import annotations

import re

import frappe
from frappe import _
from frappe.core.doctype.sms_settings import sms_settings
from frappe.utils import cstr

from confidentiality_app.decision import clients, gate
from confidentiality_app.rules import policy

PURPOSE = "SMS"
MARKETING = "Marketing"
CHANNEL = "SMS"
_NUMBER_IN_TEXT = re.compile(r"(?<![\w+])\+?\d[\d \-().]{6,}\d")
_ADDRESS = clients.ADDRESS


def normalise_number(value) -> str:
	"""A number as compared (policy.normalise of `tel:`), without the prefix; "" if none."""
	return clients.phone_id(cstr(value))[4:]


def label(number: str) -> str:
	return f"tel:{number}"


def _stripped(column: str) -> str:
	"""SQL: `column` (an expression) without the formatting normalise_number drops."""
	out = column
	for ch in (" ", "-", "(", ")", "."):
		out = f"REPLACE({out}, '{ch}', '')"
	return out


def records_with_numbers(numbers) -> dict[str, list[tuple[str, str]]]:
	"""{number: [client records carrying it]}, one query over every client doctype."""
	wanted = sorted({n for n in (normalise_number(x) for x in numbers) if n})
	if not wanted:
		return {}
	variants = sorted({*wanted, *("00" + n[1:] for n in wanted if n.startswith("+"))})
	marks = ", ".join(["%s"] * len(variants))
	parts, values = [], []
	for doctype in sorted(clients.client_doctypes()):
		if not frappe.db.table_exists(doctype):
			continue
		meta = frappe.get_meta(doctype)
		for field in (f for f in clients.NUMBER_FIELDS if meta.has_field(f)):
			parts.append(
				f"SELECT %s, name, `{field}` FROM `tab{doctype}` WHERE {_stripped(f'`{field}`')} IN ({marks})"
			)
			values += [doctype, *variants]
	if "Contact" in clients.client_doctypes():
		parts.append(
			f"SELECT 'Contact', parent, phone FROM `tabContact Phone` WHERE parenttype = 'Contact' AND {_stripped('`phone`')} IN ({marks})"
		)
		values += variants
	if not parts:
		return {}
	found: dict[str, list[tuple[str, str]]] = {}
	for doctype, name, number in frappe.db.sql(" UNION ALL ".join(parts), values):
		key = normalise_number(number)
		if key and (doctype, name) not in found.setdefault(key, []):
			found[key].append((doctype, name))
	return found


def _numbers_in(text: str) -> set[str]:
	return {n for n in (normalise_number(m) for m in _NUMBER_IN_TEXT.findall(text or "")) if n}


def _receivers(receiver_list) -> list[str]:
	if isinstance(receiver_list, str):
		parsed = frappe.parse_json(receiver_list) if receiver_list.strip().startswith("[") else receiver_list
		receiver_list = parsed if isinstance(parsed, list) else [parsed]
	return list(dict.fromkeys(n for n in (normalise_number(r) for r in receiver_list or []) if n))


def decide(receiver_list, message, reference=None, action="Send SMS") -> gate.Verdict | None:
	"""One decision (one log entry) over everything the message is about, for every
	receiver; None when it is about no client."""
	receivers = _receivers(receiver_list)
	text = cstr(frappe.safe_decode(message) if isinstance(message, bytes) else message)
	holders = records_with_numbers([*receivers, *_numbers_in(text)])
	records: list[tuple[str, str]] = []
	if reference and reference[0] and reference[1] and gate.is_protected(reference[0]):
		records.append((reference[0], reference[1]))
	for number_records in holders.values():
		records += number_records
	named = {a.lower() for a in _ADDRESS.findall(text)}
	for found in clients.clients_by_address(named).values():
		records += found
	# a colleague is never a client: their own User record carries their number too
	colleagues = colleagues_by_number(receivers)
	staff = set(colleagues.values())
	records = [
		r
		for r in dict.fromkeys(records)
		if gate.is_protected(r[0])
		and not (r[0] == "User" and (r[1] in staff or clients.is_colleague_record(*r)))
	]
	if not records:
		return None
	# a receiver who is the client themself (their own number) needs nothing for them: the
	# decision knows each client's numbers (clients.own_addresses), never for another client.
	# A colleague's number (a desk user's mobile or phone) is the colleague: they may have
	# what they can already read.
	readers = {
		label(number)
		for number, user in colleagues.items()
		if all(_reads(user, record) for record in records)
	}
	labels = [label(n) for n in receivers]
	return gate.check(
		records[0][0],
		records[0][1],
		PURPOSE,
		channel=CHANNEL,
		action=action,
		records=[(dt, dn, None) for dt, dn in records],
		recipients=tuple(policy.recipient_ids(x) for x in labels),
		recipient_label=", ".join(labels)[:140],
		has_access=frozenset(readers),
	)


def colleagues_by_number(numbers) -> dict[str, str]:
	"""{number: user} for the desk users (colleagues, not learners) whose mobile or phone
	is among `numbers`: one query."""
	wanted = sorted({n for n in (normalise_number(x) for x in numbers) if n})
	if not wanted:
		return {}
	marks = ", ".join(["%s"] * len(wanted))
	found: dict[str, str] = {}
	for name, mobile, phone in frappe.db.sql(
		f"""SELECT u.name, u.mobile_no, u.phone FROM `tabUser` u
		WHERE u.enabled = 1 AND u.user_type = 'System User'
		AND ({_stripped("u.`mobile_no`")} IN ({marks}) OR {_stripped("u.`phone`")} IN ({marks}))
		AND {clients.STAFF}""",
		(*wanted, *wanted),
	):
		for value in (mobile, phone):
			number = normalise_number(value)
			if number in wanted:
				found[number] = name
	return found


def _reads(user: str, record: tuple[str, str]) -> bool:
	from confidentiality_app.decision.permissions import can_read_without_share

	try:
		return can_read_without_share(frappe.get_doc(*record), user)
	except frappe.DoesNotExistError:
		return False


def _refuse(verdict: gate.Verdict):
	frappe.throw(verdict.message, gate.ConfidentialityBlocked, title=_("Refused by confidentiality rules"))


@frappe.whitelist()
def send_sms(receiver_list, msg, sender_name="", success_msg=True):
	"""Overrides frappe.core.doctype.sms_settings.sms_settings.send_sms (the desk's Send SMS
	dialog, REST and integrations)."""
	if gate.active():
		verdict = decide(receiver_list, msg)
		if verdict is not None and not verdict.proceed:
			_refuse(verdict)
	return sms_settings.send_sms(receiver_list, msg, sender_name=sender_name, success_msg=success_msg)


def notification_sms(notification, doc, context) -> bool:
	"""A Notification's SMS channel (called by GatedNotification.send_sms): True to send.
	Notification.send swallows exceptions, so a refusal returns False (logged)."""
	if not gate.active():
		return True
	verdict = decide(
		notification.get_receiver_list(doc, context),
		frappe.render_template(notification.message, context),
		reference=(doc.doctype, doc.name),
		action="Notification SMS",
	)
	return verdict is None or verdict.proceed


def bulk_receivers(receivers, message) -> tuple[list[str], int]:
	"""SMS Center: the receivers who may get this text (marketing: each client receiver
	needs consent for Marketing), and how many were left out. A text naming another client
	is refused whole (`decide`)."""
	receivers = _receivers(receivers)
	holders = records_with_numbers(receivers)
	mentioned = decide([], message, action="SMS Center")
	if mentioned is not None and not mentioned.proceed:
		_refuse(mentioned)
	allowed, withheld = [], 0
	for number in receivers:
		records = [r for r in holders.get(number, []) if gate.is_protected(r[0])]
		if not records:
			allowed.append(number)
			continue
		verdict = gate.check(
			records[0][0],
			records[0][1],
			MARKETING,
			channel=CHANNEL,
			action="SMS Center",
			records=[(dt, dn, None) for dt, dn in records],
			recipients=(policy.recipient_ids(label(number)),),
			recipient_label=label(number),
			service_to_client=False,
		)
		if verdict.proceed:
			allowed.append(number)
		else:
			withheld += 1
	return allowed, withheld
