"""Issue 17, point 8: a CSV Danish Excel opens as it is, and one timestamp format everywhere."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from tests.cli._support import assert_clean_failure, open_case, sqlite_url, stafet

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def test_excel_csv_has_a_bom_semicolons_and_keeps_danish_letters(tmp_path: Path) -> None:
    db = sqlite_url(tmp_path / "stafet.db")
    open_case(db, title="Forløb for Søren på Ærø; med semikolon")
    out = tmp_path / "sager.csv"
    done = stafet(db, "export", "--table", "rm_cases", "--format", "csv", "--excel", "-o", str(out))
    assert done.code == 0, str(done)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark
    text = raw.decode("utf-8-sig")
    header = text.splitlines()[0]
    assert header.startswith("case_id;subject_ref;")
    (row,) = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert row["title"] == "Forløb for Søren på Ærø; med semikolon"


def test_csv_and_json_write_timestamps_alike_iso_8601_in_utc_with_z(tmp_path: Path) -> None:
    db = sqlite_url(tmp_path / "stafet.db")
    open_case(db)
    as_csv = stafet(db, "export", "--table", "rm_cases", "--format", "csv")
    as_jsonl = stafet(db, "export", "--table", "rm_cases")
    (row,) = list(csv.DictReader(io.StringIO(as_csv.out)))
    (record,) = [json.loads(line) for line in as_jsonl.out.splitlines()]
    for column in ("opened_at", "holder_since", "last_event_at"):
        assert ISO_Z.match(row[column]), row[column]
        assert row[column] == record[column]
    events = list(csv.DictReader(io.StringIO(stafet(db, "export", "--events", "--format", "csv").out)))
    assert ISO_Z.match(events[0]["recorded_at"])


def test_excel_goes_with_csv_only(tmp_path: Path) -> None:
    db = sqlite_url(tmp_path / "stafet.db")
    open_case(db)
    refused = stafet(db, "export", "--table", "rm_cases", "--excel")
    assert_clean_failure(refused, 2, "--excel goes with --format csv")
