"""A case document as Markdown: plain text that reads well as it is and in any Markdown viewer.
Texts are written in full (never cut); a line break in a note stays a line break."""

from __future__ import annotations

from stafet.documents.model import MARK, AgreementView, CaseDocument, MeetingView


def _cell(text: str) -> str:
    """Text for a table cell: pipes escaped, line breaks kept as <br>."""
    return text.replace("|", "\\|").replace("\r\n", "\n").replace("\n", "<br>")


def _block(text: str, indent: str = "") -> list[str]:
    return [indent + line if line else indent.rstrip() for line in text.replace("\r\n", "\n").split("\n")]


def _mark(doc: CaseDocument, concerns: bool) -> str:
    return f"{MARK} " if concerns and doc.for_org else ""


def _agreement_rows(doc: CaseDocument, agreements: list[AgreementView]) -> list[str]:
    t = doc.t
    out = [f"| | {t['agreement']} | {t['responsible']} | {t['due']} | {t['status']} |",
           "|---|---|---|---|---|"]
    for a in agreements:
        status = a.status + (f" — **{t['overdue'].upper()}**" if a.overdue else "")
        text = a.text + "".join(f"<br>*{_cell(d)}*" for d in a.details)
        if a.corrected_by:
            text += f"<br>*{t['corrected_see'].format(positions=', '.join(map(str, a.corrected_by)))}*"
        out.append(f"| {_mark(doc, a.concerns)}{a.agreement_id} | {_cell(text)} | "
                   f"{_cell(a.responsible)} | {a.due} | {status} |")
    return out


def _meeting(doc: CaseDocument, m: MeetingView, level: str = "###", full: bool = True,
             ) -> list[str]:
    t = doc.t
    out = [f"{level} {_mark(doc, m.concerns)}{t['meeting']} {m.meeting_id}: {m.kind}, {m.starts}",
           "", f"- {t['status']}: {m.status}",
           f"- {t['place']}: {m.place}" + (f" ({t['place_agreed']})" if m.place_agreed else "")]
    if m.interpreter:
        out.append(f"- {t['interpreter']}: {m.interpreter}")
    if m.advocate:
        out.append(f"- {t['advocate']}")
    out.append(f"- {t['invited']}: {', '.join(m.invited) or '-'}")
    out += ["", f"**{t['agenda']}**", ""]
    out += [f"{n}. {item}" for n, item in enumerate(m.agenda, 1)] or [t["none"]]
    for change in m.agenda_changes:
        out.append("")
        out.append(f"*{t['agenda_changed'].format(when=change.when)}"
                   + (f" ({t['late_change']})*" if change.late else "*"))
    if m.cancel_reason:
        out += ["", t["cancelled_because"].format(reason=m.cancel_reason)]
    if m.status_key == "held":
        out += ["", f"- {t['attendees']}: {', '.join(m.attendees) or '-'}"]
        if m.absent:
            out.append(f"- {t['absent']}: {', '.join(m.absent)}")
        out += ["", f"**{t['minutes']}**", ""]
        out += _block(m.minutes or t["none"])
        out += ["", f"**{t['decisions']}**", ""]
        out += [f"- {d}" for d in m.decisions] or [t["none"]]
        if m.agreements:
            out += ["", f"**{t['agreements_made']}**", "", *_agreement_rows(doc, m.agreements)]
        out += ["", f"*{t['minutes_sent'].format(when=m.minutes_sent)}*" if m.minutes_sent
                else f"*{t['minutes_not_sent']}*"]
    if m.corrected_by:
        out += ["", f"*{t['corrected_see'].format(positions=', '.join(map(str, m.corrected_by)))}*"]
    return [*out, ""]


