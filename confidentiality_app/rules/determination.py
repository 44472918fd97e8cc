"""How the Ombudsman Service decides a complaint, in the Code's terms (pure Python, no frappe).

The Code's last section: the Ombudsman Service determines a breach of confidentiality by
looking at what client information was released and the reason it was. A release is made
for a valid reason only on one of the Code's grounds (the written consent of the client and
of every other person involved, a requirement of a relevant government organisation, or
compelling evidence of serious danger, then only to the regulator or a government body),
and within the level of confidentiality agreed at the start (rule 3). Where the respondent
released information without a valid reason, they have breached their duty of care as well
as confidentiality, and sanctions are raised: a case with a breach cannot close without one.

A case moves through stages, each with a deadline; an overdue stage is escalated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

GROUNDS = ("Written Consent", "Government Requirement", "Serious Danger")

RECEIVED = "Received"
ACKNOWLEDGED = "Acknowledged"
INVESTIGATION = "Under Investigation"
DETERMINATION = "Determination"
SANCTIONS = "Sanctions"
CLOSED = "Closed"
APPEAL = "Appeal"
STAGES = (RECEIVED, ACKNOWLEDGED, INVESTIGATION, DETERMINATION, SANCTIONS, CLOSED, APPEAL)

# Where each stage may go next. A case with no breach skips Sanctions; an appeal reopens the
# investigation or confirms the determination.
TRANSITIONS = {
	RECEIVED: (ACKNOWLEDGED,),
	ACKNOWLEDGED: (INVESTIGATION,),
	INVESTIGATION: (DETERMINATION,),
	DETERMINATION: (SANCTIONS, CLOSED),
	SANCTIONS: (CLOSED,),
	CLOSED: (APPEAL,),
	APPEAL: (INVESTIGATION, CLOSED),
}

# Default working time allowed in each stage, in days (Confidentiality Settings may change it).
DEADLINE_DAYS = {
	RECEIVED: 2,
	ACKNOWLEDGED: 5,
	INVESTIGATION: 30,
	DETERMINATION: 10,
	SANCTIONS: 10,
	APPEAL: 20,
}


@dataclass(frozen=True)
class Finding:
	"""One released item (a log entry) and what the officer found about its reason."""

	entry: str
	valid_reason: bool
	ground: str = ""  # the Code's ground it rested on, when valid
	within_agreement: bool = True  # stayed within the Confidentiality Agreement made at the start


@dataclass(frozen=True)
class Determination:
	breach_of_confidentiality: bool
	breach_of_duty_of_care: bool
	sanction_required: bool
	breaches: tuple[str, ...]  # the entries released without a valid reason
	problems: tuple[str, ...] = ()  # findings that cannot stand as given (code, entry)

	@property
	def valid(self) -> bool:
		return not self.problems


NO_FINDINGS = "no_findings"
GROUND_MISSING = "ground_missing"
UNKNOWN_GROUND = "unknown_ground"
DUPLICATE = "duplicate"


def determine(findings) -> Determination:
	"""A release is a breach unless it had a valid reason on one of the Code's grounds and
	stayed within the agreement. Any breach is also a breach of duty of care and requires a
	sanction. A finding that claims a valid reason without naming its ground cannot stand."""
	findings = list(findings)
	problems: list[str] = []
	if not findings:
		problems.append(NO_FINDINGS)
	seen: set[str] = set()
	breaches: list[str] = []
	for finding in findings:
		if finding.entry in seen:
			problems.append(f"{DUPLICATE}:{finding.entry}")
			continue
		seen.add(finding.entry)
		if finding.valid_reason and not finding.ground:
			problems.append(f"{GROUND_MISSING}:{finding.entry}")
		elif finding.valid_reason and finding.ground not in GROUNDS:
			problems.append(f"{UNKNOWN_GROUND}:{finding.entry}")
		if not (finding.valid_reason and finding.ground in GROUNDS and finding.within_agreement):
			breaches.append(finding.entry)
	breach = bool(breaches)
	return Determination(
		breach_of_confidentiality=breach,
		breach_of_duty_of_care=breach,
		sanction_required=breach,
		breaches=tuple(breaches),
		problems=tuple(problems),
	)


def can_close(breach: bool, active_sanctions: int) -> bool:
	"""A case that found a breach closes only once a sanction is raised."""
	return not breach or active_sanctions > 0


def can_move(status: str, to: str) -> bool:
	return to in TRANSITIONS.get(status, ())


def due(status: str, since: datetime, days: dict | None = None) -> datetime | None:
	"""When the stage entered at `since` is due (None: a stage with no deadline)."""
	allowed = (days or DEADLINE_DAYS).get(status)
	if allowed is None:
		return None
	return since + timedelta(days=int(allowed))


def overdue(status: str, since: datetime, now: datetime, days: dict | None = None) -> bool:
	deadline = due(status, since, days)
	return deadline is not None and now > deadline
