"""bench/RESULTS.md from the results of a run: the machine, the settings, every figure with
its baseline and ratio, the targets, and the cost curve across store sizes."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

Results = dict[str, Any]


def _n(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def _ms(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "–"
    return f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def _size(size: int | str) -> str:
    n = int(size)
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else (
        f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n))


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return [*out, ""]


def _sizes(results: Results, backend: str) -> list[str]:
    return sorted(results.get("backends", {}).get(backend, {}), key=int)


def _get(d: Any, *path: Any) -> Any:
    for key in path:
        if d is None:
            return None
        d = d.get(key) if isinstance(d, dict) else None
    return d


def _segment(per_size: Results, writers: int) -> Results | None:
    return next((s for s in per_size.get("commands", []) if s["writers"] == writers), None)


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def _read_models_on(per_size: Results) -> list[Results]:
    """The read-models-on segments (a list since issue 18; one dict in older results)."""
    rm = per_size.get("read_models_on")
    return [] if not rm else [rm] if isinstance(rm, dict) else list(rm)


def _load(per_size: Results, events: int, snapshots: bool) -> Results | None:
    return next((x for x in per_size.get("loading", [])
                 if x["events"] == events and x["snapshots"] == snapshots), None)


# -- the targets --------------------------------------------------------------------------------


def targets(results: Results) -> list[list[str]]:
    rows = []
    backends = list(results.get("backends", {}))

    def verdict(ok: bool | None) -> str:
        return "–" if ok is None else ("**met**" if ok else "**not met**")

    for backend in backends:
        sizes = _sizes(results, backend)
        if not sizes:
            continue
        big = results["backends"][backend][sizes[-1]]
        for label, segments in (("read models off", big.get("commands", [])),
                                ("read models on, the SQLite default", _read_models_on(big))):
            judged = [s for s in segments if s.get("vs_bare") is not None]
            if not judged:
                continue
            worst = min(judged, key=lambda s: s["vs_bare"])
            p99 = max(s["stafet"]["latency_ms"]["p99"] for s in judged)
            rows.append([f"command throughput ≥ 50% of the bare library ({backend}, {label})",
                         f"{_pct(worst['vs_bare'])} (lowest over 1–8 writers, at "
                         f"{worst['writers']}; {_size(sizes[-1])} events); p99 up to {_ms(p99)} ms",
                         verdict(worst["vs_bare"] >= 0.5)])
    if "sqlite" in backends and _sizes(results, "sqlite"):
        sizes = _sizes(results, "sqlite")
        per = results["backends"]["sqlite"][sizes[-1]]
        one = _segment(per, 1)
        if one:
            p99 = one["stafet"]["latency_ms"]["p99"]
            at = _size(sizes[-1])
            rows.append(["p99 command latency < 25 ms on SQLite at 1M events",
                         f"{_ms(p99)} ms (1 writer, {at} events in the store)"
                         + ("" if int(sizes[-1]) >= 1_000_000 else " — not measured at 1M"),
                         verdict(p99 < 25 if int(sizes[-1]) >= 1_000_000 else None) if p99 < 25
                         else verdict(False)])
    for backend in backends:
        sizes = _sizes(results, backend)
        if not sizes:
            continue
        per = results["backends"][backend][sizes[-1]]
        big_load = _load(per, 10_000, True)
        if big_load:
            p50 = big_load["latency_ms"]["p50"]
            rows.append([f"loading a case of 10,000 events < 20 ms with snapshots ({backend})",
                         f"p50 {_ms(p50)} ms, p99 {_ms(big_load['latency_ms']['p99'])} ms",
                         verdict(p50 < 20)])
        rebuild = _get(per, "projections", "rebuild_vs_fastest_copy") or \
            _get(per, "projections", "rebuild_vs_client_copy")
        if rebuild is not None:
            rows.append([f"projection rebuild ≥ 25% of the fastest raw client copy ({backend})",
                         f"{_pct(rebuild)} of the fastest client-side copy (executemany"
                         + (", multi-row INSERT, COPY" if backend == "postgres" else "")
                         + f"; {_pct(_get(per, 'projections', 'rebuild_vs_in_db_copy'))} of "
                         "INSERT…SELECT)",
                         verdict(rebuild >= 0.25)])
        lag = _get(per, "lag", "lag_ms", "p99")
        if lag is not None and backend == "postgres":
            rows.append(["projection lag p99 < 1 s on PostgreSQL", f"{_ms(lag)} ms",
                         verdict(lag < 1000)])
        ver = _get(per, "verify", "vs_read_and_hash")
        if ver is not None:
            rows.append([f"verify ≥ 50% of plain SQL read + SHA-256 over the same bytes ({backend})",
                         f"{_pct(ver)} (of hashlib over the bytes in memory: "
                         f"{_pct(_get(per, 'verify', 'vs_hashlib'))})",
                         verdict(ver >= 0.5)])
    for backend in backends:
        sizes = _sizes(results, backend)
        if len(sizes) < 2:
            continue
        worst = max(((name, factor) for name, factor in _degradation(results, backend)
                     if factor is not None), key=lambda x: x[1], default=None)
        if worst:
            rows.append([f"no figure degrades > 2x from {_size(sizes[0])} to {_size(sizes[-1])} "
                         f"events ({backend})", f"worst: {worst[0]}, {worst[1]:.2f}x",
                         verdict(worst[1] <= 2.0)])
    return rows


# -- the cost curve ------------------------------------------------------------------------------

# (name, path into a size's results, True when higher is better)
CURVE: list[tuple[str, Callable[[Results], float | None], bool]] = [
    ("commands/s, 1 writer", lambda p: _get(_segment(p, 1), "stafet", "commands_per_second"), True),
    ("commands/s, 8 writers", lambda p: _get(_segment(p, 8), "stafet", "commands_per_second"), True),
    ("p99 command latency ms, 1 writer", lambda p: _get(_segment(p, 1), "stafet", "latency_ms", "p99"),
     False),
    ("p99 command latency ms, 8 writers", lambda p: _get(_segment(p, 8), "stafet", "latency_ms", "p99"),
     False),
    ("stafet / bare library, 1 writer", lambda p: _get(_segment(p, 1), "vs_bare"), True),
    ("load 10,000-event case ms (snapshots), p50",
     lambda p: _get(_load(p, 10_000, True), "latency_ms", "p50"), False),
    ("load 1,000-event case ms (snapshots), p50",
     lambda p: _get(_load(p, 1000, True), "latency_ms", "p50"), False),
    ("rebuild events/s", lambda p: _get(p, "projections", "rebuild", "events_per_second"), True),
    ("catch-up events/s", lambda p: _get(p, "projections", "catch_up", "events_per_second"), True),
    ("verify events/s", lambda p: _get(p, "verify", "events_per_second"), True),
    ("lag p99 ms", lambda p: _get(p, "lag", "lag_ms", "p99"), False),
    ("bulk load (dev generate) events/s", lambda p: _get(p, "fill", "events_per_second"), True),
]


def _degradation(results: Results, backend: str) -> list[tuple[str, float | None]]:
    sizes = _sizes(results, backend)
    first, last = results["backends"][backend][sizes[0]], results["backends"][backend][sizes[-1]]
    out = []
    for name, get, higher_better in CURVE:
        a, b = get(first), get(last)
        if a is None or b is None or not a or not b:
            out.append((name, None))
            continue
        out.append((name, a / b if higher_better else b / a))
    return out


def render(results: Results) -> str:
    m = results["machine"]
    lines = [
        "# stafet benchmark results",
        "",
        f"Generated by `{results['command']}` on {m['date']} ({results['mode']} run, "
        f"{results['seconds'] / 60:.0f} min). Re-run: see `bench/README.md`.",
        "",
        "Ratios compare stafet with baselines measured in the same run on the same database, so "
        "they matter more than absolute figures (the machine is shared: other test suites were "
        "running, see the load average).",
        "",
        "## Machine and settings",
        "",
        f"- {m['nproc']} CPUs ({m['cpu']}), {_n(m['ram_gib'], 1)} GiB RAM, {m['os']}; "
        f"load average at start {', '.join(f'{x:.2f}' for x in m['load_average'])}"
        + (f", at end {', '.join(f'{x:.2f}' for x in results['load_average_end'])}"
           if results.get("load_average_end") else ""),
        f"- Python {m['python']}; stafet {m['stafet']} (git {m.get('git', '?')}); "
        + ", ".join(f"{k} {v}" for k, v in m["packages"].items()),
    ]
    if results.get("sqlite_settings"):
        s = results["sqlite_settings"]
        lines.append(f"- SQLite {m['sqlite']}: journal_mode={s['journal_mode']}, "
                     f"synchronous={s['synchronous']} (as the library's connections have them); files "
                     f"in {results['workdir']} ({m.get('filesystem', '?')}; one small write + fsync "
                     f"there takes {m.get('fsync_ms', math.nan):.2f} ms, median)")
    if results.get("pg_settings"):
        s = results["pg_settings"]
        lines.append(f"- PostgreSQL {s['server_version']}: fsync={s['fsync']}, "
                     f"synchronous_commit={s['synchronous_commit']}, wal_sync_method={s['wal_sync_method']}, "
                     f"full_page_writes={s['full_page_writes']}, shared_buffers={s['shared_buffers']}")
    lines += [f"- Seed {results['seed']}; store sizes {', '.join(_size(s) for s in results['sizes'])} "
              "events (the synthetic municipality: 100 events a case on average, the median case about 50, "
              "1 in 100 cases 800 or more, the largest about 3,000; the same shape at every size)",
              ""]
    lines += ["## Targets", ""]
    lines += _table(["target", "measured", "verdict"], targets(results))

    for backend in results.get("backends", {}):
        for size in _sizes(results, backend):
            lines += _section(backend, size, results["backends"][backend][size])

    multi = [b for b in results.get("backends", {}) if len(_sizes(results, b)) > 1]
    if multi:
        lines += ["## Cost curve", "",
                  "How each figure changes with the number of events in the store. The last column is "
                  "how many times worse the largest store is than the smallest (target: ≤ 2x).", ""]
        for backend in multi:
            sizes = _sizes(results, backend)
            rows = []
            factors = dict(_degradation(results, backend))
            for name, get, _ in CURVE:
                values = [get(results["backends"][backend][s]) for s in sizes]
                digits = 2 if name.startswith("stafet /") else 0 if "/s" in name else 1
                shown = [_pct(v) if name.startswith("stafet /") else _n(v, digits) for v in values]
                factor = factors.get(name)
                rows.append([name, *shown, "–" if factor is None else f"{factor:.2f}x"])
            lines += [f"### {backend}", ""]
            lines += _table(["figure", *[_size(s) for s in sizes], "worse by"], rows)
    if results.get("notes"):
        lines += ["## Notes", "", *results["notes"], ""]
    return "\n".join(lines).rstrip() + "\n"


def _section(backend: str, size: str, p: Results) -> list[str]:
    lines = [f"## {backend}, {_size(size)} events in the store", ""]
    fill = p.get("fill")
    if fill:
        lines += [f"Filled with {fill['events']:,} events ({fill['cases']:,} cases, "
                  f"{fill['commands']:,} commands) by the synthetic generator in {fill['seconds']:.0f} s "
                  f"({fill['events_per_second']:,.0f} events/s, 500 commands a transaction, read models "
                  "off); the bare library's store got the same events per aggregate.", ""]
    if p.get("mix"):
        top = ", ".join(f"{k} {v * 100:.0f}%" for k, v in list(p["mix"].items())[:10])
        lines += [f"Measured command mix (the year's continuation on the same cases): {top}, …", ""]
    if p.get("commands"):
        lines += ["### Commands (each its own transaction)", ""]
        rows = []
        for s in p["commands"]:
            st, bare, raw = s["stafet"], s["bare"], s["raw"]
            lat = st["latency_ms"]
            rows.append([
                str(s["writers"]), _n(st["commands_per_second"]), _n(st["events_per_second"]),
                _ms(lat["p50"]), _ms(lat["p95"]), _ms(lat["p99"]), _ms(lat["p99.9"]),
                f"{_n(bare['commands_per_second'])} ({_ms(bare['latency_ms']['p99'])})",
                f"{_n(raw['commands_per_second'])} ({_ms(raw['latency_ms']['p99'])})",
                _pct(s["vs_bare"]), _pct(s["vs_raw"]),
            ])
        lines += _table(["writers", "stafet cmd/s", "events/s", "p50 ms", "p95 ms", "p99 ms",
                         "p99.9 ms", "bare cmd/s (p99 ms)", "raw cmd/s (p99 ms)", "vs bare",
                         "vs raw"], rows)
        refused = sum(s["stafet"]["refused_count"] for s in p["commands"])
        first = p["commands"][0]["stafet"]
        lines += [f"{first['commands']:,} commands per writer count, sent in {first.get('rounds', 1)} "
                  "rounds with stafet, bare and raw taking turns (so a burst of load from elsewhere falls "
                  f"on all three); refused by the rules: {refused} (the generator only sends valid "
                  "commands). Latency is per command, validation to commit, measured in the writer; "
                  "in parentheses the baseline's p99 latency.", ""]
    rm = _read_models_on(p)
    if rm:
        lines += ["### Commands with the read models on (the SQLite default, what the CLI runs)", ""]
        rows = []
        for s in rm:
            st = s["stafet"]
            lat = st["latency_ms"]
            rows.append([str(s["writers"]), _n(st["commands_per_second"]), _ms(lat["p50"]),
                         _ms(lat["p95"]), _ms(lat["p99"]), _ms(lat["p99.9"]),
                         _pct(s.get("vs_off")), _pct(s.get("vs_bare")), _pct(s.get("vs_raw"))])
        lines += _table(["writers", "stafet cmd/s", "p50 ms", "p95 ms", "p99 ms", "p99.9 ms",
                         "vs read models off", "vs bare", "vs raw"], rows)
        lines += [f"{rm[0]['stafet']['commands']:,} commands per writer count (other commands of "
                  "the same mix), each writer keeping the read models current in the command's "
                  "own transaction; the bare library's and raw inserts' rates are those of the "
                  "segment above with the same writer count.", ""]
    if p.get("loading"):
        lines += ["### Loading one case (`ledger.get_case`)", ""]
        rows = []
        for x in p["loading"]:
            lat = x["latency_ms"]
            rows.append([f"{x['events']:,}", "yes (every 100)" if x["snapshots"] else "no",
                         _ms(lat["p50"]), _ms(lat["p95"]), _ms(lat["p99"]), _ms(lat["max"]),
                         str(lat["n"]), _ms(x["raw_read_p50_ms"]), _pct(x["vs_raw_read"])])
        lines += _table(["events", "snapshots", "p50 ms", "p95 ms", "p99 ms", "max ms", "n",
                         "raw SQL read p50 ms", "speed vs raw read"], rows)
    proj = p.get("projections")
    if proj:
        r, c, copy = proj["rebuild"], proj["catch_up"], proj["copy"]
        lines += ["### Projections (all 11 read models)", ""]
        lines += _table(
            ["work", "events", "seconds", "events/s", "vs client-side SQL copy", "vs INSERT…SELECT"],
            [["full rebuild", _n(r["events"]), _n(r["seconds"], 1), _n(r["events_per_second"]),
              _pct(proj["rebuild_vs_client_copy"]), _pct(proj["rebuild_vs_in_db_copy"])],
             ["catch-up (fresh runner)", _n(c["events"]), _n(c["seconds"], 1),
              _n(c["events_per_second"]), _pct(proj["catch_up_vs_client_copy"]), "–"],
             ["raw copy, client side, executemany (500 a transaction)", _n(copy["rows"]),
              _n(copy["client_seconds"], 1),
              _n(copy["client_rows_per_second"]), "", ""],
             *[[f"raw copy, client side, {label} (500 a transaction)", _n(copy["rows"]),
                _n(copy[f"client_{key}_seconds"], 1), _n(copy[f"client_{key}_rows_per_second"]),
                _pct(_ratio(r["events_per_second"], copy[f"client_{key}_rows_per_second"])), ""]
               for key, label in (("multirow", "one multi-row INSERT a batch"),
                                  ("copy", "COPY"))
               if f"client_{key}_seconds" in copy],
             ["raw copy, INSERT…SELECT", _n(copy["rows"]), _n(copy["in_db_seconds"], 1),
              _n(copy["in_db_rows_per_second"]), "", ""]])
    ver = p.get("verify")
    if ver:
        lines += ["### verify", ""]
        lines += _table(["", "events/s", "stafet as a share"], [
            ["stafet verify (events + chain, 3 SHA-256 an event)", _n(ver["events_per_second"]), ""],
            ["hashlib SHA-256 over the stored bytes, in memory", _n(ver["hashlib_events_per_second"]),
             _pct(ver["vs_hashlib"])],
            ["plain SQL read + SHA-256", _n(ver["read_and_hash_events_per_second"]),
             _pct(ver["vs_read_and_hash"])]])
        lines += [f"{ver['events']:,} events, {ver['bytes'] / 1e6:,.0f} MB of stored bytes.", ""]
    lag = p.get("lag")
    if lag:
        lat = lag["lag_ms"]
        how = "woken by NOTIFY" if backend == "postgres" else f"polling every {lag['poll_seconds']:g} s"
        lines += ["### Projection lag under sustained writes", "",
                  f"{lag['writers']} writers at full speed ({_n(lag['commands_per_second'])} commands/s, "
                  f"{_n(lag['events_per_second'])} events/s) and one `projections run` follower ({how}); "
                  "time from a command's commit to its last event's row in rm_events: "
                  f"p50 {_ms(lat['p50'])} ms, p95 {_ms(lat['p95'])} ms, p99 {_ms(lat['p99'])} ms, "
                  f"max {_ms(lat['max'])} ms "
                  f"({lat['n']:,} commands; not seen within 5 min: {lag['missing']}).", ""]
    return lines
