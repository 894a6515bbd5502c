"""The guards the decisions share. Each rule is written once, here or in its decision."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import NoReturn, TypeVar

from stafet.domain.calendar import when
from stafet.domain.errors import NotAllowed, RuleViolation
from stafet.domain.policy import Policy
from stafet.domain.state import CaseState, Consent, Participant
from stafet.domain.values import BATON_KINDS, age_in, local_date, recipient_covers

T = TypeVar("T")


def refuse(code: str, message: str) -> NoReturn:
    raise RuleViolation(message, code=code)


def refuse_erased() -> NoReturn:
    refuse("case.erased",
           "the citizen's personal data in this case was erased; it takes no new entries")


def require_not_erased(state: CaseState) -> None:
    if state.personal_data_erased:
        refuse_erased()


def require_open(state: CaseState) -> None:
    if state.status != "open":
        refuse("case.closed", "the case is closed; reopen it before writing to it")


def require_actor_takes_part(state: CaseState, actor: str) -> None:
    """Only the case's own active participants write into it (an authorisation refusal)."""
    if state.active_participant(actor) is None:
        raise NotAllowed(f"{actor} (you) is not an active participant of this case",
                         code="participant.unknown")


def require_participant(state: CaseState, ref: str, who: str | None = None) -> Participant:
    participant = state.active_participant(ref)
    if participant is None:
        refuse(
            "participant.unknown",
            f"{who or ref} is not an active participant of this case",
        )
    return participant


def require_holder(state: CaseState, actor: str, doing: str) -> None:
    if actor != state.baton.holder:
        refuse("baton.not_holder", f"only the holder ({state.baton.holder}) can {doing}")


def require_no_open_handover(state: CaseState, doing: str) -> None:
    baton = state.baton
    if baton.stage == "offered":
        refuse(
            "baton.handover_open",
            f"the baton is offered to {baton.offered_to}; it must be grabbed, declined or "
            f"withdrawn before you {doing}",
        )
    if baton.stage == "exchange":
        refuse(
            "baton.handover_open",
            f"the hand-over from {baton.outgoing} to {baton.holder} is still in its exchange; "
            f"{baton.outgoing} must release the baton before you {doing}",
        )


def require_baton_eligible(state: CaseState, ref: str) -> Participant:
    participant = require_participant(state, ref)
    if participant.kind not in BATON_KINDS:
        refuse(
            "baton.not_professional",
            f"{ref} takes part as {participant.kind}; only an authority or a provider "
            "can hold the baton",
        )
    return participant


def require_plan_accepted(state: CaseState) -> None:
    if state.plan_acceptance is None:
        refuse(
            "plan.not_accepted",
            "the plan has not been accepted yet; plan sections are written only after the "
            "citizen (or whoever consents for them) has accepted it",
        )


def require_known(items: Mapping[str, T], item_id: str, what: str) -> T:
    try:
        return items[item_id]
    except KeyError:
        refuse(f"{what.replace(' ', '_')}.unknown", f"there is no {what} {item_id} in this case")


# -- who may consent (SPEC §6) --------------------------------------------------------------


def subject_age(state: CaseState, given: int | None, on: date) -> int | None:
    """The youth's age for the consent rules: as typed (an override), else from the birth month
    recorded on the case, else unknown."""
    if given is not None or state.subject_birth_month is None:
        return given
    return age_in(state.subject_birth_month, on)


def check_givers(
    state: CaseState, roles: Iterable[str], subject_age: int | None, policy: Policy
) -> None:
    """Who may consent to (or accept the plan for) this case's subject."""
    roles = set(roles)
    kind = state.subject_kind
    if kind == "adult":
        allowed = {"citizen", "guardian", "lasting_power_of_attorney"}
        if not roles <= allowed:
            refuse(
                "consent.giver",
                "for an adult, consent is given by the citizen, a guardian or a lasting power "
                "of attorney",
            )
        return
    if kind == "family":
        allowed = {"citizen", "custody_holder", "guardian", "lasting_power_of_attorney"}
        if not roles <= allowed:
            refuse(
                "consent.giver",
                "for a family, consent is given by the adults of the family, custody holders, "
                "a guardian or a lasting power of attorney",
            )
        return
    _check_child_givers(roles, subject_age, policy)


