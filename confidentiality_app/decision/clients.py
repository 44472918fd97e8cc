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

import re
from dataclasses import dataclass

import frappe
from frappe import _

from confidentiality_app.rules.policy import normalise

MAX_IDENTITY = 50
# an email address in free text (mail bodies, web pages)
ADDRESS = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")

# Protected doctypes whose edits are not identity changes: a draft consent releases nothing
# and a submitted one cannot change its client.
IGNORED = frozenset({"Client Consent"})


class ConfigurationError(frappe.ValidationError):
	pass


def settings():
	return frappe.get_cached_doc("Confidentiality Settings")


def protected_rules() -> dict[str, list[str]]:
	"""{doctype: [client_field, ...]} for enabled rows. '' means the record itself.
	Worked out once per cached settings document (a decision asks many times); callers
	must not change what it returns."""
	current = settings()
	rows = current.get("protected_doctypes") or []
	key = (current.modified, id(rows), len(rows))
	memo = current.__dict__.get("_confidentiality_rules")
	if memo and memo[0] == key:
		return memo[1]
	rules: dict[str, list[str]] = {}
	for row in rows:
		if row.enabled and row.document_type:
			rules.setdefault(row.document_type, []).append((row.client_field or "").strip())
	current.__dict__["_confidentiality_rules"] = (key, rules)
	return rules


def client_optional(doctype: str) -> bool:
	"""A record of `doctype` that names no client is not a client record (every enabled
	rule of the doctype says so), rather than an unknown client."""
	rows = [
		row
		for row in settings().get("protected_doctypes") or []
		if row.enabled and row.document_type == doctype
	]
	return bool(rows) and all(row.client_optional for row in rows)


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
			if is_colleague_record(doctype, name):
				continue  # Administrator, Guest: the site's own accounts, never a client
			parties = [(doctype, name)]
		else:
			if doc is None:
				doc = frappe.get_doc(doctype, name)
			parties = _parties_in_field(doc, field)
		for party in parties:
			if party[0] in kinds and party[1] and party not in found:
				found.append(party)
	return found


def clients_of_rows(doctype: str, names) -> dict[str, list[tuple[str, str]]]:
	"""`clients_of` for many records of one doctype at once (an export, a list read): one
	query per client field of the doctype, whatever the number of records."""
	names = list(dict.fromkeys(n for n in names if n))
	found: dict[str, list[tuple[str, str]]] = {n: [] for n in names}
	rules = protected_rules().get(doctype)
	if not rules or not names:
		return found
	kinds = client_doctypes()
	marks = ", ".join(["%s"] * len(names))

	def add(name, party):
		if party[0] in kinds and party[1] and party not in found[name]:
			found[name].append(party)

	for field in rules:
		if not field:
			for name in names:
				if not is_colleague_record(doctype, name):
					add(name, (doctype, name))
			continue
		shape = rule_shape(doctype, field)
		if shape.kind == "link":
			rows = frappe.db.sql(
				f"SELECT name, %s, `{shape.field}` FROM `tab{doctype}` WHERE name IN ({marks})",
				(shape.target, *names),
			)
		elif shape.kind == "dynamic":
			rows = frappe.db.sql(
				f"SELECT name, `{shape.target}`, `{shape.field}` FROM `tab{doctype}` WHERE name IN ({marks})",
				names,
			)
		else:
			child = shape.table
			if shape.kind == "links_table":
				columns = "`link_doctype`, `link_name`"
			elif shape.kind == "child_link":
				columns = f"%s, `{shape.child_field}`"
			else:
				columns = f"`{shape.target}`, `{shape.child_field}`"
			values = (shape.target,) if shape.kind == "child_link" else ()
			rows = frappe.db.sql(
				f"""SELECT parent, {columns} FROM `tab{child}`
				WHERE parenttype = %s AND parentfield = %s AND parent IN ({marks}) ORDER BY parent, idx""",
				(*values, doctype, shape.field, *names),
			)
		for name, party_type, party in rows:
			if name in found:
				add(name, (party_type, party))
	return found


