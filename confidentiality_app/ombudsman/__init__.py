"""Ombudsman cases: intake, the evidence pack from the log, determination under the Code,
breaches and sanctions, stage deadlines (the rules themselves are pure, in
confidentiality_app.rules.determination).

A case's status changes only through `move` (and `determine`), whatever the entry point: the
controller refuses any other change. A case that found a breach closes only once a
sanction is raised. Who opened or printed a case is logged (a case holds client information
too).

Modules: `cases` (shared: doctypes, refusal, log entries), `intake`, `stages`, `evidence`,
`findings` (the determination), `letters`, `referral`, `sanctions`. Imports the decision
point, the log and the rules (a referral is a Disclosure Request document, checked by the
disclosures domain through its controller; the layers let it import that domain); never a
channel.

The package's public names are re-exported here (`confidentiality_app.ombudsman.<name>`);
hooks.py names the modules themselves."""

from confidentiality_app.ombudsman.cases import (
	ACKNOWLEDGEMENT_LETTER,
	CASE_DOCTYPES,
	CHANNEL,
	DETERMINATION_LETTER,
	REFERRAL_GROUNDS,
	RELEASED,
	CaseRefused,
	log_case,
	log_export,
	refuse,
	tell_source,
)
from confidentiality_app.ombudsman.evidence import evidence_pack, people_of, respondent_users
from confidentiality_app.ombudsman.findings import determine
from confidentiality_app.ombudsman.intake import acknowledge, from_issue, from_mail, from_ticket, open_case
from confidentiality_app.ombudsman.letters import letter_recipients, send_letters
from confidentiality_app.ombudsman.referral import refer, send_referral
from confidentiality_app.ombudsman.sanctions import active_sanctions
from confidentiality_app.ombudsman.stages import enter_stage, escalate_overdue, move

__all__ = [
	"ACKNOWLEDGEMENT_LETTER",
	"CASE_DOCTYPES",
	"CHANNEL",
	"CaseRefused",
	"DETERMINATION_LETTER",
	"REFERRAL_GROUNDS",
	"RELEASED",
	"acknowledge",
	"active_sanctions",
	"determine",
	"enter_stage",
	"escalate_overdue",
	"evidence_pack",
	"from_issue",
	"from_mail",
	"from_ticket",
	"letter_recipients",
	"log_case",
	"log_export",
	"move",
	"open_case",
	"people_of",
	"refer",
	"refuse",
	"respondent_users",
	"send_letters",
	"send_referral",
	"tell_source",
]
