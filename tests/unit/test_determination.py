"""Unit tests for confidentiality_app.rules.determination (pure Python, no frappe)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from confidentiality_app.rules import determination as d
from confidentiality_app.rules.determination import Finding, determine

NOW = datetime(2026, 12, 3, 12, 0, 0)


class TestDetermine:
	def test_every_release_with_a_valid_reason_is_no_breach(self):
		result = determine([Finding("L1", True, "Written Consent"), Finding("L2", True, "Serious Danger")])
		assert (result.breach_of_confidentiality, result.breach_of_duty_of_care) == (False, False)
		assert result.sanction_required is False
		assert result.breaches == ()
		assert result.valid

	def test_one_release_without_a_valid_reason_is_both_breaches_and_needs_a_sanction(self):
		result = determine([Finding("L1", True, "Government Requirement"), Finding("L2", False)])
		assert result.breach_of_confidentiality and result.breach_of_duty_of_care
		assert result.sanction_required
		assert result.breaches == ("L2",)

	def test_a_release_beyond_the_agreement_is_a_breach_even_on_consent(self):
		result = determine([Finding("L1", True, "Written Consent", within_agreement=False)])
		assert result.breaches == ("L1",)

	@pytest.mark.parametrize("ground", ["", "Because the manager asked", "written consent"])
	def test_a_valid_reason_must_name_one_of_the_codes_grounds(self, ground):
		result = determine([Finding("L1", True, ground)])
		assert not result.valid
		assert result.breaches == ("L1",)

	def test_no_findings_and_duplicates_cannot_stand(self):
		assert determine([]).problems == (d.NO_FINDINGS,)
		result = determine([Finding("L1", False), Finding("L1", True, "Serious Danger")])
		assert f"{d.DUPLICATE}:L1" in result.problems
		assert result.breaches == ("L1",)


class TestStages:
	def test_a_breach_closes_only_with_a_sanction(self):
		assert d.can_close(False, 0)
		assert not d.can_close(True, 0)
		assert d.can_close(True, 1)

	@pytest.mark.parametrize(
		"start, to, allowed",
		[
			(d.RECEIVED, d.ACKNOWLEDGED, True),
			(d.RECEIVED, d.CLOSED, False),
			(d.INVESTIGATION, d.DETERMINATION, True),
			(d.DETERMINATION, d.CLOSED, True),
			(d.DETERMINATION, d.SANCTIONS, True),
			(d.SANCTIONS, d.CLOSED, True),
			(d.CLOSED, d.APPEAL, True),
			(d.CLOSED, d.INVESTIGATION, False),
			(d.APPEAL, d.INVESTIGATION, True),
		],
	)
	def test_transitions(self, start, to, allowed):
		assert d.can_move(start, to) is allowed

	def test_every_stage_but_closed_has_a_deadline_and_goes_somewhere(self):
		for stage in d.STAGES:
			assert d.TRANSITIONS.get(stage), stage
			assert (d.due(stage, NOW) is None) == (stage == d.CLOSED)

	def test_overdue(self):
		since = NOW - timedelta(days=3)
		assert d.overdue(d.RECEIVED, since, NOW)
		assert not d.overdue(d.INVESTIGATION, since, NOW)
		assert not d.overdue(d.CLOSED, since - timedelta(days=999), NOW)
		assert d.overdue(d.INVESTIGATION, since, NOW, days={d.INVESTIGATION: 1})
