"""Generate the ten-year clinic network of DESIGN.md section 4 into a SQLite file.

50,000 registered patients (most seen only for a consultation), 100,000
sessions and about 1.5 million vital sign readings, with dose orders, events,
scores, notes, signatures and a hash-chained audit trail. The schema comes from
the real migrations; rows are bulk-inserted with sqlite3 in the exact storage
format the ORM writes, so the app reads them like its own. Deterministic for a
given seed.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ketalog.services.database import open_database
from ketalog.services.passwords import hash_password
from ketalog.services.text import search_key
from ketalog.store.audit_references import backfill_statements, start_statements
from ketalog.store.models import audit_referenced_tables

_ZERO = timedelta(0)
PATIENTS = 50_000
SESSIONS = 100_000
CHAIRS = ("Chair 1", "Chair 2", "Chair 3", "Chair 4")
FAMILY = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
          "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson",
          "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
          "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
          "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green",
          "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter",
          "Roberts", "Ñúñez", "Ångström", "Müller", "Dubois", "O'Brien", "Kowalski", "Иванов",
          "Okonkwo", "Nakamura", "Schmidt", "Rossi", "Novak", "Horvat", "Jensen", "Larsen",
          "Bianchi", "Costa", "Silva", "Santos", "Pereira", "Fischer", "Weber", "Meyer")
GIVEN = ("James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda",
         "David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica",
         "Thomas", "Sarah", "Charles", "Karen", "José", "Zoë", "Дмитрий", "Siobhán", "Hélène",
         "Jürgen", "Lucía", "Thảo", "Chidi", "Agnieszka", "Avery", "Jordan", "Morgan", "Riley",
         "Quinn", "Harper", "Rowan", "Emerson", "Sawyer", "Reese", "Dakota", "Skyler", "Kai",
         "Noor", "Camila", "Elliot", "Finley", "Min-jun", "Aiko", "Mateo", "Sofia", "Luca")

#: The nurse `make bench` signs in as, through the app's real log-in page.
BENCH_USER_ID = 13
BENCH_USERNAME = "bench"
BENCH_PASSWORD = "bench-nurse-pass"


def ts(value: datetime) -> str:
    """The text SQLAlchemy's SQLite DateTime stores (naive UTC, microseconds).

    Every instant here is built in UTC, so the first 26 characters of the ISO
    form are exactly that text (and several times faster than strftime).
    """
    assert value.utcoffset() == _ZERO
    return value.isoformat(" ", "microseconds")[:26]


@dataclass
class GeneratedClinic:
    """Where the generated data is and a few ids the benchmarks need."""

    path: Path
    today: date
    today_session_ids: list[int]
    infusing_session_ids: list[int]
    seconds: float
    counts: dict[str, int]


class _Audit:
    """Builds hash-chained audit rows exactly as services.audit does."""

    def __init__(self, last_hash: str | None) -> None:
        from ketalog.services.audit import GENESIS_HASH

        self.prev = last_hash or GENESIS_HASH  # continue after the set-up rows
        self.rows: list[tuple[object, ...]] = []

    def add(self, at: datetime, user_id: int, username: str, patient_id: int, table: str,
            row_id: int, new: str) -> None:
        data = {"occurred_at_utc": at.isoformat(timespec="microseconds"), "user_id": user_id,
                "username": username, "workstation": "chair-pc", "patient_id": patient_id,
                "action": "create", "table_name": table, "row_id": row_id, "field": None,
                "old_value": None, "new_value": new}
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")
        row_hash = hashlib.sha256(self.prev.encode("ascii") + canonical).hexdigest()
        self.rows.append((ts(at), user_id, username, "chair-pc", patient_id, "create", table,
                          row_id, None, None, new, self.prev, row_hash))
        self.prev = row_hash


def add_bench_account(conn: sqlite3.Connection, now: datetime) -> None:
    """The benchmark's own nurse account with a known password (kept if already there)."""
    conn.execute(
        "INSERT OR IGNORE INTO users (id, username, full_name, credentials, role, password_hash, "
        "is_active, failed_login_count, created_at_utc, version) "
        "VALUES (?, ?, 'Bench Nurse', 'RN', 'nurse', ?, 1, 0, ?, 1)",
        (BENCH_USER_ID, BENCH_USERNAME, hash_password(BENCH_PASSWORD), ts(now)))


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def generate(  # noqa: C901 - the scripted benchmark clinic, read top to bottom
        path: Path, *, now: datetime | None = None, seed: int = 10,
        patients: int = PATIENTS, sessions: int = SESSIONS) -> GeneratedClinic:
    """Create the schema with the app's migrations, then bulk-insert ten years of work."""
    started = time.perf_counter()
    now = (now or datetime.now(UTC)).astimezone(UTC)
    today = now.date()
    rng = random.Random(seed)
    if path.exists():
        path.unlink()
    engine = open_database(f"sqlite:///{path}")
    engine.dispose()
    conn = sqlite3.connect(path)
    # A bulk load: no journal, a large cache, and indexes built once at the end.
    for pragma in ("journal_mode = OFF", "synchronous = OFF", "foreign_keys = OFF",
                   "cache_size = -262144", "temp_store = MEMORY"):
        conn.execute(f"PRAGMA {pragma}")
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetchall()
    for name, _sql in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    # The signed-session guards look signatures up by session: without the index
    # each insert would scan, so they are set aside too and restored at the end.
    guards = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
        "AND name LIKE 'ketalog_guard_%'").fetchall()
    for name, _sql in guards:
        conn.execute(f'DROP TRIGGER "{name}"')
    protocol_ids = dict(conn.execute("SELECT code, id FROM protocols"))
    iv = protocol_ids["iv-depression-0.5"]
    conn.execute("INSERT INTO settings (key, value_json, updated_at_utc, version) "
                 "VALUES ('clinic_timezone', '\"UTC\"', ?, 1)", (ts(now),))
    staff = [(i, f"staff{i}", "nurse" if i % 4 else "physician") for i in range(1, 13)]
    conn.executemany(
        "INSERT INTO users (id, username, full_name, credentials, role, password_hash, "
        "is_active, failed_login_count, created_at_utc, version) VALUES (?,?,?,?,?,?,1,0,?,1)",
        [(i, name, f"Staff Member {i}", "RN" if role == "nurse" else "MD", role, "!",
          ts(now - timedelta(days=3700))) for i, name, role in staff],
    )
    add_bench_account(conn, now)
    nurses = [s for s in staff if s[2] == "nurse"]
    physicians = [s for s in staff if s[2] == "physician"]
    audit = _Audit(conn.execute(
        "SELECT row_hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()[0])

    patient_rows = []
    for pid in range(1, patients + 1):
        family, given = rng.choice(FAMILY), rng.choice(GIVEN)
        birth = date(1935 + rng.randint(0, 70), rng.randint(1, 12), rng.randint(1, 28))
        created = now - timedelta(days=rng.randint(1, 3650))
        patient_rows.append((pid, f"K{pid:07d}", family, given, birth.isoformat(),
                             rng.choice(("female", "male")), None,
                             search_key(f"{family} {given}"), search_key(f"{given} {family}"),
                             1, ts(created)))
    conn.executemany(
        "INSERT INTO patients (id, mrn, family_name, given_name, birth_date, sex, phone, "
        "search_family, search_given, version, created_at_utc) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        patient_rows)

    # Sessions: courses of 4-10 sessions two to three days apart, spread over ten years.
    first_day = today - timedelta(days=3650)
    course_rows, session_rows, weight_rows = [], [], []
    session_id = course_id = 0
    patient_cycle = list(range(1, int(patients * 0.3) + 1))  # ~30 % ever have infusions
    today_courses = 40  # courses planned so that one session falls on today
    while session_id < sessions:
        course_id += 1
        pid = patient_cycle[course_id % len(patient_cycle)]
        count = min(rng.choice((4, 5, 6, 6, 6, 6, 7, 8, 10)), sessions - session_id)
        if course_id <= today_courses:
            start_day = today - timedelta(days=2 * rng.randint(0, min(3, count - 1)))
        else:
            start_day = first_day + timedelta(days=rng.randint(0, 3650))
        weight = rng.randint(500, 1300) / 10
        weight_rows.append((pid, f"{weight:.2f}".rstrip("0").rstrip("."),
                            start_day.isoformat(), "actual", None, ts(now)))
        course_rows.append((course_id, pid, iv, "treatment-resistant depression", 6,
                            "induction", "active", None, start_day.isoformat(), 1, ts(now)))
        day = start_day
        for n in range(1, count + 1):
            session_id += 1
            hour = 8 + rng.randint(0, 8)
            at = datetime(day.year, day.month, day.day, hour, rng.choice((0, 15, 30, 45)),
                          tzinfo=UTC)
            session_rows.append((session_id, pid, course_id, day, at, n))
            day += timedelta(days=2 if course_id <= today_courses else rng.choice((2, 3, 3, 4)))
    # The generated history predates screenings: screening_required is false (0).
    conn.executemany(
        "INSERT INTO courses (id, patient_id, protocol_id, indication, planned_infusions, phase,"
        " status, status_reason, started_on, version, created_at_utc, screening_required)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,0)", course_rows)
    conn.executemany(
        "INSERT INTO patient_weights (patient_id, weight_kg, measured_on, basis, recorded_by_id,"
        " created_at_utc) VALUES (?,?,?,?,?,?)", weight_rows)

    # Today's board: 40 sessions in every state, some still running.
    today_states = (["signed"] * 6 + ["discharged"] * 5 + ["recovering"] * 5 + ["infusing"] * 6
                    + ["paused"] * 2 + ["checked_in"] * 4 + ["scheduled"] * 9 + ["cancelled"] * 2
                    + ["stopped_early"])
    today_ids: list[int] = []
    infusing_ids: list[int] = []
    ts_rows, vital_rows, dose_rows, verify_rows, event_rows = [], [], [], [], []
    score_rows, note_rows, signature_rows = [], [], []
    vital_id = dose_id = score_id = note_id = 0
    today_slot = 0
    for sid, pid, cid, day, at, n in session_rows:
        if day > today:
            state = "scheduled"
        elif day == today:
            state = today_states[today_slot % len(today_states)]
            at = now - timedelta(minutes=20 + 9 * (len(today_states) - today_slot % 40))
            if state == "scheduled":
                at = now + timedelta(minutes=30 + 10 * today_slot)
                if at.date() != today:
                    at = now
            today_slot += 1
            today_ids.append(sid)
        else:
            state = "cancelled" if rng.random() < 0.03 else "signed"
        chair = CHAIRS[sid % len(CHAIRS)]
        checked = 0 if state in ("scheduled", "cancelled") else 1
        nurse = nurses[sid % len(nurses)]
        dose_start = at + timedelta(minutes=15)
        dose_end = dose_start + timedelta(minutes=40)
        dose_given = state not in ("scheduled", "checked_in", "cancelled")
        ended = state in ("recovering", "discharged", "signed", "stopped_early")
        discharged = state in ("discharged", "signed")
        if state == "infusing":
            dose_start = now - timedelta(minutes=12 + sid % 20)
            infusing_ids.append(sid)
        ts_rows.append((
            sid, pid, cid, iv, chair, ts(at), n, state,
            "Patient unwell" if state == "cancelled" else None,
            ts(at + timedelta(minutes=5)) if state not in ("scheduled", "cancelled") else None,
            ts(dose_start) if dose_given else None, ts(dose_end) if ended else None,
            ts(dose_end + timedelta(minutes=70)) if discharged else None,
            ts(dose_end + timedelta(minutes=75)) if discharged else None,
            "spouse" if checked else None, 1 if discharged else 0, None, None,
            ts(at), 1, ts(at - timedelta(days=3)), *([checked] * 3),
        ))
        if state in ("scheduled", "cancelled"):
            continue
        audit.add(at, nurse[0], nurse[1], pid, "treatment_sessions", sid, "checked_in")
        base_sbp, base_dbp = rng.randint(108, 138), rng.randint(66, 88)
        base_hr = rng.randint(58, 90)
        times = [at + timedelta(minutes=8)]
        if dose_given:
            times += [dose_start + timedelta(minutes=10 * k) for k in range(1, 5)]
        if ended:
            times += [dose_end + timedelta(minutes=15 * k) for k in range(1, rng.randint(10, 13))]
        times = [t for t in times if t <= now]
        for k, taken in enumerate(times):
            vital_id += 1
            rise = 14 if 0 < k < 5 else 4
            sbp = base_sbp + rise + rng.randint(-5, 5)
            dbp = base_dbp + rise // 2 + rng.randint(-4, 4)
            hr = base_hr + rng.randint(-5, 8)
            spo2 = rng.choice((95, 96, 97, 98, 98, 99))
            rr = rng.randint(11, 19)
            alert = "sbp_high" if sbp > 180 else ""
            vital_rows.append((vital_id, sid, ts(taken), sbp, dbp, hr, spo2, rr, None, None, None,
                               alert, None, nurse[0], 1, ts(taken), None, None))
            audit.add(taken, nurse[0], nurse[1], pid, "vital_signs", vital_id,
                      f'{{"diastolic_mmhg": {dbp}, "heart_rate_bpm": {hr}, '
                      f'"spo2_percent": {spo2}, "systolic_mmhg": {sbp}}}')
        weight = "80"
        dose_id += 1
        dose_rows.append((dose_id, sid, "ketamine (racemic)", "iv", "weight", "0.5", None, None,
                          weight, day.isoformat(), "actual", "10", "0.9% NaCl", "100", 40, "40",
                          "4", "150", "0.5 mg/kg x 80 kg = 40.0 mg\n40.0 mg / 10 mg/mL = 4.0 mL",
                          f"KT{sid:05d}", "within", None, None, nurse[0], "Staff Member",
                          ts(at + timedelta(minutes=9)), None, 1, ts(at + timedelta(minutes=9))))
        verify_rows.append((dose_id, nurses[(sid + 1) % len(nurses)][0], "Second Nurse",
                            ts(at + timedelta(minutes=12)), ts(at + timedelta(minutes=12))))
        if dose_given:
            event_rows.append((sid, "start", ts(dose_start), "150", None, nurse[0],
                               ts(dose_start)))
        if ended:
            event_rows.append((sid, "stop", ts(dose_end), None, None, nurse[0], ts(dose_end)))
            for scale, items, total in (("moaas", "[4]", 4), ("cadss6", "[1, 1, 0, 2, 1, 0]", 5),
                                        ("aldrete", "[2, 2, 2, 2, 2]", 10)):
                score_id += 1
                score_rows.append((score_id, pid, sid, scale, items, total, None, ts(dose_end),
                                   nurse[0], 1, ts(dose_end), None, None))
            note_id += 1
            note_rows.append((note_id, sid, "recovery", "Tolerated well; oriented; escort present.",
                              nurse[0], "Staff Member", ts(dose_end + timedelta(minutes=60)), 1,
                              ts(dose_end + timedelta(minutes=60)), None, None))
        if state == "signed":
            doctor = physicians[sid % len(physicians)]
            signature_rows.append((sid, doctor[0], "physician_signature", "Reviewed and approved",
                                   ts(dose_end + timedelta(hours=3)), "0" * 64,
                                   ts(dose_end + timedelta(hours=3))))
    conn.executemany(
        "INSERT INTO treatment_sessions (id, patient_id, course_id, protocol_id, chair, "
        "scheduled_at_utc, sequence_number, state, state_reason, checked_in_at_utc, "
        "dose_started_at_utc, dose_ended_at_utc, ready_to_leave_at_utc, discharged_at_utc, "
        "escort_name, instructions_given, predose_bp_ack_by_id, predose_bp_ack_at_utc, "
        "updated_at_utc, version, created_at_utc, identity_confirmed, consent_on_file, "
        "npo_confirmed) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        ts_rows)
    conn.executemany(
        "INSERT INTO vital_signs (id, session_id, taken_at_utc, systolic_mmhg, diastolic_mmhg, "
        "heart_rate_bpm, spo2_percent, resp_rate_per_min, temperature_c, etco2_mmhg, pain_score,"
        " alert_codes, action_note, recorded_by_id, version, created_at_utc, voided_at_utc, "
        "void_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", vital_rows)
    conn.executemany(
        "INSERT INTO dose_orders (id, session_id, drug, route, dosing_mode, dose_mg_per_kg, "
        "rate_mg_per_kg_per_h, device_count, weight_kg, weight_measured_on, weight_basis, "
        "concentration_mg_per_ml, diluent, bag_volume_ml, duration_min, total_mg, "
        "drug_volume_ml, rate_ml_per_h, working, lot_number, limit_level, override_reason, "
        "override_by_id, prepared_by_id, prepared_by_name, ordered_at_utc, superseded_at_utc, "
        "version, created_at_utc) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
        "?,?)", dose_rows)
    conn.executemany(
        "INSERT INTO dose_verifications (dose_order_id, verifier_id, verifier_name, "
        "verified_at_utc, created_at_utc) VALUES (?,?,?,?,?)", verify_rows)
    conn.executemany(
        "INSERT INTO infusion_events (session_id, kind, occurred_at_utc, rate_ml_per_h, reason,"
        " recorded_by_id, created_at_utc) VALUES (?,?,?,?,?,?,?)", event_rows)
    conn.executemany(
        "INSERT INTO scale_scores (id, patient_id, session_id, scale, item_scores_json, total, "
        "band, taken_at_utc, recorded_by_id, version, created_at_utc, voided_at_utc, "
        "void_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", score_rows)
    conn.executemany(
        "INSERT INTO notes (id, session_id, kind, text, author_id, author_name, written_at_utc,"
        " version, created_at_utc, voided_at_utc, void_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        note_rows)
    conn.executemany(
        "INSERT INTO signatures (session_id, signer_id, kind, meaning, signed_at_utc, "
        "content_sha256, created_at_utc) VALUES (?,?,?,?,?,?,?)", signature_rows)
    conn.executemany(
        "INSERT INTO audit_log (occurred_at_utc, user_id, username, workstation, patient_id, "
        "action, table_name, row_id, field, old_value, new_value, prev_hash, row_hash) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", audit.rows)
    # Ten years of history written before audit references (schema 0013): each row gets
    # the audit row naming it as the migration's backfill would, and references start after.
    tables = audit_referenced_tables()
    conn.execute("DELETE FROM audit_reference_starts")
    for statement in backfill_statements(tables) + start_statements(tables):
        conn.execute(statement)
    conn.commit()
    for _name, sql in (*indexes, *guards):
        conn.execute(sql)
    conn.execute("ANALYZE")
    conn.commit()
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    counts = {"patients": len(patient_rows), "courses": len(course_rows),
              "sessions": len(ts_rows), "vitals": len(vital_rows),
              "audit_rows": len(audit.rows)}
    return GeneratedClinic(path, today, today_ids, infusing_ids, time.perf_counter() - started,
                           counts)


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/ketalog-bench.sqlite3")
    clinic = generate(target)
    print(f"{clinic.counts} in {clinic.seconds:.1f} s -> {target}")
