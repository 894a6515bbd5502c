"""The ledger's administration: who holds which role, as events in one stream of the log.

Roles are data (SPEC §3): an administrator grants and revokes them, and each grant is an event
in the same hash-chained log as the cases, so who granted what, and when, can be verified.
The stream starts when the first administrator is appointed (``stafet init --admin``); that
can happen once. Pruning the access log is recorded here too, with who, why and how far.

    >>> from datetime import UTC, datetime
    >>> at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    >>> roles = project_roles(None, decide_admin(None, AppointFirstAdmin(actor="it@kommune"), at))
    >>> roles.has("it@kommune", "admin")
    True
    >>> grant = GrantRole(actor="it@kommune", role="team_leader", to="lis@jobcenter",
    ...                   org="jobcenter")
    >>> roles = project_roles(roles, decide_admin(roles, grant, at))
    >>> sorted(roles.orgs_led_by("lis@jobcenter"))
    ['jobcenter']
"""

from __future__ import annotations

from datetime import datetime
from functools import singledispatch
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

from stafet.domain.commands import Command
from stafet.domain.errors import NotAllowed, RuleViolation
from stafet.domain.events import Envelope
from stafet.domain.values import Org, ParticipantRef, ShortText

# The administration's own stream in the log: never a case id (a case id is a random UUID4).
ADMINISTRATION_ID = UUID("00000000-0000-0000-0000-00000000ad01")

RoleName = Literal["admin", "dpo", "auditor", "team_leader", "feed"]
ROLE_WORDS: dict[str, str] = {
    "admin": "administrator (grants and revokes roles)",
    "dpo": "data protection officer (erasure, the access log)",
    "auditor": "auditor (verifies the log, reads its metadata)",
    "team_leader": "team leader of an organisation (the overview of its cases)",
    "feed": "a system of an organisation following the events of its cases",
}
ROLE_NAMES: dict[str, str] = {  # in a sentence: "only an auditor may ..."
    "admin": "an administrator", "dpo": "the data protection officer", "auditor": "an auditor",
    "team_leader": "a team leader", "feed": "a feed system",
}
ORG_ROLES = frozenset({"team_leader", "feed"})  # roles held for one organisation


# -- events ---------------------------------------------------------------------------------


