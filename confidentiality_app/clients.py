"""Who is the client behind a record, and which records are the same person.

`Confidentiality Settings > Protected Doctypes` says, per doctype, how a record names its
client: blank client field (the record *is* a client: Lead, Customer, Contact...), a Link
or Dynamic Link field (Quotation.party_name, Sales Order.customer), a Table of Dynamic Links
(Address.links) or `table.link_field` (LMS Batch students.student).

Consent follows the person: a consent recorded on any record of the client's *identity*
covers them. The identity of a client record is the record itself, the records it was
converted from or into (Lead <-> Customer, CRM Lead <-> CRM Deal) and, for a Contact, the
parties the contact belongs to. It never spreads sideways from an organisation to its
other contacts: one person's consent does not cover a colleague.
"""

from __future__ import annotations

import frappe
from frappe import _

MAX_IDENTITY = 50


class ConfigurationError(frappe.ValidationError):
	pass


def settings():
	return frappe.get_cached_doc("Confidentiality Settings")


def protected_rules() -> dict[str, list[str]]:
	"""{doctype: [client_field, ...]} for enabled rows. '' means the record itself."""
	rules: dict[str, list[str]] = {}
	for row in settings().get("protected_doctypes") or []:
		if row.enabled and row.document_type:
			rules.setdefault(row.document_type, []).append((row.client_field or "").strip())
	return rules


def is_protected(doctype: str) -> bool:
	return doctype in protected_rules()


def client_doctypes() -> set[str]:
	"""Doctypes whose records are clients themselves (consent is recorded on them)."""
	return {dt for dt, fields in protected_rules().items() if "" in fields}


def clients_of(doctype: str, name: str, doc=None) -> list[tuple[str, str]]:
	"""The client records a record names, in a stable order, without duplicates."""
	rules = protected_rules().get(doctype)
	if not rules:
		return []
	kinds = client_doctypes()
	found: list[tuple[str, str]] = []
	for field in rules:
		if not field:
			parties = [(doctype, name)]
		else:
			if doc is None:
				doc = frappe.get_doc(doctype, name)
			parties = _parties_in_field(doc, field)
		for party in parties:
			if party[0] in kinds and party[1] and party not in found:
				found.append(party)
	return found


def _parties_in_field(doc, field: str) -> list[tuple[str, str]]:
	meta = frappe.get_meta(doc.doctype)
	table_field, _dot, child_field = field.partition(".")
	df = meta.get_field(table_field)
	if df is None:
		raise ConfigurationError(
			_("Protected Doctype {0}: field {1} does not exist.").format(doc.doctype, field)
		)
	if df.fieldtype == "Link":
		return [(df.options, doc.get(field))]
	if df.fieldtype == "Dynamic Link":
		return [(doc.get(df.options), doc.get(field))]
	if df.fieldtype in ("Table", "Table MultiSelect"):
		parties = []
		child_meta = frappe.get_meta(df.options)
		for row in doc.get(table_field) or []:
			if df.options == "Dynamic Link" and not child_field:
				parties.append((row.link_doctype, row.link_name))
				continue
			cdf = child_meta.get_field(child_field) if child_field else None
			if cdf is None or cdf.fieldtype not in ("Link", "Dynamic Link"):
				raise ConfigurationError(
					_("Protected Doctype {0}: {1} must name a Link field of table {2}.").format(
						doc.doctype, field, df.options
					)
				)
			target = cdf.options if cdf.fieldtype == "Link" else row.get(cdf.options)
			parties.append((target, row.get(child_field)))
		return parties
	raise ConfigurationError(
		_("Protected Doctype {0}: field {1} is a {2}; use a Link, Dynamic Link or Table field.").format(
			doc.doctype, field, df.fieldtype
		)
	)


def validate_rule(doctype: str, field: str) -> None:
	"""Raise ConfigurationError when a Protected Doctype row cannot be resolved."""
	if not frappe.db.exists("DocType", doctype):
		raise ConfigurationError(_("Protected Doctype {0} does not exist.").format(doctype))
	if not field:
		return
	meta = frappe.get_meta(doctype)
	table_field, _dot, child_field = field.partition(".")
	df = meta.get_field(table_field)
	if df is None:
		raise ConfigurationError(_("Protected Doctype {0}: field {1} does not exist.").format(doctype, field))
	if df.fieldtype in ("Link", "Dynamic Link") and not child_field:
		return
	if df.fieldtype in ("Table", "Table MultiSelect"):
		if df.options == "Dynamic Link" and not child_field:
			return
		cdf = frappe.get_meta(df.options).get_field(child_field) if child_field else None
		if cdf is not None and cdf.fieldtype in ("Link", "Dynamic Link"):
			return
	raise ConfigurationError(
		_(
			"Protected Doctype {0}: {1} must be a Link or Dynamic Link field, a Table of Dynamic Links, or table.link_field."
		).format(doctype, field)
	)


def identity(party: tuple[str, str]) -> list[tuple[str, str]]:
	"""The records whose consents cover `party`: itself, its conversions, and for a
	Contact the parties it belongs to."""
	kinds = client_doctypes()
	seen = [party]
	frontier = [party]
	while frontier and len(seen) < MAX_IDENTITY:
		current = frontier.pop()
		for related in _related(current):
			if related[0] in kinds and related[1] and related not in seen:
				seen.append(related)
				frontier.append(related)
	return seen


