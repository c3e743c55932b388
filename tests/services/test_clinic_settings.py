"""Clinic settings an administrator sets: validated in the domain, audited, read by documents."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from ketalog.domain.clinic_settings import CLINIC_SETTINGS, ClinicSettings, clinic_setting
from ketalog.domain.errors import ValidationError
from ketalog.services.booking import closed_days
from ketalog.services.clinic_settings import change_clinic_setting, clinic_settings
from ketalog.services.documents import clinic
from ketalog.services.errors import PermissionDenied
from ketalog.services.settings import (
    clinic_chairs,
    clinic_timezone,
    idle_lock_minutes,
    read_clinic_settings,
)
from ketalog.store.models import AuditEntry, Setting
from tests.conftest import FakeClock
from tests.staff import ADMIN, NURSE


def _audit(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_a_new_clinic_lists_every_setting_with_its_default(db: Session) -> None:
    rows = {r.key: r for r in clinic_settings(db, ADMIN)}
    assert list(rows) == [s.key for s in CLINIC_SETTINGS]
    assert rows["clinic_name"].text == "ketalog clinic" and not rows["clinic_name"].stored
    assert rows["chairs"].text == "Chair 1, Chair 2, Chair 3"
    assert rows["closed_days"].text == "Sat, Sun"


def test_each_change_is_audited_with_old_and_new_and_read_where_used(
        db: Session, clock: FakeClock) -> None:
    change_clinic_setting(db, ADMIN, "clinic_name", "  Riverside Ketamine Clinic ", clock=clock)
    change_clinic_setting(db, ADMIN, "clinic_timezone", "America/Chicago", clock=clock)
    change_clinic_setting(db, ADMIN, "chairs", "Recliner A, Recliner B", clock=clock)
    change_clinic_setting(db, ADMIN, "closed_days", "sun; 2026-12-25", clock=clock)
    change_clinic_setting(db, ADMIN, "idle_lock_minutes", "5", clock=clock)
    assert clinic(db).name == "Riverside Ketamine Clinic"
    assert clinic_timezone(db).key == "America/Chicago"
    assert clinic_chairs(db) == ["Recliner A", "Recliner B"]
    closed = closed_days(db)
    assert closed.weekdays == {6} and len(closed.dates) == 1
    assert idle_lock_minutes(db) == 5
    row = db.scalars(select(AuditEntry).where(AuditEntry.field == "clinic_name")).one()
    assert row.old_value is None and row.new_value == "Riverside Ketamine Clinic"
    change_clinic_setting(db, ADMIN, "clinic_name", "Riverside Clinic", clock=clock)
    last = db.scalars(select(AuditEntry).where(AuditEntry.field == "clinic_name")
                      .order_by(AuditEntry.id.desc())).first()
    assert last is not None and (last.old_value, last.new_value) == (
        "Riverside Ketamine Clinic", "Riverside Clinic")


def test_the_settings_are_read_together_in_one_query(db: Session, clock: FakeClock,
                                                    engine: Engine) -> None:
    # a new clinic (the fixture sets only its zone): every other setting's default
    assert read_clinic_settings(db) == ClinicSettings(timezone=clinic_timezone(db))
    for key, text in (("clinic_name", "Riverside Clinic"), ("clinic_address", "1 River Rd"),
                      ("clinic_phone", "555 0100"), ("clinic_timezone", "America/Chicago"),
                      ("chairs", "Recliner A, Recliner B"), ("idle_lock_minutes", "5"),
                      ("document_footer", "Confidential"), ("weight_change_percent", "15")):
        change_clinic_setting(db, ADMIN, key, text, clock=clock)
    statements: list[str] = []
    listen = event.listens_for(engine, "before_cursor_execute")
    counted = listen(lambda *args: statements.append(args[2]))
    try:
        read = read_clinic_settings(db)
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    assert len([sql for sql in statements if "FROM settings" in sql]) == 1
    assert read == ClinicSettings(
        name="Riverside Clinic", address="1 River Rd", phone="555 0100",
        timezone=ZoneInfo("America/Chicago"), chairs=("Recliner A", "Recliner B"),
        idle_lock_minutes=5, document_footer="Confidential", weight_change_percent=15)
    assert read.zone.key == "America/Chicago" and read.name == clinic(db).name


def test_the_same_value_again_writes_nothing(db: Session, clock: FakeClock) -> None:
    assert change_clinic_setting(db, ADMIN, "clinic_phone", "555 0100", clock=clock)
    before = _audit(db)
    assert not change_clinic_setting(db, ADMIN, "clinic_phone", "555 0100 ", clock=clock)
    assert _audit(db) == before


@pytest.mark.parametrize(("key", "text", "message"), [
    ("clinic_timezone", "Mars/Olympus", "is not a time zone name"),
    ("clinic_timezone", "", "Give the clinic's time zone"),
    ("clinic_name", "", "cannot be empty"),
    ("clinic_name", "x" * 121, "at most 120 characters"),
    ("chairs", " , ", "at least one chair"),
    ("chairs", "Chair 1, chair 1", "listed twice"),
    ("closed_days", "Mon, Tue, Wed, Thu, Fri, Sat, Sun", "open on at least one weekday"),
    ("closed_days", "Christmas", "neither a weekday"),
    ("idle_lock_minutes", "0", "from 1 to 240"),
    ("idle_lock_minutes", "ten", "from 1 to 240"),
    ("clinic_logo_path", "/tmp/logo.gif", "PNG or JPEG"),
    ("clinic_logo_path", "/nonexistent/logo.png", "There is no file"),
    ("no_such_setting", "1", "There is no clinic setting"),
    ("record_retention_years", "1", "at least 2"),
    ("record_retention_years", "two", "whole years from 2 to 50"),
    ("stock_count_roles", "janitor", "'janitor' is not a role"),
    ("stock_resolve_roles", " , ", "at least one role"),
])
def test_bad_values_are_refused_with_a_specific_message_and_change_nothing(
        db: Session, clock: FakeClock, key: str, text: str, message: str) -> None:
    before = (_audit(db), db.scalar(select(func.count()).select_from(Setting)))
    with pytest.raises(ValidationError, match=message):
        change_clinic_setting(db, ADMIN, key, text, clock=clock)
    db.rollback()
    assert (_audit(db), db.scalar(select(func.count()).select_from(Setting))) == before


def test_a_logo_file_is_stored_by_its_full_path(db: Session, clock: FakeClock,
                                                tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n")
    change_clinic_setting(db, ADMIN, "clinic_logo_path", str(logo), clock=clock)
    assert {r.key: r.text for r in clinic_settings(db, ADMIN)}["clinic_logo_path"] == str(logo)


def test_the_logo_prints_on_a_workstation_that_never_had_the_file(
        db: Session, clock: FakeClock, tmp_path: Path) -> None:
    """Several chairs share one PostgreSQL database: the file was on one laptop only."""
    picture = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    logo = tmp_path / "logo.png"
    logo.write_bytes(picture)
    change_clinic_setting(db, ADMIN, "clinic_logo_path", str(logo), clock=clock)
    logo.unlink()  # the other workstation: no such file there
    assert clinic(db).logo == picture
    # the audit keeps the file name and the picture's digest, not a megabyte of base64
    audit = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(2)).all()
    assert all(len(row.new_value or "") < 400 for row in audit)


def test_clearing_the_logo_clears_the_stored_picture(db: Session, clock: FakeClock,
                                                     tmp_path: Path) -> None:
    logo = tmp_path / "logo.jpg"
    logo.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 16)
    change_clinic_setting(db, ADMIN, "clinic_logo_path", str(logo), clock=clock)
    change_clinic_setting(db, ADMIN, "clinic_logo_path", "", clock=clock)
    assert clinic(db).logo is None


def test_a_file_that_is_not_a_picture_is_refused_whatever_its_name(
        db: Session, clock: FakeClock, tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_text("not a picture")
    before = _audit(db)
    with pytest.raises(ValidationError, match="not a PNG or JPEG picture"):
        change_clinic_setting(db, ADMIN, "clinic_logo_path", str(logo), clock=clock)
    db.rollback()
    assert _audit(db) == before and clinic(db).logo is None


def test_only_administrators_change_settings(db: Session, clock: FakeClock) -> None:
    with pytest.raises(PermissionDenied):
        change_clinic_setting(db, NURSE, "clinic_name", "Nurse's clinic", clock=clock)
    with pytest.raises(PermissionDenied):
        clinic_settings(db, NURSE)


@given(st.text(max_size=300))
@example("²")  # isdigit() but not int(): a key of its own on French keyboards
@example("¹⁵")
def test_any_text_is_a_value_or_a_refusal_naming_the_setting(text: str) -> None:
    for setting in CLINIC_SETTINGS:
        try:
            value = setting.parse(text)
        except ValidationError as exc:
            assert [p.field for p in exc.problems] == [setting.key]
            continue
        assert clinic_setting(setting.key).parse(setting.show(value)) == value
