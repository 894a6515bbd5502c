"""Meetings: convened, re-agenda'd, held with agreements, cancelled, minutes sent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stafet.dev.synthetic.acts.common import Proposals, active
from stafet.dev.synthetic.acts.plan import terms
from stafet.dev.synthetic.vocabulary import DECISIONS, MINUTES
from stafet.domain.state import Meeting
from stafet.domain.values import org_of

if TYPE_CHECKING:
    from stafet.dev.synthetic.story import CaseStory


def convene(story: CaseStory) -> Proposals:
    state, rng, people = story.case, story.rng, story.people
    if any(m.status == "convened" for m in state.meetings.values()):
        return  # one meeting at a time
    holder = state.baton.holder
    others = [p.ref for p in active(state) if p.ref != holder]
    if not others:
        return
    invited = sorted(rng.sample(others, max(1, len(others) - rng.randint(0, 2))))
    starts = story.clock.day_at(rng.randint(3, 10), rng.choice((9, 10, 13)))
    agenda = story.texts.agenda()
    place = rng.choice([f"{people.opener.org}, mødelokale {rng.randint(1, 6)}",
                        "Borgerens hjem", "Rådhuset, lokale 2.14", "Online (Teams)"])
    kinds = {state.participants[ref].kind for ref in invited}
    yield "meeting.convene", {
        "actor": holder, "starts_at": starts.isoformat(),
        "place": f"{place} (aftalt med borgeren)" if rng.random() < 0.7 else place,
        "place_agreed_with_citizen": rng.random() < 0.7, "invited": invited, "agenda": agenda,
        "kind": "follow_up" if state.meetings else "coordinating",
        "interpreter_language": people.language if "interpreter" in kinds else None,
        "advocate_needed": "advocate" in kinds or None,
    }


def change_agenda(story: CaseStory) -> Proposals:
    upcoming = [m for m in story.case.meetings.values()
                if m.status == "convened" and story.clock.moment < m.starts_at
                and story.agenda_changes[m.meeting_id] < 2]
    if upcoming:
        yield "meeting.agenda", {"actor": story.case.baton.holder,
                                 "meeting_id": upcoming[0].meeting_id,
                                 "agenda": story.texts.agenda()}


def hold(story: CaseStory, meeting: Meeting) -> Proposals:
    """The meeting as held, with up to five agreements; fewer when the case's events run short."""
    state, rng = story.case, story.rng
    holder = state.baton.holder
    present = [ref for ref in meeting.invited if state.active_participant(ref)]
    came = rng.sample(present, max(0, len(present) - rng.randint(0, 1)))
    wanted = max(0, min(rng.randint(0, 5), story.left - 1))
    agreements = [terms(story) for _ in range(wanted)]
    minutes = " ".join(story.texts.compose(MINUTES, org_of(holder))
                       for _ in range(rng.randint(2, 4)))
    fields = {"actor": holder, "meeting_id": meeting.meeting_id,
              "attendees": sorted({holder, *came}), "minutes": minutes,
              "decisions": rng.sample(DECISIONS, rng.randint(0, 2))}
    for count in range(len(agreements), -1, -1):
        yield "meeting.hold", {**fields, "agreements": agreements[:count]}


def cancel_meeting(story: CaseStory, meeting: Meeting) -> Proposals:
    yield "meeting.cancel", {"actor": story.case.baton.holder, "meeting_id": meeting.meeting_id,
                             "reason": "Flere aktører var forhindret; nyt møde indkaldes"}


def send_minutes(story: CaseStory, meeting: Meeting) -> Proposals:
    state = story.case
    recipients = [ref for ref in meeting.invited if state.active_participant(ref)]
    yield "meeting.minutes-sent", {"actor": state.baton.holder, "meeting_id": meeting.meeting_id,
                                   "recipients": recipients or [state.baton.holder]}
