"""The determination of a case under the Code (the rules are pure, in `rules.determination`): per
log entry, a valid reason or not and on which ground; a finding without one is a breach of
confidentiality and of duty of care, recorded as a Confidentiality Breach."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import now_datetime

from confidentiality_app.decision.permissions import OMBUDSMAN
from confidentiality_app.ombudsman.cases import DETERMINATION_LETTER, log_case, refuse
from confidentiality_app.ombudsman.evidence import evidence_pack
from confidentiality_app.ombudsman.letters import send_letters
from confidentiality_app.ombudsman.stages import enter_stage
from confidentiality_app.rules import determination

# --------------------------------------------------------------------------- determination


def determine(doc, findings) -> dict:
	if OMBUDSMAN not in frappe.get_roles():
		refuse(_("Only an Ombudsman Officer determines a case."))
	if doc.status not in (determination.INVESTIGATION, determination.APPEAL):
		refuse(_("A case is determined after investigation; {0} is at {1}.").format(doc.name, _(doc.status)))
	pack = {row.name: row for row in evidence_pack(doc)["log"]}
	parsed = []
	for raw in findings or []:
		raw = frappe._dict(raw)
		entry = str(raw.get("log_entry") or raw.get("entry") or "")
		if entry not in pack:
			refuse(
				_(
					"{0} is not a release in this case's evidence: findings are made on the evidence pack."
				).format(entry or _("(no log entry)"))
			)
		parsed.append(
			determination.Finding(
				entry=entry,
				valid_reason=bool(frappe.utils.cint(raw.get("valid_reason"))),
				ground=raw.get("ground") or "",
				within_agreement=bool(frappe.utils.cint(raw.get("within_agreement", 1))),
			)
		)
	result = determination.determine(parsed)
	if not result.valid:
		refuse(_("The findings cannot stand: {0}.").format(", ".join(result.problems)))
	notes = {
		str(frappe._dict(r).get("log_entry") or frappe._dict(r).get("entry")): frappe._dict(r).get("notes")
		for r in findings
	}
	doc.set("findings", [])
	for finding in parsed:
		entry = pack[finding.entry]
		doc.append(
			"findings",
			{
				"log_entry": finding.entry,
				"released": f"{entry.action}: {entry.reference_doctype} {entry.reference_name}"[:140],
				"recipient": (entry.recipient or "")[:140],
				"valid_reason": int(finding.valid_reason),
				"ground": finding.ground if finding.valid_reason else "",
				"within_agreement": int(finding.within_agreement),
				"notes": notes.get(finding.entry),
			},
		)
	doc.breach_of_confidentiality = int(result.breach_of_confidentiality)
	doc.breach_of_duty_of_care = int(result.breach_of_duty_of_care)
	doc.determined_by = frappe.session.user
	doc.determined_on = now_datetime()
	enter_stage(doc, determination.DETERMINATION)
	doc.flags.case_transition = True
	doc.save(ignore_permissions=True)
	breaches = [_record_breach(doc, pack[name]) for name in result.breaches]
	log_case(
		doc,
		"Determine Case",
		_("Determined: {0} released item(s), {1} without a valid reason{2}.").format(
			len(parsed),
			len(result.breaches),
			_(": breach of confidentiality and of duty of care; a sanction is required")
			if result.breach_of_confidentiality
			else "",
		),
		decision="Deny" if result.breach_of_confidentiality else "Allow",
	)
	send_letters(doc, DETERMINATION_LETTER)
	return {
		"breach_of_confidentiality": result.breach_of_confidentiality,
		"breach_of_duty_of_care": result.breach_of_duty_of_care,
		"sanction_required": result.sanction_required,
		"breaches": breaches,
	}


def _record_breach(doc, entry) -> str:
	practitioner = None
	if entry.user:
		practitioner = frappe.db.get_value("Practitioner", {"user": entry.user}, "name")
	if not practitioner and doc.respondents:
		practitioner = doc.respondents[0].practitioner
	breach = frappe.get_doc(
		{
			"doctype": "Confidentiality Breach",
			"case": doc.name,
			"practitioner": practitioner,
			"how_found": "Complaint",
			"log_entry": entry.name,
			"released_on": entry.timestamp,
			"released_by": entry.user,
			"what_released": f"{entry.action}: {entry.reference_doctype} {entry.reference_name}",
			"recipient": entry.recipient,
			"channel": entry.channel,
			"client_type": entry.client_doctype,
			"client": entry.client_name,
			"reason_given": entry.reason,
			"valid_reason": 0,
		}
	)
	breach.insert(ignore_permissions=True)
	return breach.name