def is_colleague_record(doctype: str, name: str) -> bool:
	"""The User records of the site's own accounts, Administrator and Guest: User is
	protected (LMS learners are Users, and Frappe makes a learner with a desk role a System
	User, so user type cannot tell), but these two are never a person who is a client."""
	return doctype == "User" and name in ("Administrator", "Guest")


@dataclass(frozen=True)
class RuleShape:
	"""How a Protected Doctype row's client field names clients.

	kind: "link" | "dynamic" (a field on the record), "links_table" (a Table of Dynamic
	Links, e.g. Address.links), "child_link" | "child_dynamic" (`table.field`)."""

	kind: str
	field: str  # the field on the record (the table field for table kinds)
	target: str | None = None  # Link target doctype, or the field holding the doctype
	table: str | None = None  # child doctype for table kinds
	child_field: str | None = None


def rule_shape(doctype: str, field: str) -> RuleShape:
	"""Interpret a client field once for every use; ConfigurationError when it cannot name
	a client."""
	table_field, _dot, child_field = field.partition(".")
	df = frappe.get_meta(doctype).get_field(table_field)
	if df is None:
		raise ConfigurationError(_("Protected Doctype {0}: field {1} does not exist.").format(doctype, field))
	if not child_field and df.fieldtype == "Link":
		return RuleShape("link", table_field, target=df.options)
	if not child_field and df.fieldtype == "Dynamic Link":
		return RuleShape("dynamic", table_field, target=df.options)
	if df.fieldtype in ("Table", "Table MultiSelect"):
		if df.options == "Dynamic Link" and not child_field:
			return RuleShape("links_table", table_field, table="Dynamic Link")
		cdf = frappe.get_meta(df.options).get_field(child_field) if child_field else None
		if cdf is not None and cdf.fieldtype == "Link":
			return RuleShape("child_link", table_field, cdf.options, df.options, child_field)
		if cdf is not None and cdf.fieldtype == "Dynamic Link":
			return RuleShape("child_dynamic", table_field, cdf.options, df.options, child_field)
	raise ConfigurationError(
		_(
			"Protected Doctype {0}: {1} must be a Link or Dynamic Link field, a Table of Dynamic Links, or table.link_field."
		).format(doctype, field)
	)


def _parties_in_field(doc, field: str) -> list[tuple[str, str]]:
	shape = rule_shape(doc.doctype, field)
	if shape.kind == "link":
		return [(shape.target, doc.get(shape.field))]
	if shape.kind == "dynamic":
		return [(doc.get(shape.target), doc.get(shape.field))]
	rows = doc.get(shape.field) or []
	if shape.kind == "links_table":
		return [(row.link_doctype, row.link_name) for row in rows]
	if shape.kind == "child_link":
		return [(shape.target, row.get(shape.child_field)) for row in rows]
	return [(row.get(shape.target), row.get(shape.child_field)) for row in rows]


def validate_rule(doctype: str, field: str) -> None:
	"""Raise ConfigurationError when a Protected Doctype row cannot be resolved."""
	if not frappe.db.exists("DocType", doctype):
		raise ConfigurationError(_("Protected Doctype {0} does not exist.").format(doctype))
	if field:
		rule_shape(doctype, field)


def identity(party: tuple[str, str], doc=None) -> list[tuple[str, str]]:
	"""The records whose consents cover `party`: itself, its conversions, and for a
	Contact the parties it belongs to. With `doc` (the unsaved state of one record of the
	identity), that record's edges are read from `doc` instead of the database."""
	kinds = client_doctypes()
	seen = [party]
	frontier = [party]
	while frontier and len(seen) < MAX_IDENTITY:
		current = frontier.pop()
		override = doc if doc is not None and (doc.doctype, doc.name) == current else None
		for related in _related(current, override):
			if related[0] in kinds and related[1] and related not in seen:
				seen.append(related)
				frontier.append(related)
	return seen