def _related(party: tuple[str, str]) -> list[tuple[str, str]]:
	doctype, name = party
	related: list[tuple[str, str]] = []
	if doctype == "Lead" and _has_field("Customer", "lead_name"):
		related += [("Customer", c) for c in frappe.get_all("Customer", {"lead_name": name}, pluck="name")]
	elif doctype == "Customer" and _has_field("Customer", "lead_name"):
		lead = frappe.db.get_value("Customer", name, "lead_name")
		if lead:
			related.append(("Lead", lead))
	elif doctype == "CRM Lead" and _has_field("CRM Deal", "lead"):
		related += [("CRM Deal", d) for d in frappe.get_all("CRM Deal", {"lead": name}, pluck="name")]
	elif doctype == "CRM Deal" and _has_field("CRM Deal", "lead"):
		lead = frappe.db.get_value("CRM Deal", name, "lead")
		if lead:
			related.append(("CRM Lead", lead))

	if doctype == "Contact":
		related += [
			(link.link_doctype, link.link_name)
			for link in frappe.get_all(
				"Dynamic Link",
				filters={"parenttype": doctype, "parent": name},
				fields=["link_doctype", "link_name"],
				order_by="idx asc",
			)
		]
	return related


def _has_field(doctype: str, fieldname: str) -> bool:
	return bool(frappe.db.exists("DocType", doctype)) and frappe.get_meta(doctype).has_field(fieldname)


def title_of(party: tuple[str, str]) -> str:
	doctype, name = party
	try:
		meta = frappe.get_meta(doctype)
		title_field = meta.get_title_field()
		if title_field and title_field != "name":
			title = frappe.db.get_value(doctype, name, title_field)
			if title and title != name:
				return f"{title} ({name})"
	except Exception:
		pass
	return name


_EMAIL_FIELDS = ("email_id", "email", "contact_email", "lead_email")


def self_ids(identity_parties) -> frozenset[str]:
	"""The client's own identifiers (user ids, email addresses) across their identity."""
	from confidentiality_app.policy import normalise

	ids: set[str] = set()
	for doctype, name in identity_parties:
		if doctype == "User":
			ids.add(normalise(name))
		meta = frappe.get_meta(doctype)
		fields = [f for f in _EMAIL_FIELDS if meta.has_field(f)]
		if fields:
			values = frappe.db.get_value(doctype, name, fields, as_dict=True) or {}
			ids.update(normalise(v) for v in values.values() if v)
		if doctype == "Contact":
			ids.update(
				normalise(e)
				for e in frappe.get_all(
					"Contact Email", {"parent": name, "parenttype": "Contact"}, pluck="email_id"
				)
				if e
			)
	ids.discard("")
	return frozenset(ids)


def covered_by(party: tuple[str, str]) -> list[tuple[str, str]]:
	"""The client records a consent recorded on `party` covers: the reverse of `identity`
	(the party, its conversions, and the Contacts that belong to it)."""
	kinds = client_doctypes()
	seen = [party]
	frontier = [party]
	while frontier and len(seen) < MAX_IDENTITY:
		doctype, name = frontier.pop()
		# conversions run both ways; a Contact's edge to its parties runs the other way here
		related = [] if doctype == "Contact" else _related((doctype, name))
		related += [
			("Contact", c)
			for c in frappe.get_all(
				"Dynamic Link",
				filters={"parenttype": "Contact", "link_doctype": doctype, "link_name": name},
				pluck="parent",
			)
		]
		for r in related:
			if r[0] in kinds and r[1] and r not in seen:
				seen.append(r)
				frontier.append(r)
	return seen


def covered_records(parties) -> dict[str, set[str]]:
	"""{doctype: {names}} of protected records that name a client covered by consents
	recorded on `parties`: the records whose decisions may change with those consents."""
	covered: list[tuple[str, str]] = []
	for party in parties:
		for p in covered_by(tuple(party)):
			if p not in covered:
				covered.append(p)
	by_type: dict[str, list[str]] = {}
	for doctype, name in covered:
		by_type.setdefault(doctype, []).append(name)

	records: dict[str, set[str]] = {}
	for doctype, fields in protected_rules().items():
		found = records.setdefault(doctype, set())
		for field in fields:
			if not field:
				found.update(by_type.get(doctype, ()))
				continue
			found.update(_records_naming(doctype, field, by_type))
	return records


def _records_naming(doctype: str, field: str, by_type: dict[str, list[str]]) -> set[str]:
	meta = frappe.get_meta(doctype)
	table_field, _dot, child_field = field.partition(".")
	df = meta.get_field(table_field)
	if df is None:
		return set()
	found: set[str] = set()
	if df.fieldtype == "Link":
		names = by_type.get(df.options)
		if names:
			found.update(frappe.get_all(doctype, {field: ["in", names]}, pluck="name"))
	elif df.fieldtype == "Dynamic Link":
		for target, names in by_type.items():
			found.update(frappe.get_all(doctype, {df.options: target, field: ["in", names]}, pluck="name"))
	elif df.fieldtype in ("Table", "Table MultiSelect"):
		if df.options == "Dynamic Link" and not child_field:
			for target, names in by_type.items():
				found.update(
					frappe.get_all(
						"Dynamic Link",
						filters={
							"parenttype": doctype,
							"parentfield": table_field,
							"link_doctype": target,
							"link_name": ["in", names],
						},
						pluck="parent",
					)
				)
		elif child_field:
			cdf = frappe.get_meta(df.options).get_field(child_field)
			if cdf is not None and cdf.fieldtype == "Link":
				names = by_type.get(cdf.options)
				if names:
					found.update(
						frappe.get_all(
							df.options,
							filters={
								"parenttype": doctype,
								"parentfield": table_field,
								child_field: ["in", names],
							},
							pluck="parent",
						)
					)
			elif cdf is not None and cdf.fieldtype == "Dynamic Link":
				for target, names in by_type.items():
					found.update(
						frappe.get_all(
							df.options,
							filters={
								"parenttype": doctype,
								"parentfield": table_field,
								cdf.options: target,
								child_field: ["in", names],
							},
							pluck="parent",
						)
					)
	return found
