"""``stafet report`` and ``stafet meeting doc`` as a coordinator uses them, on both backends where
storage matters: the PDF looked at as pictures and as text, texts whole and escaped, reports of
an erased case free of personal data, refusals by the authorisation matrix, and a report's
provenance checked against the log with ``stafet verify --digest``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stafet import Ledger
from tests.documents.conftest import flat, pdf_fonts, pdf_pages, pdf_text
from tests.helpers import soon
from tests.trust.support import ADULT_CASE, FAMILY_CASE, apply_example, stafet

PURPOSE = "journalisering af forløbet"
ADULT_HOLDER = "peter.lund@socialafdelingen-odense"
FAMILY_HOLDER = "lars.winther@skovvangskolen"
HOLDER = "anne@jobcenter"


def read(db: str, actor: str, *args: str) -> tuple[int, str, str]:
    done = stafet(db, "--as", actor, "--purpose", PURPOSE, *args)
    return done.code, done.out, done.err


def example_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def agreements_of(path: Path) -> list[str]:
    texts = []
    for line in example_lines(path):
        texts += [a["text"] for a in line.get("agreements", [])]
        if line["command"] == "agreement.make":
            texts.append(line["text"])
    return texts


# -- the examples as PDF, page by page ---------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(("example", "holder", "words"), [
    (ADULT_CASE, ADULT_HOLDER, ["tømrer", "Socialpædagogisk støtte", "Ørbækvej"]),
    (FAMILY_CASE, FAMILY_HOLDER, ["Børnehuset Solsikken", "søvn og morgenrutiner", "Forældrenes"]),
], ids=["adult", "family"])
def test_each_example_prints_to_a_pdf_with_holder_agreements_and_danish_letters(
        pdf_engine: str, tmp_path: Path, example: Path, holder: str, words: list[str]) -> None:
    db = f"sqlite:///{tmp_path / 'stafet.db'}"
    case = apply_example(db, example)
    pdf = tmp_path / "report.pdf"
    code, _out, err = read(db, holder, "report", case[:8], "-o", str(pdf),
                           "--pdf-engine", pdf_engine)
    assert code == 0, err
    assert pdf.read_bytes().startswith(b"%PDF")

    text = flat(pdf_text(pdf))
    assert holder in text.replace("@ ", "@")
    assert "Stafetholder" in text and "Den koordinerende plan" in text
    for agreement in agreements_of(example):
        assert agreement in text, agreement
    for word in [*words, "æ", "ø", "å"]:
        assert word in text, word
    assert "\ufffd" not in text

    pages = pdf_pages(pdf, tmp_path)
    assert len(pages) >= 2
    assert all(page.stat().st_size > 5_000 for page in pages)  # none blank
    # Every page says what it is part of: the running header, and "page n / N" below.
    assert text.count(f"Rapport over forløbet · Forløb {case[:8]}") >= len(pages)
    assert f"{len(pages)} / {len(pages)}" in text.replace("/", " / ").replace("  ", " ")
    fonts = pdf_fonts(pdf)
    assert "DejaVu" in fonts
    for line in fonts.splitlines()[2:]:
        assert " yes " in line, f"a font is not embedded: {line}"


@pytest.mark.slow
def test_meeting_doc_is_one_document_through_the_meeting_s_life(
        pdf_tools: None, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'stafet.db'}"
    with Ledger(db) as ledger:
        case = ledger.open_case(actor=HOLDER, subject_ref="borger-4711", subject_kind="adult",
                                title="Vejen til uddannelse")
        cid = str(case.case_id)
        ledger.run("case.join", {"actor": HOLDER, "case_id": cid, "participant": "bo@socialcenter",
                                 "kind": "authority"})
        ledger.run("meeting.convene", {
            # convened a week ago for yesterday: recorded as held below, after it took place
            "actor": HOLDER, "case_id": cid, "starts_at": f"{soon(-1)}T10:00",
            "occurred_at": f"{soon(-7)}T10:00", "place": "Jobcentret, lokale 3",
            "invited": ["bo@socialcenter"],
            "agenda": ["Status på bolig", "Aftaler"], "interpreter_language": "arabisk"})
    code, before, err = read(db, HOLDER, "meeting", "doc", cid[:8], "M1")
    assert code == 0, err
    assert "Status på bolig" in before and "arabisk" in before and "Inviterede" in before
    assert "ikke holdt endnu" in before and "Referat" not in before

    with Ledger(db) as ledger:
        ledger.run("plan.accept", {"actor": HOLDER, "case_id": cid,
                                   "accepted_by": [{"role": "citizen"}]})
        ledger.run("meeting.hold", {
            "actor": HOLDER, "case_id": cid, "meeting_id": "M1", "attendees": ["bo@socialcenter"],
            "minutes": "Bo undersøger bostøtte.\n\nNæste møde om tre måneder.",
            "decisions": ["Anne er fortsat stafetholder"],
            "agreements": [{"responsible": "bo@socialcenter", "due_on": soon(30),
                            "text": "søge bostøtte efter SEL § 85"}]})
    code, after, err = read(db, HOLDER, "meeting", "doc", cid[:8], "M1")
    assert code == 0, err
    for text in ("Status på bolig", "Referat", "Bo undersøger bostøtte.", "Næste møde om tre måneder.",
                 "Anne er fortsat stafetholder", "søge bostøtte efter SEL § 85", "bo@socialcenter"):
        assert text in after, text
    pdf = tmp_path / "m1.pdf"
    assert read(db, HOLDER, "meeting", "doc", cid[:8], "M1", "-o", str(pdf))[0] == 0
    assert "søge bostøtte efter SEL § 85" in flat(pdf_text(pdf))
    code, _out, err = read(db, HOLDER, "meeting", "doc", cid[:8], "M7")
    assert code == 2 and "no meeting M7" in err


# -- texts whole, escaped, revised and corrected ---------------------------------------------------


@pytest.fixture
def worded_case(tmp_path: Path) -> tuple[str, str]:
    db = f"sqlite:///{tmp_path / 'stafet.db'}"
    long_note = " ".join(f"ord{n}" for n in range(400)) + " SLUTORD"
    with Ledger(db) as ledger:
        case = ledger.open_case(actor=HOLDER, subject_ref="borger-4711", subject_kind="adult",
                                title="Vejen til uddannelse")
        cid = str(case.case_id)

        def do(name: str, **fields: object) -> None:
            ledger.run(name, {"actor": HOLDER, "case_id": cid, **fields})

        do("case.join", participant="bo@uu-odense", kind="authority")
        do("plan.accept", accepted_by=[{"role": "citizen"}])
        do("goal.set", level="overall", text="Gammel formulering af målet")
        do("goal.revise", goal_id="G1", text="Ny formulering af målet", reason="Borgeren ønskede det")
        do("agreement.make", text="afklare uddannelse", responsible="bo@uu-odense", due_on=soon(5))
        do("note", text="<script>alert('x')</script> & <b>fed</b>")
        do("note", text=long_note)
        do("note", text="Forkert dato for mødet")
        position = ledger.get_case(cid).version
        do("correct", position=position, correction="Mødet er den 5. maj", reason="Tastefejl")
    return db, cid


def test_notes_are_whole_escaped_and_corrections_stand_against_what_they_correct(
        worded_case: tuple[str, str], tmp_path: Path) -> None:
    db, cid = worded_case
    page = tmp_path / "r.html"
    assert read(db, HOLDER, "report", cid[:8], "-o", str(page))[0] == 0
    html = page.read_text("utf-8")
    assert "<script>" not in html and "<b>fed</b>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;fed&lt;/b&gt;" in html
    assert "ord399 SLUTORD" in html and "ord0 ord1" in html

    code, md, err = read(db, HOLDER, "report", cid[:8])
    assert code == 0, err
    assert "ord0 " in md and "ord399 SLUTORD" in md  # never cut
    assert "Ny formulering af målet" in md and "Gammel formulering af målet" in md
    assert "Borgeren ønskede det" in md and "revideret 1×" in md
    assert "Retter indførsel" in md and "Forkert dato for mødet" in md and "Tastefejl" in md


@pytest.mark.slow
def test_a_hostile_title_stays_text_in_the_printed_header_and_the_page_runs_no_script(
        pdf_engine: str, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'stafet.db'}"
    title = 'Ud af "misbrug" }</style><script>document.title="pwn"</script> & videre'
    with Ledger(db) as ledger:
        cid = str(ledger.open_case(actor=HOLDER, subject_ref="borger-4711",
                                   subject_kind="adult", title=title).case_id)
    page = tmp_path / "r.html"
    assert read(db, HOLDER, "report", cid[:8], "-o", str(page))[0] == 0
    html = page.read_text("utf-8")
    assert "<script>" not in html and "</style><" not in html
    assert "default-src 'none'" in html  # the printing browser runs and fetches nothing

    pdf = tmp_path / "r.pdf"
    code, _out, err = read(db, HOLDER, "report", cid[:8], "-o", str(pdf), "--pdf-engine", pdf_engine)
    assert code == 0, err
    text = flat(pdf_text(pdf))
    assert text.count(flat(title)) >= 2  # the heading, and the running header of the page


def test_for_org_marks_what_concerns_that_organisation_and_lang_en(
        worded_case: tuple[str, str]) -> None:
    db, cid = worded_case
    code, md, err = read(db, HOLDER, "report", cid[:8], "--for-org", "uu-odense")
    assert code == 0, err
    assert "Det, der vedrører uu-odense" in md and "◆ A1" in md
    code, md, _ = read(db, HOLDER, "report", cid[:8], "--lang", "en")
    assert "The coordinating plan" in md and "Agreements" in md and "Den koordinerende" not in md


def test_as_of_shows_the_case_as_the_log_stood(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'stafet.db'}"
    case = apply_example(db, ADULT_CASE)
    with Ledger(db) as ledger:
        history = ledger.history(case)
        handed = next(e for e in history if type(e).__name__ == "BatonHanded")
    moment = handed.recorded_at.isoformat()
    code, md, err = read(db, ADULT_HOLDER, "report", case[:8], "--as-of", moment)
    assert code == 0, err
    holder_line = next(line for line in md.splitlines() if line.startswith("- Stafetholder"))
    assert "louise.holm@jobcenter-odense" in holder_line
    assert "Som loggen så ud" in md


# -- reads: authorised, logged, provenance that verifies -----------------------------------------------


def _world(db: str) -> str:
    with Ledger(db) as ledger:
        ledger.appoint_first_admin("it@kommunen")
        for role, who, org in [("dpo", "dpo@kommunen", None), ("auditor", "revisor@kommunen", None),
                               ("team_leader", "lis@jobcenter", "jobcenter")]:
            ledger.grant_role(actor="it@kommunen", role=role, to=who, org=org)  # type: ignore[arg-type]
        case = ledger.open_case(actor=HOLDER, subject_ref="borger-4711", subject_kind="adult",
                                title="Vejen til uddannelse")
        cid = str(case.case_id)
        for who, kind in [("borger@4711", "citizen"), ("bo@socialcenter", "authority")]:
            ledger.join_case(actor=HOLDER, case_id=cid, participant=who, kind=kind)  # type: ignore[arg-type]
        ledger.leave_case(actor="bo@socialcenter", case_id=cid, participant="bo@socialcenter")
        ledger.log_note(actor=HOLDER, case_id=cid, text="Efter Bos afsked: ny aftale om praktik.")
    return cid


def _case_show_row() -> dict[str, str]:
    from tests.authorisation.test_matrix import MATRIX, WHO

    return {WHO[column]: cell for (act, column), cell in MATRIX.items() if act == "case show"}


def test_a_report_is_read_by_whom_case_show_is_and_access_logged(db_url: str) -> None:
    cid = _world(db_url)
    for actor, cell in _case_show_row().items():
        code, md, err = read(db_url, actor, "report", cid[:8])
        if cell == "no":
            assert code == 1 and err.startswith("Refused:"), (actor, err)
            assert md == ""
        else:
            assert code == 0, (actor, err)
            if cell == "until left":
                assert "Efter Bos afsked" not in md
            else:
                assert "Efter Bos afsked" in md
    with Ledger(db_url) as ledger:
        entries = [e for e in ledger.access_log.entries() if e.action == "report"]
    assert {e.actor for e in entries if e.outcome == "refused"} == {
        a for a, cell in _case_show_row().items() if cell == "no"}
    assert {e.actor for e in entries if e.outcome is None} == {
        a for a, cell in _case_show_row().items() if cell != "no"}


def test_a_report_s_provenance_checks_against_the_log(db_url: str, tmp_path: Path) -> None:
    cid = _world(db_url)
    done = stafet(db_url, "--json", "--as", HOLDER, "--purpose", PURPOSE, "report",
                  cid[:8], "-o", str(tmp_path / "r.md"))
    assert done.code == 0, done.err
    provenance = done.json()["provenance"]
    assert provenance["made_by"] == HOLDER and provenance["case_position"] >= 5
    md = (tmp_path / "r.md").read_text("utf-8")
    assert provenance["case_hash"] in md and provenance["log_hash"] in md
    digest = md.split("```json", 1)[1].split("```", 1)[0]
    (tmp_path / "digest.json").write_text(digest, "utf-8")
    with Ledger(db_url) as ledger:
        ledger.log_note(actor=HOLDER, case_id=cid, text="Skrevet efter rapporten.")
        link = ledger.store.recorder.select_chain_link(ledger.resolve_case(cid),
                                                       provenance["case_position"])
        assert link is not None and link.case_hash.hex() == provenance["case_hash"]
    done = stafet(db_url, "--as", "revisor@kommunen", "verify", "--digest", str(tmp_path / "digest.json"))
    assert done.code == 0, done.out + done.err


# -- an erased case ---------------------------------------------------------------------------------

PERSONAL = ["Samlet forløb: uddannelse", "borger-3c9e41", "Mads er 39 år", "stoffri i 8 måneder",
            "Jobcenter Odense, mødelokale 3", "Præsentation og Mads' egne ønsker",
            "Jeg vil gerne være tømrer", "Mads gennemfører en erhvervsuddannelse",
            "visiteret til bostøtte", "MP-2026-0448213", "Mentorstøtte i overgangen",
            "afklare optag på EUV", "Louise er fortsat stafetholder", "Optaget på EUV med start"]


@pytest.mark.slow
def test_a_report_of_an_erased_case_shows_erased_and_no_personal_data(
        pdf_tools: None, db_url: str, tmp_path: Path) -> None:
    case = apply_example(db_url, ADULT_CASE)
    with Ledger(db_url) as ledger:
        ledger.appoint_first_admin("it@kommunen")
        ledger.grant_role(actor="it@kommunen", role="dpo", to="dpo@kommunen")
    before = tmp_path / "before.md"
    assert read(db_url, ADULT_HOLDER, "report", case[:8], "-o", str(before))[0] == 0
    assert [p for p in PERSONAL if p.encode() not in before.read_bytes()] == []  # found before

    done = stafet(db_url, "--as", "dpo@kommunen", "erase", "--subject", "borger-3c9e41",
                  "--confirm", "borger-3c9e41", "--reason", "Slettefrist udløbet")
    assert done.code == 0, done.err
    files = {fmt: tmp_path / f"erased.{fmt}" for fmt in ("md", "html", "pdf")}
    for path in files.values():
        code, _out, err = read(db_url, ADULT_HOLDER, "report", case[:8], "-o", str(path))
        assert code == 0, err
    fhir = tmp_path / "erased.json"
    assert read(db_url, ADULT_HOLDER, "export", case[:8], "--format", "fhir", "-o", str(fhir))[0] == 0
    meeting = tmp_path / "m1.md"
    assert read(db_url, ADULT_HOLDER, "meeting", "doc", case[:8], "M1", "-o", str(meeting))[0] == 0
    scanned = {path.name: path.read_bytes() for path in [*files.values(), fhir, meeting]}
    scanned["erased.pdf.txt"] = pdf_text(files["pdf"]).encode("utf-8")
    for name, content in scanned.items():
        for personal in PERSONAL:
            assert personal.encode("utf-8") not in content, (name, personal)
    assert b"[erased]" in scanned["erased.md"] and b"[erased]" in scanned["erased.pdf.txt"]
    assert "slettet" in files["md"].read_text("utf-8")


@pytest.mark.process
def test_json_gives_the_document_s_content_and_the_installed_script_finds_its_templates(
        worded_case: tuple[str, str], tmp_path: Path) -> None:
    db, cid = worded_case
    done = stafet(db, "--json", "--as", HOLDER, "--purpose", PURPOSE, "report", cid[:8],
                  "--lang", "en")
    assert done.code == 0, done.err
    content = done.json()
    assert content["holder"] == HOLDER and content["lang"] == "en"
    assert [a["agreement_id"] for a in content["agreements"]] == ["A1"]
    assert content["provenance"]["digest"].startswith("{")

    from tests.trust.support import stafet_process

    page = tmp_path / "r.html"
    run = stafet_process(db, "--as", HOLDER, "--purpose", PURPOSE, "report", cid[:8],
                         "-o", str(page))
    assert run.code == 0, run.err
    assert "<style>" in page.read_text("utf-8") and "Ny formulering af målet" in page.read_text("utf-8")