# Fields through which one client record names another record of the same person
# (a conversion): (doctype, field, target doctype). Consent follows these edges both ways.
CONVERSION_LINKS = (
	("Customer", "lead_name", "Lead"),
	("Customer", "prospect_name", "Prospect"),
	("CRM Deal", "lead", "CRM Lead"),
)


def _related(party: tuple[str, str], doc=None) -> list[tuple[str, str]]:
	"""Records of the same person one edge away. `doc`: read this record's own edges
	from the unsaved document instead of the database."""
	doctype, name = party
	related: list[tuple[str, str]] = []
	for source, field, target in CONVERSION_LINKS:
		if not _has_field(source, field):
			continue
		# plain parameterised SQL on these paths: a decision's cold load runs them, and
		# frappe.get_all's query builder costs more than the query
		if doctype == target:
			related += [
				(source, n)
				for (n,) in frappe.db.sql(
					f"SELECT name FROM `tab{source}` WHERE `{field}` = %s ORDER BY creation", (name,)
				)
			]
		elif doctype == source:
			if doc is not None:
				value = doc.get(field)
			else:
				found = frappe.db.sql(f"SELECT `{field}` FROM `tab{source}` WHERE name = %s", (name,))
				value = found[0][0] if found else None
			if value:
				related.append((target, value))

	if doctype == "Contact":
		if doc is not None:
			rows = [(link.link_doctype, link.link_name) for link in doc.get("links") or []]
		else:
			rows = frappe.db.sql(
				"SELECT link_doctype, link_name FROM `tabDynamic Link` WHERE parenttype = %s AND parent = %s ORDER BY idx",
				(doctype, name),
			)
		related += [(link_doctype, link_name) for link_doctype, link_name in rows]
	return related


def _has_field(doctype: str, fieldname: str) -> bool:
	# table_exists reads Frappe's cached table list (no query); Frappe clears it when a
	# doctype's table is created
	return frappe.db.table_exists(doctype) and frappe.get_meta(doctype).has_field(fieldname)


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
# fields that hold a phone number on client doctypes
NUMBER_FIELDS = ("mobile_no", "phone", "whatsapp_no", "phone_no", "mobile")


def phone_id(value) -> str:
	"""A phone number as a recipient identifier (`tel:+447700900123`), "" when it is none."""
	ident = normalise(f"tel:{value or ''}")
	return ident if re.fullmatch(r"tel:\+?\d{5,}", ident) else ""


def own_addresses(identity_parties, doc=None) -> set[str]:
	"""Every email address and user id on the client's records (normalised). `doc`: read
	that record from the unsaved document instead of the database."""
	ids: set[str] = set()
	for doctype, name in identity_parties:
		current = doc if doc is not None and (doc.doctype, doc.name) == (doctype, name) else None
		if doctype == "User":
			ids.add(normalise(name))
		meta = frappe.get_meta(doctype)
		# addresses and phone numbers (as `tel:` identifiers: a text to the client's own
		# number is theirs), read together
		emails = [f for f in _EMAIL_FIELDS if meta.has_field(f)]
		numbers = [f for f in NUMBER_FIELDS if meta.has_field(f)]
		if emails or numbers:
			if current is not None:
				values = [current.get(f) for f in emails + numbers]
			else:
				found = frappe.db.sql(
					f"SELECT {', '.join(f'`{f}`' for f in emails + numbers)} FROM `tab{doctype}` WHERE name = %s",
					(name,),
				)
				values = list(found[0]) if found else []
			ids.update(normalise(v) for v in values[: len(emails)] if v)
			ids.update(phone_id(v) for v in values[len(emails) :] if v)
		if doctype == "Contact":
			phones = (
				[row.phone for row in current.get("phone_nos") or []]
				if current is not None
				else [
					p
					for (p,) in frappe.db.sql(
						"SELECT phone FROM `tabContact Phone` WHERE parent = %s AND parenttype = 'Contact'",
						(name,),
					)
				]
			)
			ids.update(phone_id(p) for p in phones if p)
		if doctype == "Contact":
			if current is not None:
				emails = [row.email_id for row in current.get("email_ids") or []]
			else:
				emails = [
					e
					for (e,) in frappe.db.sql(
						"SELECT email_id FROM `tabContact Email` WHERE parent = %s AND parenttype = 'Contact'",
						(name,),
					)
				]
			ids.update(normalise(e) for e in emails if e)
	ids.discard("")
	return ids


