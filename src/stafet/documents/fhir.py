"""A case as a FHIR R4 Bundle (type ``collection``) for other systems: plain dicts, no FHIR
library at run time. The mapping, the extensions and how it follows KL FFB and FUT are in
``docs/fhir.md``; the tests validate it with ``fhir.resources`` (R4B models).

Every resource has a stable id (a UUID made from the case id and the thing's own id, so a
later export of the same case updates the same resources, as KL FFB asks), an identifier in
stafet's naming systems, and a Provenance naming the ledger entry that last shaped it and that
entry's case hash.

    >>> from stafet import Ledger
    >>> ledger = Ledger("sqlite:///:memory:")
    >>> case = ledger.open_case(actor="anne@jobcenter", subject_ref="borger-4711",
    ...                         subject_kind="adult", title="Vejen til uddannelse")
    >>> data = ledger.reader("anne@jobcenter", "udveksling med fagsystem").export_case(
    ...     case.case_id, "FHIR bundle")
    >>> bundle = bundle_of(data)
    >>> sorted({e["resource"]["resourceType"] for e in bundle["entry"]})
    ['CarePlan', 'CareTeam', 'EpisodeOfCare', 'Organization', 'Patient', 'Practitioner', 'Provenance']
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid5

from stafet.documents.model import entities_of
from stafet.domain import events as ev
from stafet.domain.state import CaseState, Participant
from stafet.domain.values import local_date, org_of
from stafet.reader import ReportData

Json = dict[str, Any]

BASE = "https://stafet.dk/fhir"
SD = f"{BASE}/StructureDefinition"
CS = f"{BASE}/CodeSystem"
NS = f"{BASE}/NamingSystem"

# Extensions (each defined in docs/fhir.md)
EXT_PHASE = f"{SD}/case-phase"
EXT_BATON_HOLDER = f"{SD}/baton-holder"
EXT_BATON_EXCHANGE = f"{SD}/baton-exchange"
EXT_BATON_HOLD = f"{SD}/baton-hold"
EXT_LEGAL_BASIS = f"{SD}/legal-basis"
EXT_MEETING_RECORD = f"{SD}/meeting-record"
EXT_PLAN_ACCEPTANCE = f"{SD}/plan-acceptance"
EXT_CLOSURE = f"{SD}/case-closure"
EXT_CASE_HASH = f"{SD}/ledger-case-hash"
GOAL_RELATIONSHIP = "http://hl7.org/fhir/StructureDefinition/goal-relationship"

# Naming systems (identifiers) and code systems
NS_SUBJECT = f"{NS}/subject-ref"
NS_PARTICIPANT = f"{NS}/participant"
NS_ORG = f"{NS}/organisation"
NS_CASE = f"{NS}/case"
NS_ENTRY = f"{NS}/ledger-entry"
NS_ITEM = f"{NS}/case-item"  # <case id>/G1, /E1, /A1, /M1, /C1
CS_KIND = f"{CS}/participant-kind"
CS_GOAL_LEVEL = f"{CS}/goal-level"
CS_GOAL_STATUS = f"{CS}/goal-status"
CS_MEETING_KIND = f"{CS}/meeting-kind"
CS_MEETING_ROLE = f"{CS}/meeting-participation"
CS_PURPOSE = f"{CS}/consent-purpose"
CS_CATEGORY = f"{CS}/information-category"
CS_GIVER = f"{CS}/consent-giver"
V3_ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
V3_PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
V3_DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
LOINC = "http://loinc.org"
PROVENANCE_ROLE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
GOAL_RELATIONSHIP_TYPE = "http://terminology.hl7.org/CodeSystem/goal-relationship-type"

PROFESSIONAL = {"authority", "provider", "volunteer", "advocate", "interpreter"}
EFFORT_STATUS = {"planned": "not-started", "started": "in-progress", "paused": "on-hold",
                 "completed": "completed", "stopped": "stopped"}
GOAL_LIFECYCLE = {"open": "active", "in_progress": "active", "achieved": "completed",
                  "partly_achieved": "completed", "not_achieved": "completed",
                  "dropped": "cancelled"}
GOAL_ACHIEVED = {"open": "in-progress", "in_progress": "in-progress", "achieved": "achieved",
                 "not_achieved": "not-achieved"}
TASK_STATUS = {"open": "requested", "completed": "completed", "cancelled": "cancelled",
               "reassigned": "cancelled"}
MEETING_STATUS = {"convened": "planned", "held": "finished", "cancelled": "cancelled"}


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _day(value: date) -> str:
    return value.isoformat()


def _code(text: str) -> str:
    """Text as a FHIR code: no leading, trailing or doubled whitespace."""
    return " ".join(text.split()) or "-"


class _Bundle:
    def __init__(self, data: ReportData) -> None:
        self.data = data
        self.s: CaseState = data.state
        self.case = str(self.s.id)
        self.now = data.provenance.as_of or data.provenance.made_at
        self.entries: list[Json] = []
        self.last: dict[tuple[str, str], ev.CaseEvent] = {}
        self.first: dict[tuple[str, str], ev.CaseEvent] = {}
        for e in data.events:
            for key in entities_of(e):
                self.last[key] = e
                self.first.setdefault(key, e)

    # ids and references
    def uuid(self, kind: str, key: str = "") -> str:
        return str(uuid5(self.s.id, f"{kind}/{key}"))

    def ref(self, kind: str, key: str = "", display: str | None = None) -> Json:
        out: Json = {"reference": f"urn:uuid:{self.uuid(kind, key)}", "type": kind}
        if display:
            out["display"] = display
        return out

    def item_id(self, local: str) -> list[Json]:
        return [{"system": NS_ITEM, "value": f"{self.case}/{local}"}]

    def person(self, ref: str) -> Json:
        """A reference to a person of the case (a resource in the bundle), or, for someone who
        is not a participant, a logical reference by their handle."""
        p = self.s.participants.get(ref)
        if p is not None:
            kind = "Practitioner" if p.kind in PROFESSIONAL else "RelatedPerson"
            return self.ref(kind, ref, ref)
        return {"identifier": {"system": NS_PARTICIPANT, "value": ref}, "display": ref}

    def org(self, name: str) -> Json:
        return self.ref("Organization", name, name)

    def add(self, resource: Json, key: tuple[str, str] | None = None) -> None:
        self.entries.append({"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource})
        self.provenance_for(resource, key)

    def provenance_for(self, resource: Json, key: tuple[str, str] | None) -> None:
        if key is None:
            return
        event = self.last.get(key)
        if event is None:
            return
        position = event.originator_version
        created = self.first.get(key) is event
        entity: Json = {
            "role": "source",
            "what": {"identifier": {"system": NS_ENTRY, "value": f"{self.case}/{position}"},
                     "display": f"stafet case {self.case[:8]}, entry {position} "
                                f"({type(event).__name__})"},
        }
        case_hash = self.data.entry_hashes.get(position)
        if case_hash:
            entity["extension"] = [{"url": EXT_CASE_HASH, "valueString": case_hash}]
        kind = resource["resourceType"]
        provenance: Json = {
            "resourceType": "Provenance",
            "id": self.uuid("Provenance", f"{kind}/{resource['id']}"),
            "target": [{"reference": f"urn:uuid:{resource['id']}", "type": kind}],
            "occurredDateTime": _instant(event.effective_at),
            "recorded": _instant(event.recorded_at),
            "activity": {"coding": [{"system": V3_DATA_OPERATION,
                                     "code": "CREATE" if created else "UPDATE"}]},
            "agent": [{"type": {"coding": [{"system": PROVENANCE_ROLE, "code": "author"}]},
                       "who": self.person(event.actor)}],
            "entity": [entity],
        }
        self.entries.append({"fullUrl": f"urn:uuid:{provenance['id']}", "resource": provenance})

    # the resources
    def patient(self) -> None:
        self.add({"resourceType": "Patient", "id": self.uuid("Patient"),
                  "identifier": [{"system": NS_SUBJECT, "value": self.s.subject_ref}]},
                 ("plan", ""))

    def organisations(self) -> None:
        """One Organization for each organisation taking part or named by a consent; its
        provenance is the entry that last shaped the first of its people (or the consent)."""
        names: dict[str, tuple[str, str]] = {}
        for p in self.s.participants.values():
            if p.kind in PROFESSIONAL:
                names.setdefault(org_of(p.ref), ("participant", p.ref))
        for c in self.s.consents.values():
            for r in c.recipients:
                if r.startswith("@"):
                    names.setdefault(r[1:], ("consent", c.consent_id))
        for name, key in names.items():
            self.add({"resourceType": "Organization", "id": self.uuid("Organization", name),
                      "identifier": [{"system": NS_ORG, "value": name}], "name": name}, key)

    def people(self) -> None:
        for p in self.s.participants.values():
            identifier = [{"system": NS_PARTICIPANT, "value": p.ref}]
            if p.kind in PROFESSIONAL:
                resource: Json = {"resourceType": "Practitioner",
                                  "id": self.uuid("Practitioner", p.ref),
                                  "identifier": identifier, "active": p.active}
                if p.name:
                    resource["name"] = [{"text": p.name}]
            else:
                resource = {"resourceType": "RelatedPerson",
                            "id": self.uuid("RelatedPerson", p.ref), "identifier": identifier,
                            "active": p.active, "patient": self.ref("Patient"),
                            "relationship": [{"text": p.title or p.kind}]}
                if p.name:
                    resource["name"] = [{"text": p.name}]
            self.add(resource, ("participant", p.ref))

    def _baton_role(self, p: Participant) -> str | None:
        baton = self.s.baton
        if p.ref == baton.holder:
            return "holder"
        if baton.stage == "exchange" and p.ref == baton.outgoing:
            return "outgoing"
        if baton.stage == "offered" and p.ref == baton.offered_to:
            return "offered"
        return None

    def care_team(self) -> None:
        members = []
        for p in self.s.participants.values():
            member: Json = {
                "role": [{"coding": [{"system": CS_KIND, "code": p.kind}],
                          **({"text": p.title} if p.title else {})}],
                "member": self.person(p.ref),
                "period": {"start": _instant(p.joined_at),
                           **({"end": _instant(p.left_at)} if p.left_at else {})},
            }
            if p.kind in PROFESSIONAL:
                member["onBehalfOf"] = self.org(org_of(p.ref))
            role = self._baton_role(p)
            if role:
                member["extension"] = [{"url": EXT_BATON_HOLDER, "valueCode": role}]
            members.append(member)
        self.add({"resourceType": "CareTeam", "id": self.uuid("CareTeam"),
                  "identifier": [{"system": NS_CASE, "value": self.case}],
                  "status": "active" if self.s.status == "open" else "inactive",
                  "subject": self.ref("Patient"), "period": self.period(),
                  "participant": members,
                  "managingOrganization": [self.org(org_of(self.s.baton.holder))]},
                 ("team", ""))

    def period(self) -> Json:
        period = {"start": _instant(self.s.opened_at)}
        if self.s.closure:
            period["end"] = _instant(self.s.closure.closed_at)
        return period

    def episode(self) -> None:
        holds = []
        for h in self.s.holds:
            parts: list[Json] = [
                {"url": "holder", "valueReference": self.person(h.holder)},
                {"url": "period", "valuePeriod": {
                    "start": _instant(h.since), **({"end": _instant(h.until)} if h.until else {})}},
                {"url": "temporary", "valueBoolean": h.temporary}]
            holds.append({"url": EXT_BATON_HOLD, "extension": parts})
        self.add({"resourceType": "EpisodeOfCare", "id": self.uuid("EpisodeOfCare"),
                  "extension": holds,
                  "identifier": [{"system": NS_CASE, "value": self.case}],
                  "status": "active" if self.s.status == "open" else "finished",
                  "patient": self.ref("Patient"),
                  "managingOrganization": self.org(org_of(self.s.baton.holder)),
                  "period": self.period(), "careManager": self.person(self.s.baton.holder),
                  "team": [self.ref("CareTeam")]}, ("team", ""))

    def care_plan(self) -> None:
        s = self.s
        extension: list[Json] = [{"url": EXT_PHASE, "valueInteger": s.phase}]
        exchange = s.baton.exchange
        if exchange is not None:
            extension.append({"url": EXT_BATON_EXCHANGE, "extension": [
                {"url": "state", "valueCode": exchange.state},
                {"url": "from", "valueReference": self.person(exchange.outgoing)},
                {"url": "to", "valueReference": self.person(exchange.incoming)}]})
        if s.plan_acceptance:
            extension.append({"url": EXT_PLAN_ACCEPTANCE, "extension": [
                *({"url": "acceptedBy", "valueCoding": {"system": CS_GIVER, "code": g.role}}
                  for g in s.plan_acceptance.accepted_by),
                {"url": "acceptedAt", "valueDateTime": _instant(s.plan_acceptance.accepted_at)}]})
        if s.closure:
            extension.append({"url": EXT_CLOSURE, "extension": [
                {"url": "furtherCourse", "valueString": s.closure.further_course},
                {"url": "followUpBy", "valueReference": self.person(s.closure.follow_up_by)},
                *({"url": "continuingSectorPlan", "valueString": sp}
                  for sp in s.closure.continuing_sector_plans)]})
        activities: list[Json] = []
        for f in s.efforts.values():
            detail: Json = {
                "extension": [{"url": EXT_LEGAL_BASIS, "extension": [
                    {"url": "law", "valueString": f.law},
                    {"url": "paragraph", "valueString": f.paragraph}]}],
                "code": {"text": f.title}, "status": EFFORT_STATUS[f.status],
                "performer": [self.person(f.provider)], "description": f.title,
                "goal": [self.ref("Goal", g) for g in f.goal_ids if g in s.goals],
            }
            if f.starts_on or f.ends_on:
                detail["scheduledPeriod"] = {
                    **({"start": _day(f.starts_on)} if f.starts_on else {}),
                    **({"end": _day(f.ends_on)} if f.ends_on else {})}
            if not detail["goal"]:
                del detail["goal"]
            activities.append({"id": f.effort_id, "detail": detail})
        for a in s.agreements.values():
            activities.append({"id": a.agreement_id, "reference": self.ref("Task", a.agreement_id)})
        status = "completed" if s.status == "closed" else "active" if s.plan_acceptance else "draft"
        plan: Json = {
            "resourceType": "CarePlan", "id": self.uuid("CarePlan"), "extension": extension,
            "identifier": [{"system": NS_CASE, "value": self.case}], "status": status,
            "intent": "plan", "title": s.title, "subject": self.ref("Patient"),
            "period": self.period(), "created": _instant(s.opened_at),
            "author": self.person(s.baton.holder), "careTeam": [self.ref("CareTeam")],
            "goal": [self.ref("Goal", g) for g in s.goals], "activity": activities,
        }
        if s.summary:
            plan["description"] = s.summary
        if s.sector_plans:
            plan["supportingInfo"] = [{
                "type": "CarePlan",
                "identifier": {"type": {"text": p.kind}, "value": p.reference,
                               "assigner": {"display": p.system}},
                "display": f"{p.sector_plan_id}: {p.kind}, {p.system} {p.reference} ({p.owner})",
            } for p in s.sector_plans.values()]
        if s.citizen_views:
            plan["note"] = [{"authorString": v.given_by, "time": _instant(v.recorded_at),
                             "text": v.text} for v in s.citizen_views]
        for key in ("goal", "activity", "extension"):
            if not plan[key]:
                del plan[key]
        self.add(plan, ("plan", ""))

    def goals(self) -> None:
        revisions: dict[str, list[ev.PlanGoalRevised]] = {}
        earlier: dict[str, str] = {}
        notes: dict[str, list[Json]] = {}
        for e in self.data.events:
            if isinstance(e, ev.GoalSet):
                earlier[e.goal_id] = e.text
            elif isinstance(e, ev.PlanGoalRevised):
                revisions.setdefault(e.goal_id, []).append(e)
                notes.setdefault(e.goal_id, []).append({
                    "time": _instant(e.effective_at),
                    "text": f"Earlier wording: {earlier.get(e.goal_id, '')} — revised: {e.reason}"})
                earlier[e.goal_id] = e.text
        for g in self.s.goals.values():
            achieved: Json = {"coding": [{"system": CS_GOAL_STATUS, "code": g.status}]}
            if g.status in GOAL_ACHIEVED:
                achieved["coding"].insert(0, {"system": GOAL_ACHIEVEMENT,
                                              "code": GOAL_ACHIEVED[g.status]})
            goal: Json = {
                "resourceType": "Goal", "id": self.uuid("Goal", g.goal_id),
                "identifier": self.item_id(g.goal_id),
                "lifecycleStatus": GOAL_LIFECYCLE[g.status], "achievementStatus": achieved,
                "category": [{"coding": [{"system": CS_GOAL_LEVEL, "code": g.level}]}],
                "description": {"text": g.text}, "subject": self.ref("Patient"),
            }
            children = [c for c in self.s.goals.values() if c.parent_id == g.goal_id]
            if children:
                goal["extension"] = [{"url": GOAL_RELATIONSHIP, "extension": [
                    {"url": "type", "valueCodeableConcept": {"coding": [
                        {"system": GOAL_RELATIONSHIP_TYPE, "code": "milestone"}]}},
                    {"url": "target", "valueReference": self.ref("Goal", c.goal_id)}]}
                    for c in children]
            if g.target_date:
                goal["target"] = [{"dueDate": _day(g.target_date)}]
            if g.goal_id in notes:
                goal["note"] = notes[g.goal_id]
            self.add(goal, ("goal", g.goal_id))

    def consents(self) -> None:
        today = local_date(self.now)
        for c in self.s.consents.values():
            inactive = c.revoked_at is not None or (c.expires_on is not None
                                                    and c.expires_on < today)
            actors = []
            for r in c.recipients:
                who = self.org(r[1:]) if r.startswith("@") else self.person(r)
                actors.append({"role": {"coding": [{"system": V3_PARTICIPATION, "code": "IRCP"}]},
                               "reference": who})
            provision: Json = {
                "type": "permit",
                "period": {"start": _instant(c.given_at),
                           **({"end": _day(c.expires_on)} if c.expires_on else {})},
                "actor": actors,
                "purpose": [{"system": CS_PURPOSE, "code": _code(c.purpose),
                             "display": c.purpose}],
                "code": [{"coding": [{"system": CS_CATEGORY, "code": _code(cat)}], "text": cat}
                         for cat in c.categories],
            }
            performers = [self.ref("Patient") if g.role == "citizen" else
                          {"display": g.role + (f" ({g.name})" if g.name else ""),
                           "type": "RelatedPerson"} for g in c.given_by]
            consent: Json = {
                "resourceType": "Consent", "id": self.uuid("Consent", c.consent_id),
                "identifier": self.item_id(c.consent_id),
                "status": "inactive" if inactive else "active",
                "scope": {"coding": [{"system": CONSENT_SCOPE, "code": "patient-privacy"}]},
                "category": [{"coding": [{"system": LOINC, "code": "59284-0"}]},
                             *({"coding": [{"system": CS_GIVER, "code": g.role}]}
                               for g in dict.fromkeys(c.given_by))],
                "patient": self.ref("Patient"), "dateTime": _instant(c.given_at),
                "performer": performers,
                "policyRule": {"coding": [{"system": V3_ACT, "code": "OPTIN"}]},
                "provision": provision,
            }
            self.add(consent, ("consent", c.consent_id))

    def meetings(self) -> None:
        for m in self.s.meetings.values():
            people = list(dict.fromkeys([*m.invited, *m.attendees]))
            participants = []
            for ref in people:
                codes = []
                if m.status == "held" and ref in m.attendees:
                    codes = [{"system": V3_PARTICIPATION, "code": "ATND"},
                             {"system": CS_MEETING_ROLE, "code": "attended"}]
                elif m.status == "held":
                    codes = [{"system": CS_MEETING_ROLE, "code": "invited-absent"}]
                else:
                    codes = [{"system": CS_MEETING_ROLE, "code": "invited"}]
                participants.append({"type": [{"coding": codes}], "individual": self.person(ref)})
            record: list[Json] = [
                {"url": "placeAgreedWithCitizen", "valueBoolean": m.place_agreed_with_citizen},
                {"url": "advocateNeeded", "valueBoolean": m.advocate_needed},
                {"url": "lateAgendaChanges", "valueInteger": m.late_agenda_changes},
            ]
            if m.interpreter_language:
                record.append({"url": "interpreterLanguage", "valueString": m.interpreter_language})
            if m.minutes:
                record.append({"url": "minutes", "valueString": m.minutes})
            record += [{"url": "decision", "valueString": d} for d in m.decisions]
            sent = next((e for e in self.data.events if isinstance(e, ev.MinutesSent)
                         and e.meeting_id == m.meeting_id), None)
            if sent:
                record.append({"url": "minutesSent", "valueDateTime": _instant(sent.effective_at)})
            encounter: Json = {
                "resourceType": "Encounter", "id": self.uuid("Encounter", m.meeting_id),
                "extension": [{"url": EXT_MEETING_RECORD, "extension": record}],
                "identifier": self.item_id(m.meeting_id), "status": MEETING_STATUS[m.status],
                "class": {"system": V3_ACT, "code": "AMB"},
                "type": [{"coding": [{"system": CS_MEETING_KIND, "code": m.kind}]}],
                "subject": self.ref("Patient"), "episodeOfCare": [self.ref("EpisodeOfCare")],
                "participant": participants, "period": {"start": _instant(m.starts_at)},
                "reasonCode": [{"text": item} for item in m.agenda],
                "location": [{"location": {"display": m.place}}],
            }
            if not encounter["reasonCode"]:
                del encounter["reasonCode"]
            self.add(encounter, ("meeting", m.meeting_id))

    def tasks(self) -> None:
        notes: dict[str, str] = {}
        for e in self.data.events:
            if isinstance(e, ev.AgreementCompleted) and e.note:
                notes[e.agreement_id] = e.note
            elif isinstance(e, ev.AgreementCancelled):
                notes[e.agreement_id] = e.reason
        today = local_date(self.now)
        for a in self.s.agreements.values():
            last = self.last.get(("agreement", a.agreement_id))
            task: Json = {
                "resourceType": "Task", "id": self.uuid("Task", a.agreement_id),
                "identifier": self.item_id(a.agreement_id), "status": TASK_STATUS[a.status],
                "intent": "plan", "description": a.text, "for": self.ref("Patient"),
                "basedOn": [self.ref("CarePlan")], "authoredOn": _instant(a.made_at),
                "owner": self.person(a.responsible),
                "restriction": {"period": {"end": _day(a.due_on)}},
            }
            if last is not None:
                task["lastModified"] = _instant(last.effective_at)
            if a.status == "open" and a.due_on < today:
                task["businessStatus"] = {"text": "overdue"}
            if a.status == "reassigned" and a.replaced_by:
                task["statusReason"] = {"text": f"reassigned: replaced by {a.replaced_by}"}
            elif a.agreement_id in notes:
                task["note"] = [{"text": notes[a.agreement_id]}]
            if a.goal_id and a.goal_id in self.s.goals:
                task["focus"] = self.ref("Goal", a.goal_id)
            if a.meeting_id and a.meeting_id in self.s.meetings:
                task["encounter"] = self.ref("Encounter", a.meeting_id)
            self.add(task, ("agreement", a.agreement_id))

    def build(self) -> Json:
        self.patient()
        self.organisations()
        self.people()
        self.care_team()
        self.episode()
        self.care_plan()
        self.goals()
        self.consents()
        self.meetings()
        self.tasks()
        p = self.data.provenance
        return {
            "resourceType": "Bundle",
            "id": str(uuid5(self.s.id, f"Bundle/{self.s.version}/{p.made_at.isoformat()}")),
            "meta": {"lastUpdated": _instant(p.made_at)},
            "identifier": {"system": NS_CASE, "value": f"{self.case}/{self.s.version}"},
            "type": "collection", "timestamp": _instant(p.made_at), "entry": self.entries,
        }


def bundle_of(data: ReportData) -> Json:
    """The case (as the Reader handed it out) as a FHIR R4 Bundle of type collection."""
    return _Bundle(data).build()