def _provenance(doc: CaseDocument) -> list[str]:
    p, t = doc.provenance, doc.t
    out = [f"## {t['provenance']}", "", p.text, ""]
    if p.as_of:
        out += [f"{t['as_of']}: {p.as_of}", ""]
    out += [f"- {p.case_entry}: `{p.case_hash}`", f"- {p.log_head}: `{p.log_hash}`", "",
            p.check, "", f"{t['digest']}:", "", "```json", p.digest, "```", ""]
    return out


def _header(doc: CaseDocument, heading: str) -> list[str]:
    t = doc.t
    holder = doc.holder + (f", {doc.holder_title}" if doc.holder_title else "")
    if doc.holder_temporary:
        holder += f" ({t['temporary']})"
    out = [f"# {heading}: {doc.title}", "",
           f"- {t['case']}: {doc.case_id}",
           f"- {t['citizen']}: {doc.subject_ref} ({doc.subject_kind})",
           f"- {t['status']}: {doc.status} · {t['phase']} {doc.phase} ({doc.phase_text}) · "
           f"{t['opened']} {doc.opened}",
           f"- {t['holder']}: {holder}, {t['since']} {doc.holder_since}"]
    if doc.exchange:
        out.append(f"- {doc.exchange}")
    if doc.provenance.as_of:
        out.append(f"- {t['as_of']}: {doc.provenance.as_of}")
    out.append("")
    if doc.erased:
        out += [f"> {t['erased_notice']}", ""]
    return out


