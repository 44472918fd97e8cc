"""Unit tests for confidentiality_app.rules.policy (pure Python, no frappe)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import pytest

from confidentiality_app.rules import policy
from confidentiality_app.rules.policy import (
	BEYOND_AGREEMENT,
	ENFORCE,
	EVERYONE,
	EXPIRED,
	GRANTED,
	MONITOR,
	NO_CONSENT,
	NOT_ACTIVE,
	NOT_PROTECTED,
	NOT_YET_VALID,
	OUT_OF_SCOPE,
	PURPOSE_MISSING,
	RECIPIENT_NOT_NAMED,
	SUPERSEDED,
	UNAVAILABLE,
	USED_UP,
	WITHDRAWN,
	Agreement,
	Client,
	Decision,
	Grant,
	Outcome,
	Request,
	apply_mode,
	decide,
	normalise,
	recipient_ids,
	unavailable,
)

try:
	from hypothesis import given, settings
	from hypothesis import strategies as st

	HAVE_HYPOTHESIS = True
except ImportError:  # pragma: no cover - hypothesis is optional
	HAVE_HYPOTHESIS = False

NOW = datetime(2024, 6, 15, 12, 0, 0)
TODAY = NOW.date()
YESTERDAY = TODAY - timedelta(days=1)
TOMORROW = TODAY + timedelta(days=1)
ONE_SECOND = timedelta(seconds=1)

PURPOSE = "coaching"
OTHER_PURPOSE = "marketing"

ALICE = recipient_ids("alice", "Alice@Example.org")
BOB = recipient_ids("bob", "bob@example.org")
CAROL = recipient_ids("carol", "carol@example.org")
ALL_USERS = recipient_ids(EVERYONE)

C1 = ("Customer", "CUST-0001")
C2 = ("Lead", "LEAD-0002")


def grant(name: str = "CONS-1", purposes=(PURPOSE,), **kwargs) -> Grant:
	return Grant(name=name, purposes=frozenset(purposes), **kwargs)


def client(*grants: Grant, key=C1) -> Client:
	return Client(key=key, grants=tuple(grants))


def request(*clients: Client, purpose: str = PURPOSE, recipients=(), now: datetime = NOW) -> Request:
	return Request(purpose=purpose, clients=tuple(clients), recipients=tuple(recipients), now=now)


def assert_denied(d: Decision, code: str) -> None:
	assert d.allowed is False
	assert d.code == code
	assert d.decision == "Deny"
	assert d.basis == ()


def assert_granted(d: Decision, *basis: str) -> None:
	assert d.allowed is True
	assert d.code == GRANTED
	assert d.decision == "Allow"
	assert d.basis == basis
	assert d.client is None
	assert d.recipient is None


# --------------------------------------------------------------------------- helpers


class TestHelpers:
	@pytest.mark.parametrize(
		"raw, expected",
		[
			(None, ""),
			("", ""),
			("   ", ""),
			("Alice@Example.ORG", "alice@example.org"),
			("  Bob \t\n", "bob"),
			(EVERYONE, EVERYONE),
		],
	)
	def test_normalise(self, raw, expected):
		assert normalise(raw) == expected

	def test_recipient_ids_normalises_deduplicates_and_drops_blanks(self):
		ids = recipient_ids(" Alice ", "ALICE", "Alice@Example.org", None, "", "  ")
		assert ids == frozenset({"alice", "alice@example.org"})

	def test_recipient_ids_empty(self):
		assert recipient_ids() == frozenset()
		assert recipient_ids(None, "") == frozenset()

	def test_unavailable_denies(self):
		d = unavailable("cache down")
		assert d.allowed is False
		assert d.code == UNAVAILABLE
		assert d.detail == "cache down"
		assert d.decision == "Deny"
		assert d.basis == ()

	def test_unavailable_is_blocked_in_enforce(self):
		assert apply_mode(unavailable("x"), ENFORCE) == Outcome(False, "Blocked", ENFORCE)

	def test_unavailable_is_blocked_even_in_monitor(self):
		# fail closed: Monitor lets known refusals through, never an unmade decision
		assert apply_mode(unavailable("cache down"), MONITOR) == Outcome(False, "Blocked", MONITOR)

	def test_priority_lists_every_denial_code_once(self):
		assert len(set(policy._PRIORITY)) == len(policy._PRIORITY)
		assert set(policy._PRIORITY) == {
			BEYOND_AGREEMENT,
			OUT_OF_SCOPE,
			USED_UP,
			RECIPIENT_NOT_NAMED,
			WITHDRAWN,
			EXPIRED,
			NOT_YET_VALID,
			SUPERSEDED,
			NOT_ACTIVE,
			PURPOSE_MISSING,
			NO_CONSENT,
		}

	def test_dataclasses_are_frozen(self):
		g = grant()
		with pytest.raises(AttributeError):
			g.active = False  # type: ignore[misc]
		with pytest.raises(AttributeError):
			unavailable("x").allowed = True  # type: ignore[misc]


# --------------------------------------------------------------------------- basics


class TestBasics:
	def test_no_clients_is_not_protected(self):
		d = decide(request())
		assert d.allowed is True
		assert d.code == NOT_PROTECTED
		assert d.basis == ()

	def test_no_clients_with_recipients_is_not_protected(self):
		d = decide(request(recipients=(BOB, ALL_USERS)))
		assert d.allowed is True
		assert d.code == NOT_PROTECTED

	def test_no_grants_is_no_consent(self):
		d = decide(request(client()))
		assert_denied(d, NO_CONSENT)
		assert d.client == C1
		assert d.detail == ""

	def test_grant_for_other_purpose_is_purpose_missing(self):
		d = decide(request(client(grant("CONS-9", purposes=(OTHER_PURPOSE,)))))
		assert_denied(d, PURPOSE_MISSING)
		assert d.client == C1
		assert d.detail == "CONS-9"

	def test_purpose_match_is_exact(self):
		d = decide(request(client(grant(purposes=("Coaching",)))))
		assert_denied(d, PURPOSE_MISSING)

	def test_valid_grant_allows_with_grant_name_as_basis(self):
		assert_granted(decide(request(client(grant("CONS-7")))), "CONS-7")

	def test_grant_with_several_purposes_covers_each(self):
		g = grant(purposes=(PURPOSE, OTHER_PURPOSE))
		assert_granted(decide(request(client(g), purpose=PURPOSE)), "CONS-1")
		assert_granted(decide(request(client(g), purpose=OTHER_PURPOSE)), "CONS-1")
		assert_denied(decide(request(client(g), purpose="research")), PURPOSE_MISSING)

	def test_disclosure_kind_is_a_grant_too(self):
		assert_granted(decide(request(client(grant("DISC-1", kind="disclosure")))), "DISC-1")

	@pytest.mark.parametrize("purpose", ["", None])
	def test_empty_purpose_is_unavailable(self, purpose):
		d = decide(request(client(grant()), purpose=purpose))
		assert d.allowed is False
		assert d.code == UNAVAILABLE
		assert d.detail

	def test_default_now_is_current_time(self):
		g = grant(valid_from=date.today() - timedelta(days=1), valid_until=date.today() + timedelta(days=1))
		d = decide(Request(purpose=PURPOSE, clients=(client(g),)))
		assert_granted(d, "CONS-1")


# --------------------------------------------------------------------------- validity


class TestValidity:
	@pytest.mark.parametrize(
		"kwargs, now, expected",
		[
			# valid_from
			({"valid_from": TODAY}, NOW, None),
			({"valid_from": TODAY}, datetime.combine(TODAY, datetime.min.time()), None),
			({"valid_from": YESTERDAY}, NOW, None),
			({"valid_from": TOMORROW}, NOW, NOT_YET_VALID),
			({"valid_from": TOMORROW}, datetime.combine(TODAY, datetime.max.time()), NOT_YET_VALID),
			# valid_until is inclusive: the whole of that day
			({"valid_until": TODAY}, NOW, None),
			({"valid_until": TODAY}, datetime.combine(TODAY, datetime.min.time()), None),
			({"valid_until": TODAY}, datetime(2024, 6, 15, 23, 59, 59), None),
			({"valid_until": TODAY}, datetime(2024, 6, 15, 23, 59, 59, 999999), None),
			({"valid_until": TOMORROW}, NOW, None),
			({"valid_until": YESTERDAY}, NOW, EXPIRED),
			({"valid_until": YESTERDAY}, datetime.combine(TODAY, datetime.min.time()), EXPIRED),
			# single-day window
			({"valid_from": TODAY, "valid_until": TODAY}, NOW, None),
			# unbounded
			({}, NOW, None),
		],
	)
	def test_validity_window(self, kwargs, now, expected):
		d = decide(request(client(grant(**kwargs)), now=now))
		if expected is None:
			assert_granted(d, "CONS-1")
		else:
			assert_denied(d, expected)
			assert d.client == C1
			assert d.detail == "CONS-1"

	@pytest.mark.parametrize(
		"offset, expected",
		[
			(-timedelta(days=30), WITHDRAWN),
			(-ONE_SECOND, WITHDRAWN),
			(-timedelta(microseconds=1), WITHDRAWN),
			(timedelta(0), WITHDRAWN),  # withdrawal takes effect at once
			(timedelta(microseconds=1), None),
			(ONE_SECOND, None),
			(timedelta(days=30), None),
		],
	)
	def test_withdrawal(self, offset, expected):
		d = decide(request(client(grant(withdrawn_at=NOW + offset))))
		if expected is None:
			assert_granted(d, "CONS-1")
		else:
			assert_denied(d, expected)

	def test_inactive_grant_is_not_active(self):
		# draft or cancelled
		assert_denied(decide(request(client(grant(active=False)))), NOT_ACTIVE)

	def test_superseded_grant(self):
		assert_denied(decide(request(client(grant(superseded=True)))), SUPERSEDED)

	def test_withdrawn_wins_over_other_defects_of_the_same_grant(self):
		g = grant(withdrawn_at=NOW - ONE_SECOND, active=False, superseded=True, valid_until=YESTERDAY)
		assert_denied(decide(request(client(g))), WITHDRAWN)

	def test_purpose_checked_before_anything_else(self):
		g = grant(purposes=(OTHER_PURPOSE,), withdrawn_at=NOW - ONE_SECOND, active=False)
		assert_denied(decide(request(client(g))), PURPOSE_MISSING)


# --------------------------------------------------------------------------- recipients


LIMITED = grant("CONS-L", recipients=recipient_ids(" Alice@EXAMPLE.org "))
UNLIMITED = grant("CONS-U")


class TestRecipients:
	@pytest.mark.parametrize(
		"recipient",
		[
			recipient_ids("alice@example.org"),
			recipient_ids("ALICE@example.ORG"),
			recipient_ids("alice", "Alice@Example.org"),  # user id + email
			recipient_ids("  alice@example.org  "),
			recipient_ids("bob", "Alice@Example.Org"),  # one of its identifiers is named
		],
	)
	def test_named_recipient_allowed_case_insensitively(self, recipient):
		assert_granted(decide(request(client(LIMITED), recipients=(recipient,))), "CONS-L")

	def test_named_by_user_id(self):
		g = grant("CONS-L", recipients=recipient_ids("Alice"))
		assert_granted(decide(request(client(g), recipients=(ALICE,))), "CONS-L")

	def test_unnamed_recipient_refused(self):
		d = decide(request(client(LIMITED), recipients=(BOB,)))
		assert_denied(d, RECIPIENT_NOT_NAMED)
		assert d.client == C1
		assert d.recipient == "bob"  # first identifier in sorted order
		assert d.detail == "CONS-L"

	def test_unnamed_recipient_allowed_by_unlimited_grant(self):
		assert_granted(decide(request(client(UNLIMITED), recipients=(BOB,))), "CONS-U")

	def test_everyone_refused_by_limited_grant(self):
		d = decide(request(client(LIMITED), recipients=(ALL_USERS,)))
		assert_denied(d, RECIPIENT_NOT_NAMED)
		assert d.recipient == EVERYONE

	def test_everyone_refused_even_with_a_named_identifier(self):
		d = decide(request(client(LIMITED), recipients=(ALICE | ALL_USERS,)))
		assert_denied(d, RECIPIENT_NOT_NAMED)
		assert d.recipient == EVERYONE

	def test_everyone_refused_even_if_grant_names_everyone(self):
		g = grant("CONS-E", recipients=ALL_USERS)
		assert_denied(decide(request(client(g), recipients=(ALL_USERS,))), RECIPIENT_NOT_NAMED)

	def test_everyone_allowed_by_unlimited_grant(self):
		assert_granted(decide(request(client(UNLIMITED), recipients=(ALL_USERS,))), "CONS-U")

	def test_no_recipient_refused_by_limited_grant(self):
		d = decide(request(client(LIMITED)))  # e.g. print: nobody identified
		assert_denied(d, RECIPIENT_NOT_NAMED)
		assert d.recipient is None
		assert d.client == C1

	def test_empty_identifier_set_refused_by_limited_grant(self):
		d = decide(request(client(LIMITED), recipients=(recipient_ids(None, ""),)))
		assert_denied(d, RECIPIENT_NOT_NAMED)
		assert d.recipient is None

	def test_no_recipient_allowed_by_unlimited_grant(self):
		assert_granted(decide(request(client(UNLIMITED))), "CONS-U")

	def test_limited_grant_then_unlimited_grant(self):
		d = decide(request(client(LIMITED, UNLIMITED), recipients=(BOB,)))
		assert_granted(d, "CONS-U")

	def test_every_recipient_must_be_covered(self):
		g = grant("CONS-L", recipients=ALICE | BOB)
		assert_granted(decide(request(client(g), recipients=(ALICE, BOB))), "CONS-L")
		d = decide(request(client(g), recipients=(ALICE, CAROL, BOB)))
		assert_denied(d, RECIPIENT_NOT_NAMED)
		assert d.recipient == "carol"

	def test_first_uncovered_recipient_is_reported(self):
		d = decide(request(client(LIMITED), recipients=(ALICE, CAROL, BOB)))
		assert d.recipient == "carol"

	def test_recipients_may_be_covered_by_different_grants(self):
		ga = grant("CONS-A", recipients=ALICE)
		gb = grant("CONS-B", recipients=BOB)
		d = decide(request(client(ga, gb), recipients=(ALICE, BOB)))
		assert_granted(d, "CONS-A", "CONS-B")


# --------------------------------------------------------------------------- several clients


class TestSeveralClients:
	def test_allowed_when_every_client_covered(self):
		d = decide(request(client(grant("CONS-1"), key=C1), client(grant("CONS-2"), key=C2)))
		assert_granted(d, "CONS-1", "CONS-2")

	def test_second_client_uncovered(self):
		d = decide(request(client(grant("CONS-1"), key=C1), client(key=C2)))
		assert_denied(d, NO_CONSENT)
		assert d.client == C2

	def test_first_client_uncovered(self):
		d = decide(
			request(client(grant("CONS-1", valid_until=YESTERDAY), key=C1), client(grant("CONS-2"), key=C2))
		)
		assert_denied(d, EXPIRED)
		assert d.client == C1
		assert d.detail == "CONS-1"

	def test_one_clients_grant_does_not_cover_another(self):
		d = decide(request(client(grant("CONS-1"), key=C1), client(grant("CONS-2", purposes=("x",)), key=C2)))
		assert_denied(d, PURPOSE_MISSING)
		assert d.client == C2
		assert d.detail == "CONS-2"

	def test_every_client_for_every_recipient(self):
		c1 = client(grant("CONS-1", recipients=ALICE | BOB), key=C1)
		c2 = client(grant("CONS-2", recipients=ALICE), key=C2)
		assert_granted(decide(request(c1, c2, recipients=(ALICE,))), "CONS-1", "CONS-2")
		d = decide(request(c1, c2, recipients=(ALICE, BOB)))
		assert_denied(d, RECIPIENT_NOT_NAMED)
		assert d.client == C2
		assert d.recipient == "bob"

	def test_basis_lists_each_grant_once(self):
		shared = grant("CONS-S")  # e.g. recorded on the lead and found for the customer too
		d = decide(request(client(shared, key=C1), client(shared, key=C2), recipients=(ALICE, BOB, CAROL)))
		assert_granted(d, "CONS-S")

	def test_basis_order_and_uniqueness(self):
		g1, g2 = grant("CONS-1"), grant("CONS-2")
		d = decide(request(client(g1, key=C1), client(g2, key=C2), client(g1, key=("Contact", "X"))))
		assert_granted(d, "CONS-1", "CONS-2")

	def test_first_valid_grant_is_the_basis(self):
		d = decide(request(client(grant("CONS-A"), grant("CONS-B"))))
		assert_granted(d, "CONS-A")


# --------------------------------------------------------------------------- reason priority


def failing_grant(code: str, name: str) -> Grant:
	"""A grant that fails the standard request (purpose PURPOSE, recipient BOB) with `code`."""
	return {
		RECIPIENT_NOT_NAMED: lambda: grant(name, recipients=CAROL),
		WITHDRAWN: lambda: grant(name, withdrawn_at=NOW - ONE_SECOND),
		EXPIRED: lambda: grant(name, valid_until=YESTERDAY),
		NOT_YET_VALID: lambda: grant(name, valid_from=TOMORROW),
		SUPERSEDED: lambda: grant(name, superseded=True),
		NOT_ACTIVE: lambda: grant(name, active=False),
		PURPOSE_MISSING: lambda: grant(name, purposes=(OTHER_PURPOSE,)),
		OUT_OF_SCOPE: lambda: grant(name, kind="disclosure", records=frozenset({("Lead", "ELSEWHERE")})),
		USED_UP: lambda: grant(name, kind="disclosure", uses_left=0),
	}[code]()


# beyond the agreement is the client's, not one grant's: tested on its own below
FAILURE_CODES = [c for c in policy._PRIORITY if c not in (NO_CONSENT, BEYOND_AGREEMENT)]


def decide_with(*grants: Grant) -> Decision:
	return decide(request(client(*grants), recipients=(BOB,)))


class TestPriority:
	@pytest.mark.parametrize("code", FAILURE_CODES)
	def test_each_failing_grant_alone(self, code):
		d = decide_with(failing_grant(code, "G"))
		assert_denied(d, code)
		assert d.detail == "G"

	def test_expired_beats_purpose_missing(self):
		d = decide_with(grant("CONS-P", purposes=(OTHER_PURPOSE,)), grant("CONS-E", valid_until=YESTERDAY))
		assert_denied(d, EXPIRED)
		assert d.detail == "CONS-E"
		d = decide_with(grant("CONS-E", valid_until=YESTERDAY), grant("CONS-P", purposes=(OTHER_PURPOSE,)))
		assert_denied(d, EXPIRED)
		assert d.detail == "CONS-E"

	@pytest.mark.parametrize(
		"stronger, weaker", list(itertools.combinations(FAILURE_CODES, 2)), ids=lambda c: c
	)
	def test_more_specific_reason_wins_in_any_order(self, stronger, weaker):
		a, b = failing_grant(stronger, "STRONG"), failing_grant(weaker, "WEAK")
		for grants in ((a, b), (b, a)):
			d = decide_with(*grants)
			assert_denied(d, stronger)
			assert d.detail == "STRONG"

	def test_ties_list_every_grant_that_failed_that_way(self):
		d = decide_with(
			grant("CONS-1", valid_until=YESTERDAY),
			grant("CONS-2", purposes=(OTHER_PURPOSE,)),
			grant("CONS-3", valid_until=YESTERDAY - timedelta(days=5)),
		)
		assert_denied(d, EXPIRED)
		assert d.detail == "CONS-1, CONS-3"

	@pytest.mark.parametrize("code", FAILURE_CODES)
	def test_a_valid_grant_wins_over_failing_ones(self, code):
		valid = grant("VALID")
		for grants in ((failing_grant(code, "BAD"), valid), (valid, failing_grant(code, "BAD"))):
			assert_granted(decide_with(*grants), "VALID")


# --------------------------------------------------------------------------- disclosures

LEAD = ("Lead", "LEAD-0002")
QUOTE = ("Quotation", "QTN-0001")


def disclosure(name="DR-1", ground=policy.WRITTEN_CONSENT, **kwargs) -> Grant:
	kwargs.setdefault("records", frozenset({LEAD}))
	return grant(name, kind="disclosure", ground=ground, **kwargs)


def released(
	*grants: Grant, records=(LEAD,), recipients=(BOB,), agreement=None, counted=False, purpose=PURPOSE
):
	return decide(
		Request(
			purpose=purpose,
			clients=(Client(key=C2, grants=tuple(grants), agreement=agreement),),
			recipients=tuple(recipients),
			now=NOW,
			records=frozenset(records),
			counted=counted,
		)
	)


class TestDisclosureGrants:
	def test_in_scope_allows_with_the_disclosure_as_basis_and_its_clause(self):
		d = released(disclosure(ground=policy.SERIOUS_DANGER, recipients=BOB))
		assert_granted(d, "DR-1")
		assert d.clause == policy.CLAUSE_DANGER

	@pytest.mark.parametrize(
		"ground, clause",
		[
			(policy.WRITTEN_CONSENT, policy.CLAUSE_CONSENT),
			(policy.GOVERNMENT_REQUIREMENT, policy.CLAUSE_GOVERNMENT),
			(policy.SERIOUS_DANGER, policy.CLAUSE_DANGER),
		],
	)
	def test_each_ground_names_its_clause(self, ground, clause):
		assert released(disclosure(ground=ground)).clause == clause

	def test_a_record_it_does_not_name_is_out_of_scope(self):
		d = released(disclosure(), records=(LEAD, QUOTE))
		assert_denied(d, OUT_OF_SCOPE)
		assert d.clause == policy.CLAUSE_NON_DISCLOSURE

	def test_no_records_known_is_out_of_scope(self):
		assert_denied(released(disclosure(), records=()), OUT_OF_SCOPE)

	def test_another_channel_is_purpose_missing(self):
		assert_denied(released(disclosure(), purpose=OTHER_PURPOSE), PURPOSE_MISSING)

	def test_another_recipient_is_not_named(self):
		assert_denied(released(disclosure(recipients=BOB), recipients=(CAROL,)), RECIPIENT_NOT_NAMED)

	def test_a_print_or_export_under_a_disclosure_is_made_for_its_recipient(self):
		assert_granted(released(disclosure(recipients=BOB), recipients=()), "DR-1")
		assert_denied(released(disclosure(recipients=BOB), recipients=(ALL_USERS,)), RECIPIENT_NOT_NAMED)
		# a consent naming recipients still cannot cover a print
		assert_denied(released(grant("CONS-1", recipients=BOB), recipients=()), RECIPIENT_NOT_NAMED)

	def test_used_up_is_refused_unless_the_use_was_counted(self):
		assert_denied(released(disclosure(uses_left=0)), USED_UP)
		assert_granted(released(disclosure(uses_left=0), counted=True), "DR-1")

	def test_limited_uses_are_reported_for_counting(self):
		assert released(disclosure(uses_left=2)).counted_disclosures == ("DR-1",)
		assert released(disclosure()).counted_disclosures == ()
		assert released(grant("CONS-1")).counted_disclosures == ()

	def test_disclosure_is_preferred_to_a_consent(self):
		assert_granted(released(grant("CONS-1"), disclosure()), "DR-1")

	def test_written_consent_disclosure_holds_only_while_its_consent_holds(self):
		consent = grant("CONS-1")
		assert_granted(released(consent, disclosure(requires=frozenset({"CONS-1"}))), "DR-1")
		expired = grant("CONS-1", valid_until=YESTERDAY)
		d = released(expired, disclosure(requires=frozenset({"CONS-1"})))
		assert_denied(d, EXPIRED)
		withdrawn = grant("CONS-1", withdrawn_at=NOW - ONE_SECOND)
		assert_denied(released(withdrawn, disclosure(requires=frozenset({"CONS-1"}))), WITHDRAWN)
		assert_denied(released(disclosure(requires=frozenset({"CONS-9"}))), NOT_ACTIVE)


class TestAgreement:
	AGREED = Agreement("CA-1", purposes=frozenset({PURPOSE}), recipients=BOB)

	def test_consent_within_the_agreement_allows(self):
		assert_granted(released(grant("CONS-1"), agreement=self.AGREED), "CONS-1")

	def test_consent_beyond_the_agreement_covers_nothing(self):
		d = released(grant("CONS-1"), agreement=self.AGREED, recipients=(CAROL,))
		assert_denied(d, BEYOND_AGREEMENT)
		assert d.clause == policy.CLAUSE_AGREEMENT
		narrow = Agreement("CA-1", purposes=frozenset({OTHER_PURPOSE}))
		assert_denied(released(grant("CONS-1"), agreement=narrow), BEYOND_AGREEMENT)

	def test_written_consent_disclosure_is_bounded_too(self):
		d = released(disclosure(), agreement=self.AGREED, recipients=(CAROL,))
		assert_denied(d, BEYOND_AGREEMENT)

	@pytest.mark.parametrize("ground", [policy.GOVERNMENT_REQUIREMENT, policy.SERIOUS_DANGER])
	def test_the_codes_own_limits_are_not_bounded(self, ground):
		d = released(disclosure(ground=ground), agreement=self.AGREED, recipients=(CAROL,))
		assert_granted(d, "DR-1")

	def test_no_recipient_is_beyond_a_recipient_limited_agreement(self):
		assert_denied(released(grant("CONS-1"), agreement=self.AGREED, recipients=()), BEYOND_AGREEMENT)

	def test_refusals_name_the_clause_they_uphold(self):
		assert released().clause == policy.CLAUSE_NON_DISCLOSURE
		assert released(purpose="Marketing").clause == policy.CLAUSE_PUBLICITY


class TestHeldForReview:
	def test_an_allowed_release_is_held_and_a_refusal_stays_a_refusal(self):
		held = policy.held_for_review(Decision(True, GRANTED, basis=("CONS-1",), client=C1), "SAN-1")
		assert (held.allowed, held.code, held.detail, held.client) == (
			False,
			policy.UNDER_REVIEW,
			"SAN-1",
			C1,
		)
		assert policy.held_for_review(Decision(True, policy.TO_CLIENT), "SAN-1").code == policy.UNDER_REVIEW
		refused = Decision(False, NO_CONSENT)
		assert policy.held_for_review(refused, "SAN-1") is refused
		unprotected = Decision(True, NOT_PROTECTED)
		assert policy.held_for_review(unprotected, "SAN-1") is unprotected


# --------------------------------------------------------------------------- apply_mode


ALLOW = Decision(True, GRANTED, basis=("CONS-1",))
DENY = Decision(False, NO_CONSENT)


class TestApplyMode:
	@pytest.mark.parametrize(
		"mode, expected_mode",
		[(ENFORCE, ENFORCE), (MONITOR, MONITOR), (None, ENFORCE), ("", ENFORCE), ("bogus", ENFORCE)],
	)
	def test_allowed_proceeds(self, mode, expected_mode):
		assert apply_mode(ALLOW, mode) == Outcome(True, "Allowed", expected_mode)

	def test_not_protected_proceeds(self):
		assert apply_mode(decide(request()), ENFORCE) == Outcome(True, "Allowed", ENFORCE)

	def test_denied_in_enforce_is_blocked(self):
		assert apply_mode(DENY, ENFORCE) == Outcome(False, "Blocked", ENFORCE)

	def test_denied_in_monitor_is_monitored(self):
		assert apply_mode(DENY, MONITOR) == Outcome(True, "Monitored", MONITOR)

	@pytest.mark.parametrize("mode", [None, "", "monitor", "MONITOR", " Monitor", "Off", "Disabled", "bogus"])
	def test_unknown_mode_fails_closed(self, mode):
		assert apply_mode(DENY, mode) == Outcome(False, "Blocked", ENFORCE)

	@pytest.mark.parametrize("code", FAILURE_CODES + [NO_CONSENT, UNAVAILABLE])
	def test_every_denial_is_blocked_in_enforce(self, code):
		assert apply_mode(Decision(False, code), ENFORCE).proceed is False


# --------------------------------------------------------------------------- properties


if HAVE_HYPOTHESIS:
	grant_spec = st.sampled_from(FAILURE_CODES + [None])

	@settings(max_examples=200, deadline=None)
	@given(st.lists(grant_spec, max_size=6))
	def test_decision_does_not_depend_on_grant_order(specs):
		grants = [grant(f"G{i}") if s is None else failing_grant(s, f"G{i}") for i, s in enumerate(specs)]
		forward = decide_with(*grants)
		backward = decide_with(*reversed(grants))
		assert forward.allowed == backward.allowed
		assert forward.code == backward.code
		assert set(forward.detail.split(", ")) == set(backward.detail.split(", "))
		if None in specs:
			assert forward.allowed
		elif not specs:
			assert forward.code == NO_CONSENT
		else:
			best = min(specs, key=policy._PRIORITY.index)
			assert forward.code == best
			assert set(forward.detail.split(", ")) == {f"G{i}" for i, s in enumerate(specs) if s == best}

	@settings(max_examples=200, deadline=None)
	@given(
		st.lists(st.booleans(), min_size=1, max_size=5),
		st.lists(st.sampled_from(["alice", "bob", "carol", EVERYONE]), max_size=4),
	)
	def test_allowed_iff_every_client_covered(covered, who):
		clients = [
			client(grant(f"G{i}") if ok else failing_grant(EXPIRED, f"G{i}"), key=("Customer", f"C{i}"))
			for i, ok in enumerate(covered)
		]
		d = decide(request(*clients, recipients=tuple(recipient_ids(w) for w in who)))
		assert d.allowed == all(covered)
		if not d.allowed:
			assert d.client == ("Customer", f"C{covered.index(False)}")
		else:
			assert d.basis == tuple(f"G{i}" for i in range(len(covered)))


# --------------------------------------------------------------------------- no new access


class TestNoNewAccess:
	"""A recipient who can already read the record through their roles gets nothing new."""

	def test_recipient_with_access_needs_no_grant(self):
		d = decide(Request(PURPOSE, (client(),), (BOB,), NOW, has_access=BOB))
		assert d.allowed is True
		assert d.code == policy.NO_NEW_ACCESS
		assert d.basis == ()

	def test_access_matches_on_any_identifier(self):
		d = decide(Request(PURPOSE, (client(),), (BOB,), NOW, has_access=frozenset({"bob@example.org"})))
		assert d.code == policy.NO_NEW_ACCESS

	def test_access_of_another_user_is_no_licence(self):
		d = decide(Request(PURPOSE, (client(),), (BOB,), NOW, has_access=CAROL))
		assert_denied(d, NO_CONSENT)
		assert d.recipient == "bob"

	def test_everyone_is_never_a_recipient_with_access(self):
		d = decide(Request(PURPOSE, (client(),), (ALL_USERS,), NOW, has_access=BOB | CAROL))
		assert_denied(d, NO_CONSENT)

	def test_no_recipient_action_is_not_excused_by_access(self):
		d = decide(Request(PURPOSE, (client(),), (), NOW, has_access=BOB))
		assert_denied(d, NO_CONSENT)

	def test_mixed_recipients_need_a_grant_for_the_one_without_access(self):
		d = decide(Request(PURPOSE, (client(),), (BOB, CAROL), NOW, has_access=BOB))
		assert_denied(d, NO_CONSENT)
		assert d.recipient == "carol"
		d = decide(Request(PURPOSE, (client(grant("G")),), (BOB, CAROL), NOW, has_access=BOB))
		assert_granted(d, "G")

	def test_access_covers_every_client_of_the_record(self):
		d = decide(Request(PURPOSE, (client(key=C1), client(key=C2)), (BOB,), NOW, has_access=BOB))
		assert d.code == policy.NO_NEW_ACCESS

	def test_access_wins_over_a_withdrawn_grant(self):
		withdrawn = grant("W", withdrawn_at=NOW - ONE_SECOND)
		d = decide(Request(PURPOSE, (client(withdrawn),), (BOB,), NOW, has_access=BOB))
		assert d.code == policy.NO_NEW_ACCESS


# --------------------------------------------------------------------------- unknown client


class TestUnknownClient:
	"""A protected record whose client field is empty is covered by no grant."""

	UNKNOWN = Client(key=("Address", "ADDR-1"), unknown=True)

	def test_unknown_client_is_refused(self):
		d = decide(request(self.UNKNOWN, recipients=[BOB]))
		assert_denied(d, policy.UNKNOWN_CLIENT)
		assert d.client == ("Address", "ADDR-1")
		assert d.recipient == "bob"

	def test_unknown_client_is_refused_without_recipient(self):
		assert_denied(decide(request(self.UNKNOWN)), policy.UNKNOWN_CLIENT)

	def test_unknown_client_is_refused_to_everyone(self):
		assert_denied(decide(request(self.UNKNOWN, recipients=[ALL_USERS])), policy.UNKNOWN_CLIENT)

	def test_grants_on_an_unknown_client_do_not_count(self):
		c = Client(key=("Address", "ADDR-1"), grants=(grant("G"),), unknown=True)
		assert_denied(decide(request(c, recipients=[BOB])), policy.UNKNOWN_CLIENT)

	def test_unknown_beside_a_consented_client_is_still_refused(self):
		d = decide(request(client(grant("G")), self.UNKNOWN, recipients=[BOB]))
		assert_denied(d, policy.UNKNOWN_CLIENT)

	def test_recipient_with_access_gets_nothing_new(self):
		d = decide(Request(PURPOSE, (self.UNKNOWN,), (BOB,), NOW, has_access=BOB))
		assert d.code == policy.NO_NEW_ACCESS

	def test_monitor_lets_it_through_and_records_it(self):
		d = decide(request(self.UNKNOWN, recipients=[BOB]))
		assert apply_mode(d, MONITOR) == Outcome(True, "Monitored", MONITOR)
		assert apply_mode(d, ENFORCE) == Outcome(False, "Blocked", ENFORCE)


class TestServiceToClient:
	"""Mail to the client themself is service (no grant needed); marketing is not."""

	ME = recipient_ids("client@example.org")

	def me(self, *grants):
		return Client(key=("Lead", "L-1"), grants=grants, self_ids=self.ME)

	def test_service_mail_to_the_client_needs_no_grant(self):
		d = decide(Request("Email", (self.me(),), (self.ME,), NOW))
		assert d.allowed and d.code == policy.TO_CLIENT

	def test_marketing_to_the_client_needs_their_consent(self):
		d = decide(Request("Marketing", (self.me(),), (self.ME,), NOW, service_to_client=False))
		assert_denied(d, NO_CONSENT)
		assert d.recipient == "client@example.org"

	def test_marketing_with_marketing_consent_is_allowed(self):
		g = Grant("G-M", frozenset({"Marketing"}))
		d = decide(Request("Marketing", (self.me(g),), (self.ME,), NOW, service_to_client=False))
		assert d.allowed and d.basis == ("G-M",)

	def test_marketing_with_an_email_consent_only_is_refused(self):
		g = Grant("G-E", frozenset({"Email"}))
		d = decide(Request("Marketing", (self.me(g),), (self.ME,), NOW, service_to_client=False))
		assert_denied(d, PURPOSE_MISSING)


def test_phone_numbers_compare_without_formatting():
	assert policy.normalise("TEL:+44 7700-900.123") == "tel:+447700900123"
	assert policy.normalise("tel:0044 (7700) 900123") == "tel:+447700900123"
	assert policy.recipient_ids("tel:+44 7700 900123") == frozenset({"tel:+447700900123"})
	# other identifiers are only trimmed and lower-cased
	assert policy.normalise("  Webhook:HTTPS://Host ") == "webhook:https://host"