def records_with_addresses(addresses) -> list[tuple[tuple[str, str], str]]:
	"""Client records that carry any of `addresses`: [((doctype, name), address)], in one
	query for every client doctype and address field (the collation compares them without
	case)."""
	wanted = sorted({normalise(a) for a in addresses if a})
	if not wanted:
		return []
	marks = ", ".join(["%s"] * len(wanted))
	parts: list[str] = []
	values: list[str] = []
	kinds = client_doctypes()
	for doctype in sorted(kinds):
		if not frappe.db.table_exists(doctype):
			continue
		meta = frappe.get_meta(doctype)
		for field in (f for f in _EMAIL_FIELDS if meta.has_field(f)):
			parts.append(f"SELECT %s, name, `{field}` FROM `tab{doctype}` WHERE `{field}` IN ({marks})")
			values += [doctype, *wanted]
		if doctype == "User":
			parts.append(f"SELECT 'User', name, name FROM `tabUser` WHERE name IN ({marks})")
			values += wanted
	if "Contact" in kinds:
		parts.append(
			f"SELECT 'Contact', parent, email_id FROM `tabContact Email` WHERE parenttype = 'Contact' AND email_id IN ({marks})"
		)
		values += wanted
	if not parts:
		return []
	rows = frappe.db.sql(" UNION ALL ".join(parts), values)
	found: list[tuple[tuple[str, str], str]] = []
	for doctype, name, address in rows:
		item = ((doctype, name), normalise(address))
		if item not in found:
			found.append(item)
	return found


def self_ids(
	identity_parties, candidates: frozenset[str] | None = None, addresses: frozenset[str] | None = None
) -> frozenset[str]:
	"""The identifiers among `candidates` (all when None) that are the client themself.
	`addresses`: the client's own addresses when already known (cached facts).

	An address on the client's records counts, except the address of a desk (System)
	user: a colleague is never the client, even when their address was typed onto the
	client's record. A User record that *is* the client (an LMS learner) always counts."""
	own = set(addresses) if addresses is not None else own_addresses(identity_parties)
	if candidates is not None:
		own &= set(candidates)
	if not own:
		return frozenset()
	client_users = {name.lower() for doctype, name in identity_parties if doctype == "User"}
	colleagues = {
		address
		for address, user in desk_users(own, remember=False).items()
		if user.lower() not in client_users
	}
	return frozenset(own - colleagues)


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


def covered_records(parties, only: str | None = None, expanded: bool = False) -> dict[str, set[str] | None]:
	"""{doctype: {names}} of protected records that name a client covered by consents
	recorded on `parties`: the records whose decisions may change with those consents.
	None for a doctype whose rule cannot be resolved: every record of it must be re-checked.
	`only`: just this doctype. `expanded`: `parties` already holds every record they cover."""
	covered: list[tuple[str, str]] = []
	if expanded:
		covered = list(dict.fromkeys(tuple(p) for p in parties))
	for party in () if expanded else parties:
		for p in covered_by(tuple(party)):
			if p not in covered:
				covered.append(p)
	by_type: dict[str, list[str]] = {}
	for doctype, name in covered:
		by_type.setdefault(doctype, []).append(name)

	records: dict[str, set[str] | None] = {}
	for doctype, fields in protected_rules().items():
		if only and doctype != only:
			continue
		found: set[str] = set()
		try:
			for field in fields:
				if field:
					found |= _records_naming(doctype, rule_shape(doctype, field), by_type)
				else:
					found.update(by_type.get(doctype, ()))
		except ConfigurationError:
			records[doctype] = None
			continue
		records[doctype] = found
	return records