def report(doc: CaseDocument) -> str:
    """The whole case: header, plan in five sections, baton, meetings, consents, people, log."""
    t = doc.t
    out = _header(doc, t["report"])
    if doc.for_org:
        out += [f"## {t['concerns_heading'].format(org=doc.for_org)}", ""]
        out += [f"- {line}" for line in doc.concerns] or [t["concerns_none"].format(org=doc.for_org)]
        if doc.concerns:
            out += ["", t["concerns_marked"].format(mark=MARK)]
        out.append("")
    if doc.closure_heading:
        out += [f"## {doc.closure_heading}", ""]
        out += [f"- **{k}**: {v}" for k, v in doc.closure] + [""]
    out += [f"## {t['plan']}", "", doc.acceptance or f"*{t['plan_not_accepted']}*", ""]
    out += [f"### {t['s1']}", "", *_block(doc.summary or t["none"]), ""]
    for r in doc.summary_revisions:
        out += [f"> *{t['earlier_text']} ({t['revised']} {r.changed}, {r.who}):* "
                + _cell(r.text), ""]
    out += [f"### {t['s2']}", ""]
    for g in doc.goals:
        line = (f"{'  ' * g.depth}- **{g.goal_id}** ({g.level}): {g.text} — {g.status}"
                + (f", {t['target']} {g.target}" if g.target != "-" else ""))
        if g.revisions:
            line += f" *({t['revised']} {len(g.revisions)}×)*"
        out.append(line)
        for r in g.revisions:
            out.append(f"{'  ' * (g.depth + 1)}- *{t['earlier_text']}, {t['revised']} {r.changed} "
                       f"({r.who}):* {r.text}" + (f" — {t['reason']}: {r.reason}" if r.reason else ""))
        if g.corrected_by:
            positions = ", ".join(map(str, g.corrected_by))
            out.append(f"{'  ' * (g.depth + 1)}- *{t['corrected_see'].format(positions=positions)}*")
    if not doc.goals:
        out.append(t["none"])
    out += ["", f"### {t['s3']}", ""]
    if doc.efforts:
        out += [f"| | {t['effort']} | {t['law']} | {t['provider']} | {t['period']} | "
                f"{t['status']} | {t['for_goals']} |", "|---|---|---|---|---|---|---|"]
        out += [f"| {_mark(doc, f.concerns)}{f.effort_id} | {_cell(f.title)} | {f.law} | "
                f"{_cell(f.provider)} | {f.period} | {f.status} | {f.goals} |" for f in doc.efforts]
    else:
        out.append(t["none"])
    out += ["", f"### {t['s4']}", ""]
    out += _agreement_rows(doc, doc.agreements) if doc.agreements else [t["none"]]
    out += ["", f"### {t['s5']}", ""]
    for v in doc.views:
        by = f"> — {v.by}, {v.when}" + (f" ({t['goal']} {v.goal})" if v.goal else "")
        out += [*_block(f"“{v.text}”", "> "), ">", by, ""]
    if not doc.views:
        out += [t["none"], ""]
    out += [f"### {t['sector_plans']}", ""]
    if doc.sector_plans:
        out += [f"| | {t['sector_plan']} | {t['owner']} | {t['system']} | {t['reference']} |",
                "|---|---|---|---|---|"]
        out += [f"| {_mark(doc, p.concerns)}{p.sector_plan_id} | {_cell(p.kind)} | {_cell(p.owner)} | "
                f"{_cell(p.system)} | {_cell(p.reference)} |" for p in doc.sector_plans]
    else:
        out.append(t["none"])
    out += ["", f"## {t['holders']}", "",
            f"| {t['holder']} | {t['from']} | {t['until']} | {t['ended']} |", "|---|---|---|---|"]
    out += [f"| {_mark(doc, h.concerns)}{_cell(h.holder)}" + (f" ({t['temporary']})" if h.temporary else "")
            + f" | {h.since} | {h.until} | {_cell(h.ended)} |" for h in doc.holds]
    out += ["", f"## {t['meetings']}", ""]
    for m in doc.meetings:
        out += _meeting(doc, m, full=False)
    if not doc.meetings:
        out += [t["none"], ""]
    out += [f"## {t['consents']}", ""]
    for c in doc.consents:
        out += [f"### {_mark(doc, c.concerns)}{t['consent']} {c.consent_id}: {c.purpose}", "",
                f"- {t['given_by']}: {c.givers}, {c.given}",
                f"- {t['status']}: {c.status}" + (f" ({c.revoke_reason})" if c.revoke_reason else ""),
                f"- {t['expires']}: {c.expires}",
                f"- {t['recipients']}: {', '.join(c.recipients)}",
                f"- {t['categories']}: {', '.join(c.categories)}", ""]
    if not doc.consents:
        out += [t["none"], ""]
    out += [f"## {t['participants']}", "",
            f"| {t['who']} | {t['kind']} | {t['role']} | {t['joined']} | {t['left']} |",
            "|---|---|---|---|---|"]
    out += [f"| {_mark(doc, p.concerns)}{_cell(p.ref)}" + (f" ({_cell(p.name)})" if p.name else "")
            + f" | {p.kind} | {_cell(p.title)} | {p.joined} | {p.left} |" for p in doc.participants]
    out += ["", f"## {t['log']}", ""]
    for e in doc.log:
        kind = {"note": t["note"], "correction": t["correction"], "shared": t["shared"]}[e.kind]
        out.append(f"**{_mark(doc, e.concerns)}{t['entry']} {e.position}** · {e.when} · {e.who} · {kind}")
        out.append("")
        if e.corrects is not None:
            out += [f"> *{e.corrects_heading}:* {_cell(e.corrects)}", ""]
        out += _block(e.text)
        if e.reason:
            out += ["", f"*{t['reason']}: {e.reason}*"]
        out.append("")
    if not doc.log:
        out += [t["none"], ""]
    out += _provenance(doc)
    return "\n".join(out).rstrip() + "\n"


def meeting_document(doc: CaseDocument, meeting_id: str) -> str:
    """One meeting through its life: the invitation and agenda, then minutes and agreements."""
    t = doc.t
    m = doc.meeting(meeting_id)
    if m is None:
        raise KeyError(meeting_id)
    out = _header(doc, f"{t['meeting_document']} {m.meeting_id}")
    out += _meeting(doc, m, level="##")
    if m.status_key == "convened":
        out += [f"*{t['not_held_yet']}*", ""]
    out += _provenance(doc)
    return "\n".join(out).rstrip() + "\n"
