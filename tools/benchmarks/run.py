"""``make bench``: the data-layer figures of DESIGN.md section 4 on the ten-year clinic.

Each figure is measured the way the app does the work (a fresh ORM session per
user action, through the services) and reported beside a baseline measured in
the same run on the same file, because absolute times drift between runs.
Writes ``tools/benchmarks/latest.json`` and ``tools/benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ketalog.services.board import day_board
from ketalog.services.context import Actor
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.patients import search_patients
from ketalog.services.session.entries import record_vitals
from ketalog.services.session_detail import open_session
from ketalog.store.models import Patient, TreatmentSession, VitalSign
from tools.benchmarks.generate import BENCH_USER_ID, add_bench_account, generate

HERE = Path(__file__).parent
NURSE = Actor(username="bench", display_name="Bench Nurse, RN", role="nurse",
              user_id=BENCH_USER_ID, workstation="bench")


#: What the start-up rows measure (written under the table of RESULTS.md).
STARTUP_NOTE = (
    "Start-up rows (`tools/benchmarks/startup.py`), each run a fresh process:",
    "",
    "- `start to log-in page`: process spawned to the log-in page painted.",
    "- `sign-in to board`: Enter pressed in the password field to today's board painted "
    "(Argon2id password check, audit row committed, board query, paint). The bench presses "
    "Enter once the app signals it is ready, as a nurse who types for a second would.",
    "- `start to board` = `start to log-in page` + `sign-in to board` (per run): the app's own "
    "cost from start to the board, without the time a person spends typing. Compared with "
    "the bare stack (no log-in) measured in the same run.",
    "- `log-in page to ready`: the workspace (board page, lock page, documents, shortcuts) "
    "built behind the painted log-in page while the nurse types; no patient data is read "
    "before sign-in. Shown so nothing is hidden; not part of `start to board`.",
)


@dataclass
class Figure:
    """One row of latest.json."""

    name: str
    median_ms: float
    p95_ms: float
    n: int
    baseline: str | None
    baseline_median_ms: float | None
    baseline_p95_ms: float | None
    target: str
    meets_target: bool
    peak_rss_mb: float | None = None
    baseline_peak_rss_mb: float | None = None


def _times_ms(action: Callable[[int], object], n: int, warmup: int = 20) -> list[float]:
    for i in range(warmup):
        action(i)
    out = []
    for i in range(n):
        start = time.perf_counter_ns()
        action(i)
        out.append((time.perf_counter_ns() - start) / 1e6)
    return out


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _figure(name: str, times: list[float], baseline_name: str | None,
            baseline: list[float] | None, target: str,
            check: Callable[[float, float], bool]) -> Figure:
    median, p95 = statistics.median(times), _p95(times)
    return Figure(
        name=name, median_ms=round(median, 3), p95_ms=round(p95, 3), n=len(times),
        baseline=baseline_name,
        baseline_median_ms=round(statistics.median(baseline), 3) if baseline else None,
        baseline_p95_ms=round(_p95(baseline), 3) if baseline else None,
        target=target, meets_target=check(median, p95),
    )


def measure(path: Path, *, n: int, seed: int = 7) -> list[Figure]:
    """Run every data-layer figure against the generated database at ``path``."""
    rng = random.Random(seed)
    url = f"sqlite:///{path}"
    engine = open_database(url)
    factory = make_sessionmaker(engine)
    tz = ZoneInfo("UTC")
    now = datetime.now(UTC)
    with factory() as db:
        infusing = list(db.scalars(
            select(TreatmentSession.id).where(TreatmentSession.state == "infusing")))
        max_id = db.scalar(select(TreatmentSession.id).order_by(TreatmentSession.id.desc())
                           .limit(1)) or 1
        with_vitals = list(db.scalars(
            select(VitalSign.session_id).where(
                VitalSign.session_id.in_([rng.randint(1, max_id) for _ in range(4 * n)]))
            .distinct()))
    figures = []

    # --- save vital ------------------------------------------------------------------
    reading = {"systolic_mmhg": 128, "diastolic_mmhg": 80, "heart_rate_bpm": 74,
               "spo2_percent": 98, "resp_rate_per_min": 14}

    def save_vital(i: int) -> None:
        with factory() as db:
            record_vitals(db, NURSE, infusing[i % len(infusing)], reading)

    def bare_orm_insert(i: int) -> None:
        with factory() as db:
            db.add(VitalSign(session_id=infusing[i % len(infusing)], taken_at_utc=now,
                             systolic_mmhg=128, diastolic_mmhg=80, heart_rate_bpm=74,
                             spo2_percent=98, resp_rate_per_min=14))
            db.commit()

    raw = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON"):
        raw.execute(f"PRAGMA {pragma}")
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")

    def raw_insert(i: int) -> None:
        raw.execute("BEGIN IMMEDIATE")
        raw.execute(
            "INSERT INTO vital_signs (session_id, taken_at_utc, systolic_mmhg, diastolic_mmhg,"
            " heart_rate_bpm, spo2_percent, resp_rate_per_min, alert_codes, version, "
            "created_at_utc) VALUES (?,?,128,80,74,98,14,'',1,?)",
            (infusing[i % len(infusing)], stamp, stamp))
        raw.execute("COMMIT")

    save_times = _times_ms(save_vital, n)
    bare_times = _times_ms(bare_orm_insert, n)
    raw_times = _times_ms(raw_insert, n)
    raw.close()
    figures.append(_figure("save vital", save_times,
                           "bare ORM insert+commit, same pragmas", bare_times,
                           "p95 <= 5 ms", lambda m, p: p <= 5.0))
    figures.append(_figure("bare sqlite insert", raw_times, None, None,
                           "reference (raw sqlite3 insert+commit, same pragmas)",
                           lambda m, p: True))

    # --- open session ---------------------------------------------------------------------
    def open_one(i: int) -> None:
        with factory() as db:
            open_session(db, with_vitals[i % len(with_vitals)])

    def bare_vitals(i: int) -> None:
        with factory() as db:
            db.scalars(select(VitalSign).where(
                VitalSign.session_id == with_vitals[i % len(with_vitals)])).all()

    figures.append(_figure("open session", _times_ms(open_one, n),
                           "bare ORM load of one session's vitals", _times_ms(bare_vitals, n),
                           "median <= 10 ms", lambda m, p: m <= 10.0))

    # --- board query --------------------------------------------------------------------------
    today = now.date()
    days = [today - timedelta(days=rng.randint(0, 3650)) for _ in range(n)]
    days[::5] = [today] * len(days[::5])

    def board(i: int) -> None:
        with factory() as db:
            day_board(db, days[i % len(days)], tz, now=now)

    def bare_board(i: int) -> None:
        start = datetime.combine(days[i % len(days)], datetime.min.time(), tzinfo=UTC)
        with factory() as db:
            db.scalars(select(TreatmentSession).where(
                TreatmentSession.scheduled_at_utc >= start,
                TreatmentSession.scheduled_at_utc < start + timedelta(days=1))).all()

    figures.append(_figure("board query", _times_ms(board, n),
                           "bare ORM select of the day's session rows", _times_ms(bare_board, n),
                           "median <= 10 ms", lambda m, p: m <= 10.0))

    # --- patient search ------------------------------------------------------------------------
    with factory() as db:
        names = [f"{p.family_name} {p.given_name}" for p in db.scalars(
            select(Patient).where(Patient.id.in_([rng.randint(1, 50_000) for _ in range(60)])))]
    keystrokes = [name[:k] for name in names for k in range(1, min(len(name), 9) + 1)]
    rng.shuffle(keystrokes)

    def search(i: int) -> None:
        with factory() as db:
            search_patients(db, keystrokes[i % len(keystrokes)])

    def bare_search(i: int) -> None:
        prefix = keystrokes[i % len(keystrokes)].lower()
        with factory() as db:
            db.scalars(select(Patient).where(Patient.search_family >= prefix,
                                             Patient.search_family < prefix + "\uffff")
                       .limit(25)).all()

    figures.append(_figure("patient search", _times_ms(search, n),
                           "bare ORM prefix range select, LIMIT 25", _times_ms(bare_search, n),
                           "median <= 5 ms", lambda m, p: m <= 5.0))
    from tools.benchmarks.documents import measure_documents

    docs = measure_documents(factory, infusing[0], today, max(20, n // 10))
    bare_doc = docs["bare reportlab"]
    figures.append(_figure(
        "session summary pdf", docs["session summary pdf"],
        "bare reportlab document with a table and a line chart", bare_doc,
        "median <= 60 ms and <= 6x bare",
        lambda m, p: m <= 60.0 and m <= 6 * statistics.median(bare_doc)))
    figures.append(_figure(
        "day log pdf", docs["day log pdf"], None, None,
        f"median <= 250 ms ({int(docs['day log sessions'][0])} sessions)",
        lambda m, p: m <= 250.0))
    engine.dispose()
    figures += measure_process_figures(path, infusing[0], runs=max(5, min(15, n // 40)))
    return figures


def measure_process_figures(path: Path, session_id: int, *, runs: int) -> list[Figure]:
    """Start-up to the painted board and peak memory, each a fresh process."""
    from tools.benchmarks.startup import measure_bare_memory, measure_memory, measure_startup

    timings = measure_startup(path, runs=runs)
    app, bare, window = timings["start to board"], timings["bare stack"], timings["bare window"]
    figures = [
        _figure("start to board", app,
                "bare stack: PySide6 + ORM board query shown in a table", bare,
                "median <= 1.2x bare stack",
                lambda m, p: m <= 1.2 * statistics.median(bare)),
        _figure("bare window", window, None, None, "reference (bare PySide6 window)",
                lambda m, p: True),
        _figure("start to log-in page", timings["start to log-in page"], None, None,
                "reference (process start to the log-in page painted)",
                lambda m, p: True),
        _figure("sign-in to board", timings["sign-in to board"], None, None,
                "reference (Enter pressed to today's board painted: Argon2id check, "
                "audit row, board query, paint)",
                lambda m, p: True),
        _figure("log-in page to ready", timings["log-in page to ready"], None, None,
                "reference (workspace built while the nurse types; not in start to board)",
                lambda m, p: True),
    ]
    peak = [measure_memory(path, session_id) for _ in range(3)]
    bare_peak = measure_bare_memory(path)
    figures.append(Figure(
        name="memory", median_ms=0.0, p95_ms=0.0, n=len(peak),
        baseline="bare stack script", baseline_median_ms=None, baseline_p95_ms=None,
        target="peak RSS <= 150 MB", meets_target=max(peak) <= 150.0,
        peak_rss_mb=round(max(peak), 1), baseline_peak_rss_mb=round(bare_peak, 1),
    ))
    return figures


def write_results(figures: list[Figure], generated: dict[str, object]) -> None:
    """latest.json for tools, RESULTS.md for people."""
    keys = ("name", "median_ms", "p95_ms", "n", "baseline", "baseline_median_ms")
    rows = []
    for f in figures:
        row = {**{k: asdict(f)[k] for k in keys}, "baseline_p95_ms": f.baseline_p95_ms,
               "target": f.target, "meets_target": f.meets_target}
        if f.peak_rss_mb is not None:
            row.update(median_ms=None, p95_ms=None, peak_rss_mb=f.peak_rss_mb,
                       baseline_peak_rss_mb=f.baseline_peak_rss_mb)
        rows.append(row)
    (HERE / "latest.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`tools/benchmarks/run.py`); targets from DESIGN.md section 4.",
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}.",
        "",
        "Data set: " + ", ".join(f"{v:,} {k}" for k, v in generated["counts"].items())  # type: ignore[attr-defined]
        + f"; generated in {generated['seconds']:.0f} s.",
        "",
        "| figure | median ms | p95 ms | n | baseline (same run) | baseline median ms "
        "| baseline p95 ms | target | met |",
        "|---|---:|---:|---:|---|---:|---:|---|---|",
    ]
    for f in figures:
        if f.peak_rss_mb is not None:
            lines.append(f"| {f.name} | peak RSS {f.peak_rss_mb} MB | | {f.n} | {f.baseline} | "
                         f"peak RSS {f.baseline_peak_rss_mb} MB | | {f.target} | "
                         f"{'yes' if f.meets_target else 'NO'} |")
            continue
        lines.append(
            f"| {f.name} | {f.median_ms:.3f} | {f.p95_ms:.3f} | {f.n} | {f.baseline or '-'} | "
            f"{'' if f.baseline_median_ms is None else f'{f.baseline_median_ms:.3f}'} | "
            f"{'' if f.baseline_p95_ms is None else f'{f.baseline_p95_ms:.3f}'} | "
            f"{f.target} | {'yes' if f.meets_target else 'NO'} |")
    lines += ["", *STARTUP_NOTE]
    results = HERE / "RESULTS.md"
    # `make load` keeps its own section at the end of the file: carry it over
    kept = ""
    if results.exists():
        _before, marker, after = results.read_text(encoding="utf-8").partition(LOAD_SECTION)
        kept = f"\n{marker}{after}" if marker else ""
    results.write_text("\n".join(lines) + "\n" + kept, encoding="utf-8")


#: Where `make load` (tools/load) writes its figures in RESULTS.md.
LOAD_SECTION = "## Load test (issue 7)"


def main() -> int:
    """Generate the clinic (or reuse --database), measure, report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", type=Path, help="reuse this generated file")
    parser.add_argument("-n", type=int, default=500, help="repetitions per figure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.database or Path(tmp) / "ten-year-clinic.sqlite3"
        if args.database is None or not path.exists():
            print(f"Generating the ten-year clinic into {path} ...", flush=True)
            clinic = generate(path)
            generated: dict[str, object] = {"counts": clinic.counts, "seconds": clinic.seconds}
            print(f"  {clinic.counts} in {clinic.seconds:.1f} s", flush=True)
        else:
            generated = {"counts": {}, "seconds": 0.0}
            with sqlite3.connect(path) as conn:  # a file generated before log-in existed
                add_bench_account(conn, datetime.now(UTC))
        figures = measure(path, n=args.n)
    write_results(figures, generated)
    width = max(len(f.name) for f in figures)
    for f in figures:
        if f.peak_rss_mb is not None:
            print(f"{f.name:<{width}}  peak RSS {f.peak_rss_mb} MB (bare stack "
                  f"{f.baseline_peak_rss_mb} MB)  [{f.target}: "
                  f"{'met' if f.meets_target else 'NOT MET'}]")
            continue
        base = (f"  (baseline {f.baseline_median_ms:.3f} / {f.baseline_p95_ms:.3f}: {f.baseline})"
                if f.baseline and f.baseline_median_ms is not None else "")
        print(f"{f.name:<{width}}  median {f.median_ms:8.3f} ms  p95 {f.p95_ms:8.3f} ms  "
              f"[{f.target}: {'met' if f.meets_target else 'NOT MET'}]{base}")
    return 0 if all(f.meets_target for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())
