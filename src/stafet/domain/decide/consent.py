"""Consent given and revoked, and information shared under it (SPEC §6)."""

from __future__ import annotations

from stafet.domain import events as ev
from stafet.domain.commands import GiveConsent, RevokeConsent, ShareInformation
from stafet.domain.decide.context import Context
from stafet.domain.decide.registry import handles
from stafet.domain.rules import (
    active_consents_for,
    check_givers,
    covering_consent,
    refuse,
    require_known,
    require_participant,
    subject_age,
)
from stafet.domain.state import CaseState


@handles(GiveConsent)
def give(s: CaseState, c: GiveConsent, ctx: Context) -> list[ev.CaseEvent]:
    age = subject_age(s, c.subject_age, ctx.today)
    check_givers(s, (g.role for g in c.given_by), age, ctx.policy)
    if c.expires_on is not None and c.expires_on < ctx.today:
        refuse("consent.expired", "expires_on is already past; a consent must run from today")
    givers = [ev.ConsentGiver(role=g.role, name=g.name) for g in c.given_by]
    return [
        ctx.event(
            s, ev.ConsentGiven, consent_id=f"C{len(s.consents) + 1}", given_by=givers,
            purpose=c.purpose, recipients=c.recipients, categories=c.categories,
            expires_on=c.expires_on, subject_age=age,
        )
    ]


@handles(RevokeConsent)
def revoke(s: CaseState, c: RevokeConsent, ctx: Context) -> list[ev.CaseEvent]:
    consent = require_known(s.consents, c.consent_id, "consent")
    if consent.revoked_at is not None:
        refuse("consent.revoked", f"consent {c.consent_id} is already revoked")
    by = ev.ConsentGiver(role=c.revoked_by.role, name=c.revoked_by.name) if c.revoked_by else None
    return [ctx.event(s, ev.ConsentRevoked, consent_id=c.consent_id, reason=c.reason, revoked_by=by)]


@handles(ShareInformation)
def share(s: CaseState, c: ShareInformation, ctx: Context) -> list[ev.CaseEvent]:
    require_participant(s, c.recipient)
    consent = covering_consent(s, c.recipient, ctx.effective_at, c.purpose, c.categories)
    if consent is None:
        active = active_consents_for(s, c.recipient, ctx.effective_at)
        listed = "; ".join(f"{k.consent_id} '{k.purpose}' ({', '.join(k.categories)})"
                           for k in active)
        refuse(
            "share.no_consent",
            f"no active consent covers sharing {', '.join(c.categories)} with {c.recipient} "
            f"for the purpose '{c.purpose}'; "
            + (f"the active consents covering them are {listed}" if active
               else "no active consent covers them at all"),
        )
    return [
        ctx.event(
            s, ev.InformationShared, recipient=c.recipient, purpose=c.purpose,
            categories=c.categories, description=c.description, consent_id=consent.consent_id,
        )
    ]