def _records_naming(doctype: str, shape: RuleShape, by_type: dict[str, list[str]]) -> set[str]:
	if shape.kind in ("link", "child_link"):
		targets = {shape.target: by_type[shape.target]} if shape.target in by_type else {}
	else:
		targets = by_type
	found: set[str] = set()
	for target, names in targets.items():
		if shape.kind == "link":
			filters = {shape.field: ["in", names]}
		elif shape.kind == "dynamic":
			filters = {shape.target: target, shape.field: ["in", names]}
		else:
			filters = {"parenttype": doctype, "parentfield": shape.field}
			if shape.kind == "links_table":
				filters.update(link_doctype=target, link_name=["in", names])
			elif shape.kind == "child_link":
				filters[shape.child_field] = ["in", names]
			else:
				filters.update({shape.target: target, shape.child_field: ["in", names]})
			found.update(frappe.get_all(shape.table, filters=filters, pluck="parent"))
			continue
		found.update(frappe.get_all(doctype, filters=filters, pluck="name"))
	return found


def clients_by_address(addresses) -> dict[str, list[tuple[str, str]]]:
	"""{address: [client records carrying it]} for the given addresses, leaving out the
	addresses of desk (System) users: a colleague is never a client."""
	wanted = {normalise(a) for a in addresses if a}
	if not wanted:
		return {}
	wanted -= desk_users(wanted).keys()
	found: dict[str, list[tuple[str, str]]] = {}
	for party, address in records_with_addresses(wanted):
		if party not in found.setdefault(address, []):
			found[address].append(party)
	return found


# Roles an app gives its learners or portal users that still carry desk access: Frappe LMS
# gives every new user "LMS Student" (a desk role on LMS sites), which makes every learner,
# and every client invited to the portal, a System User. Holding only such roles, a user
# is not a colleague.
LEARNER_ROLES = ("LMS Student",)
_NOT_STAFF_ROLES = (*LEARNER_ROLES, "All", "Guest", "Desk User")
# SQL: the user `u` holds a desk role that is not a learner's (one indexed subquery)
STAFF = f"""EXISTS (SELECT 1 FROM `tabHas Role` hr JOIN `tabRole` ro ON ro.name = hr.role
	WHERE hr.parent = u.name AND hr.parenttype = 'User' AND ro.desk_access = 1
	AND hr.role NOT IN ({", ".join(repr(r) for r in _NOT_STAFF_ROLES)}))"""


def desk_users(addresses, remember: bool = True) -> dict[str, str]:
	"""{address: user} for the colleagues among `addresses`: enabled System Users holding a
	desk role other than a learner's (one query, remembered until `forget_desk_users`: a
	mail asks for its addresses and for its recipients)."""
	wanted = sorted({normalise(a) for a in addresses if a})
	if not wanted:
		return {}
	memo = getattr(frappe.local, "confidentiality_colleagues", None) if remember else {}
	if memo is None:
		memo = frappe.local.confidentiality_colleagues = {}
	key = tuple(wanted)
	if key not in memo:
		marks = ", ".join(["%s"] * len(wanted))
		colleagues: dict[str, str] = {}
		for name, mail in frappe.db.sql(
			f"""SELECT u.name, u.email FROM `tabUser` u
			WHERE u.enabled = 1 AND u.user_type = 'System User' AND (u.name IN ({marks}) OR u.email IN ({marks}))
			AND {STAFF}""",
			(*wanted, *wanted),
		):
			for value in (name, mail):
				if normalise(value) in wanted:
					colleagues[normalise(value)] = name
		memo[key] = colleagues
	return dict(memo[key])


def forget_desk_users():
	"""Start a new decision: desk users are looked up again."""
	frappe.local.confidentiality_colleagues = {}