def _check_child_givers(roles: set[str], age: int | None, policy: Policy) -> None:
    allowed = {"custody_holder", "youth", "guardian"}
    if not roles <= allowed:
        refuse(
            "consent.giver",
            "for a child, consent is given by the custody holders (or a guardian), or by the "
            "youth in their own right",
        )
    if "youth" in roles and age is None:
        refuse("consent.subject_age", "a youth consenting must have their age given (subject_age, "
               "or the birth month recorded on the case)")
    custody = bool(roles & {"custody_holder", "guardian"})
    if policy.youth_consent_rule == "ds":
        if custody:
            return
        if age is not None and 15 <= age <= 17:
            return
        refuse(
            "consent.youth_rule",
            "a child's consent needs a custody holder, or the youth in their own right from "
            "the age of 15 (DS rule)",
        )
    if age is None:
        refuse(
            "consent.subject_age",
            "the strict youth rule (Barnets Lov § 110) needs the child's age (subject_age, or "
            "the birth month recorded on the case) to decide who must consent",
        )
    if not custody:
        refuse(
            "consent.youth_rule",
            "under Barnets Lov § 110 a child's consent needs the custody holder",
        )
    if age >= 16 and "youth" not in roles:
        refuse(
            "consent.youth_rule",
            "under Barnets Lov § 110 a youth of 16 or over must consent together with the "
            "custody holder",
        )


def require_not_in_future(at: datetime, now: datetime, policy: Policy) -> None:
    """Business time (occurred_at) tells when something happened, so it cannot lie ahead of
    now; a few minutes' grace (``Policy.future_skew_minutes``) allows for clocks that differ.
    One rule for every command, checked once in ``decide``."""
    if at > now + timedelta(minutes=policy.future_skew_minutes):
        refuse("occurred_at.future",
               f"occurred_at {when(at)} is in the future (it is now {when(now)}); the log "
               "records what has happened, so give the time it happened")


def require_not_before(at: datetime, earliest: datetime, what: str) -> None:
    """A back-dated command (occurred_at) must not rewrite the order of what happened."""
    if at < earliest:
        refuse("occurred_at.too_early",
               f"occurred_at {when(at)} is before {what} ({when(earliest)}); the log keeps "
               "things in the order they happened")


# -- meetings in time ------------------------------------------------------------------------


def require_meeting_started(meeting_id: str, starts_at: datetime, held_at: datetime) -> None:
    """A meeting is held (or recorded as held) only once it has started: the one rule for
    every command that records a meeting as having taken place."""
    if held_at < starts_at:
        refuse("meeting.not_started",
               f"meeting {meeting_id} starts {when(starts_at)}, so it cannot have been held by "
               f"{when(held_at)}; record it as held once it has taken place")


def require_convened_before_start(starts_at: datetime, ctx_at: datetime, backdated: bool,
                                  policy: Policy) -> None:
    """A meeting is convened before it starts. Convening one whose time has passed is a
    record made after the fact, so it must say when the meeting was convened (occurred_at);
    a few minutes' grace (``Policy.future_skew_minutes``) allows for a meeting starting now."""
    if starts_at >= ctx_at - timedelta(minutes=policy.future_skew_minutes):
        return
    if not backdated:
        refuse("meeting.in_past",
               f"the meeting's time {when(starts_at)} has already passed; to record a meeting "
               "convened earlier, say when it was convened (occurred_at, --occurred-at)")
    refuse("meeting.in_past",
           f"the meeting's time {when(starts_at)} is before it was convened ({when(ctx_at)}); "
           "a meeting is convened before it starts")


def a(word: str) -> str:
    """The word with its indefinite article, for refusal sentences: 'an overall', 'a child'."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def consent_expired(expires_on: date | None, at: datetime) -> bool:
    """Past its last day (``expires_on``) at that moment, as a person in Denmark reads the
    date: a consent that holds until 1 March holds all of 1 March, Copenhagen time. The one
    calendar for consent expiry; the read side asks it too."""
    return expires_on is not None and local_date(at) > expires_on


def consent_is_active(consent: Consent, at: datetime) -> bool:
    """Given by then (a back-dated action cannot lean on a later consent), not revoked, and
    not expired on that day as a person in Denmark reads it."""
    if consent.revoked_at is not None or at < consent.given_at:
        return False
    return not consent_expired(consent.expires_on, at)


def same_purpose(one: str, other: str) -> bool:
    """Purposes are kept as written and compared case-blind ("Samarbejde om Emma" is
    "samarbejde om emma", as purposes stored lower-case before were)."""
    return one.strip().casefold() == other.strip().casefold()


def active_consents_for(state: CaseState, ref: str, at: datetime) -> list[Consent]:
    """The active consents covering this participant, whatever their purpose."""
    return [c for c in state.consents.values() if consent_is_active(c, at)
            and any(recipient_covers(r, ref) for r in c.recipients)]


def covering_consent(
    state: CaseState,
    ref: str,
    at: datetime,
    purpose: str | None = None,
    categories: Iterable[str] = (),
) -> Consent | None:
    """The first active consent covering this participant (and purpose and categories)."""
    wanted = set(categories)
    for consent in state.consents.values():
        if not consent_is_active(consent, at):
            continue
        if not any(recipient_covers(r, ref) for r in consent.recipients):
            continue
        if purpose is not None and not same_purpose(consent.purpose, purpose):
            continue
        if not wanted <= set(consent.categories):
            continue
        return consent
    return None