class AdminEvent(Envelope):
    TYPES: ClassVar[dict[str, type[AdminEvent]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        AdminEvent.TYPES[cls.__name__] = cls


class FirstAdminAppointed(AdminEvent):
    """The administration began: the actor is its first administrator. ``pepper_fingerprint``
    names the store's subject pepper (a hash of it, never the pepper itself), so that ``verify``
    sees the pepper replaced behind the ledger's back."""

    pepper_fingerprint: str | None = None


class RoleGranted(AdminEvent):
    role: RoleName
    to: str
    org: str | None = None


class RoleRevoked(AdminEvent):
    role: RoleName
    to: str
    org: str | None = None
    reason: str | None = None


class AccessLogPruned(AdminEvent):
    """Access-log entries up to ``through_seq`` were removed; ``head`` is the hash of that last
    removed entry, so the entries kept still verify and nothing else can go unseen."""

    through_seq: int
    head: str
    removed: int
    keep_days: int
    reason: str


ADMIN_EVENT_TYPES: dict[str, type[AdminEvent]] = dict(AdminEvent.TYPES)


# -- commands -------------------------------------------------------------------------------


class AdminCommand(Command):
    """A command to the administration (not a case)."""


class AppointFirstAdmin(AdminCommand):
    name = "admin.appoint-first"
    pepper_fingerprint: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = None


class _RoleCommand(AdminCommand):
    role: RoleName
    to: ParticipantRef
    org: Org | None = None

    @model_validator(mode="after")
    def _org_for_org_roles(self) -> _RoleCommand:
        if self.role in ORG_ROLES and self.org is None:
            raise ValueError(f"org is required: a {self.role} leads one organisation (--org)")
        if self.role not in ORG_ROLES and self.org is not None:
            raise ValueError(f"org must not be given: {self.role} is a role for the whole ledger")
        return self


class GrantRole(_RoleCommand):
    name = "roles.grant"


class RevokeRole(_RoleCommand):
    name = "roles.revoke"
    reason: ShortText | None = None


class RecordPrune(AdminCommand):
    name = "access-log.prune"
    through_seq: int
    head: str
    removed: int
    keep_days: int
    reason: ShortText


# -- state ----------------------------------------------------------------------------------


class Grant(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    role: RoleName
    org: str | None = None
    granted_at: datetime
    granted_by: str


class Roles(BaseModel):
    """Who holds which role now. Satisfies the library's aggregate protocol (id, version)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    id: UUID = ADMINISTRATION_ID
    version: int = 0
    grants: dict[str, tuple[Grant, ...]] = {}
    pruned_through: int = 0  # the access log's last pruned entry (0: never pruned)

    def has(self, actor: str, role: str, org: str | None = None) -> bool:
        return any(g.role == role and (org is None or g.org == org)
                   for g in self.grants.get(actor, ()))

    def orgs_led_by(self, actor: str) -> frozenset[str]:
        return self.orgs_of(actor, "team_leader")

    def orgs_of(self, actor: str, role: str) -> frozenset[str]:
        """The organisations for which the actor holds an organisation's role."""
        return frozenset(g.org for g in self.grants.get(actor, ())
                         if g.role == role and g.org is not None)

    def holders(self, role: str) -> list[str]:
        return sorted(a for a, grants in self.grants.items() if any(g.role == role for g in grants))


def project_roles(state: Roles | None, events: Any) -> Roles | None:
    """Fold administration events into the roles held (the library's projector)."""
    for event in events:
        state = evolve_roles(state or Roles(), event)
    return state


@singledispatch
def _changed(event: AdminEvent, s: Roles) -> dict[str, Any]:
    raise TypeError(f"no evolve for {type(event).__name__}")


def evolve_roles(s: Roles, event: AdminEvent) -> Roles:
    return s.model_copy(update={"version": event.originator_version, **_changed(event, s)})


def _with(s: Roles, actor: str, grants: tuple[Grant, ...]) -> dict[str, Any]:
    rest = {a: g for a, g in s.grants.items() if a != actor}
    return {"grants": {**rest, actor: grants} if grants else rest}


@_changed.register
def _(e: FirstAdminAppointed, s: Roles) -> dict[str, Any]:
    grant = Grant(role="admin", granted_at=e.recorded_at, granted_by=e.actor)
    return _with(s, e.actor, (grant,))


@_changed.register
def _(e: RoleGranted, s: Roles) -> dict[str, Any]:
    grant = Grant(role=e.role, org=e.org, granted_at=e.recorded_at, granted_by=e.actor)
    return _with(s, e.to, (*s.grants.get(e.to, ()), grant))


@_changed.register
def _(e: RoleRevoked, s: Roles) -> dict[str, Any]:
    kept = tuple(g for g in s.grants.get(e.to, ()) if (g.role, g.org) != (e.role, e.org))
    return _with(s, e.to, kept)


@_changed.register
def _(e: AccessLogPruned, s: Roles) -> dict[str, Any]:
    return {"pruned_through": max(s.pruned_through, e.through_seq)}


# -- decisions ------------------------------------------------------------------------------


def _refuse(code: str, message: str) -> RuleViolation:
    return RuleViolation(message, code=code)


def require_role(roles: Roles | None, actor: str, role: str, doing: str) -> None:
    """Refuse, in one sentence, an act that needs a role the actor does not hold."""
    if roles is None or not roles.has(actor, role):
        raise NotAllowed(f"only {ROLE_NAMES[role]} may {doing}; {actor} does not hold that "
                         "role", code=f"role.{role}_required")


def decide_admin(state: Roles | None, command: AdminCommand, now: datetime) -> list[AdminEvent]:
    """The administration's rules: who may change roles, and how."""
    version = state.version if state else 0

    def event(cls: type[AdminEvent], **data: Any) -> AdminEvent:
        return cls(originator_id=ADMINISTRATION_ID, originator_version=version + 1,
                   recorded_at=now, actor=command.actor, actor_role=command.actor_role,
                   command_id=command.command_id, **data)

    if isinstance(command, AppointFirstAdmin):
        if state is not None and state.version > 0:
            raise _refuse("admin.exists", "this ledger already has its administration; roles "
                          "are granted by an administrator (stafet roles grant)")
        return [event(FirstAdminAppointed, pepper_fingerprint=command.pepper_fingerprint)]
    if isinstance(command, RecordPrune):
        require_role(state, command.actor, "dpo", "prune the access log")
        return [event(AccessLogPruned, through_seq=command.through_seq, head=command.head,
                      removed=command.removed, keep_days=command.keep_days,
                      reason=command.reason)]
    require_role(state, command.actor, "admin", "grant or revoke roles")
    assert state is not None
    if isinstance(command, GrantRole):
        if state.has(command.to, command.role, command.org):
            raise _refuse("role.held", f"{command.to} already holds the role {command.role}"
                          + (f" for {command.org}" if command.org else ""))
        return [event(RoleGranted, role=command.role, to=command.to, org=command.org)]
    if isinstance(command, RevokeRole):
        if not state.has(command.to, command.role, command.org):
            raise _refuse("role.not_held", f"{command.to} does not hold the role {command.role}"
                          + (f" for {command.org}" if command.org else ""))
        if command.role == "admin" and state.holders("admin") == [command.to]:
            raise _refuse("role.last_admin", "the last administrator cannot be revoked; grant "
                          "the role to someone else first")
        return [event(RoleRevoked, role=command.role, to=command.to, org=command.org,
                      reason=command.reason)]
    raise TypeError(f"no decision for {type(command).__name__}")
