"""Log-in, throttling, lock-out, passwords and the role rules the services enforce."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.errors import ValidationError
from ketalog.domain.session_state import SessionAction
from ketalog.services import accounts
from ketalog.services.accounts import LoginRefused, authenticate
from ketalog.services.context import SYSTEM, Actor
from ketalog.services.errors import PermissionDenied
from ketalog.services.patients import register_patient
from ketalog.services.pdf import record_document
from ketalog.services.session.entries import record_session_view, record_vitals
from ketalog.services.session.state import acknowledge_predose_bp, change_state
from ketalog.services.settings import get_setting, set_setting
from ketalog.services.users import create_user
from ketalog.store.models import AuditEntry, User
from tests.conftest import FakeClock
from tests.play import book
from tests.staff import ADMIN, NURSE, PHYSICIAN, password_of, prove

PASSPHRASE_64 = "Ñandú über 東京 — ein sehr langes Passwort, ça va? ☕ κλειδί 🔑 ok!!"


def _actions(db: Session) -> list[str]:
    return list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def _user(db: Session, username: str) -> User:
    user = db.scalar(select(User).where(User.username == username)
                     .execution_options(populate_existing=True))
    assert user is not None
    return user


def test_log_in_with_the_right_password_is_audited(db: Session, clock: FakeClock) -> None:
    user = authenticate(db, "NORA ", password_of("nora"), workstation="chair-1", clock=clock)
    assert (user.username, user.full_name, user.role) == ("nora", "Nora Reyes", "nurse")
    assert user.as_actor("chair-1").display_name == "Nora Reyes, RN"
    row = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert row is not None
    assert (row.action, row.username, row.workstation) == ("login", "nora", "chair-1")


def test_wrong_password_and_unknown_user_get_the_same_words(db: Session, clock: FakeClock) -> None:
    with pytest.raises(LoginRefused) as wrong:
        authenticate(db, "nora", "not her password", clock=clock)
    with pytest.raises(LoginRefused) as unknown:
        authenticate(db, "nobody", "whatever123", clock=clock)
    assert str(wrong.value) == str(unknown.value) == "The user name or password is wrong."
    assert _user(db, "nora").failed_login_count == 1
    assert _actions(db).count("login_failed") == 2


def test_a_name_matching_no_account_is_stored_as_unknown_user(
    db: Session, clock: FakeClock
) -> None:
    """The typed name may be a password typed into the wrong box: it never reaches the trail."""
    secret = "Nora-Secret-2026"
    for typed in (secret, "  " + secret.upper() + " ", "120/80 72"):
        with pytest.raises(LoginRefused, match="user name or password is wrong"):
            authenticate(db, typed, "whatever", workstation="chair-1", purpose="login",
                         clock=clock)
    with pytest.raises(LoginRefused):
        authenticate(db, secret, "whatever", purpose="verify_dose", clock=clock)
    rows = db.scalars(select(AuditEntry).where(AuditEntry.action == "login_failed")
                      .order_by(AuditEntry.id)).all()
    assert [(r.username, r.user_id, r.field, r.new_value) for r in rows] == [
        ("unknown user", None, "login", "unknown user name")] * 3 + [
        ("unknown user", None, "verify_dose", "unknown user name")]
    assert rows[0].workstation == "chair-1"
    every_value = " ".join(str(v) for r in db.scalars(select(AuditEntry))
                           for v in (r.username, r.field, r.old_value, r.new_value))
    assert secret.lower() not in every_value.lower() and "120/80" not in every_value
    # a real account's name, however typed, is still that account (throttling and lock-out)
    with pytest.raises(LoginRefused):
        authenticate(db, " NORA", "wrong password", clock=clock)
    last = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert last is not None and (last.username, last.user_id) == ("nora", 1)
    assert _user(db, "nora").failed_login_count == 1


def test_failed_log_ins_are_throttled(db: Session, clock: FakeClock) -> None:
    for _ in range(3):
        with pytest.raises(LoginRefused, match="wrong"):
            authenticate(db, "nora", "wrong password", clock=clock)
    # the right password straight away is not even checked
    with pytest.raises(LoginRefused, match=r"wait 1 seconds"):
        authenticate(db, "nora", password_of("nora"), clock=clock)
    clock.advance(2 / 60)
    assert authenticate(db, "nora", password_of("nora"), clock=clock).username == "nora"
    assert _user(db, "nora").failed_login_count == 0


def test_the_eleventh_log_in_is_refused_even_with_the_right_password(
    db: Session, clock: FakeClock
) -> None:
    for attempt in range(1, 11):
        clock.advance(1)  # past any throttle delay
        with pytest.raises(LoginRefused) as refused:
            authenticate(db, "sam", f"wrong {attempt}", clock=clock)
    assert "now locked" in str(refused.value)
    clock.advance(60)
    with pytest.raises(LoginRefused, match="locked after 10 failed log-ins"):
        authenticate(db, "sam", password_of("sam"), clock=clock)
    assert _user(db, "sam").locked_at_utc is not None
    assert "account_locked" in _actions(db)
    # a locked account's open screens can't act either
    from tests.staff import NURSE2

    with pytest.raises(PermissionDenied, match="locked"):
        register_patient(db, NURSE2, family_name="A", given_name="B",
                         birth_date=date(1990, 1, 1), clock=clock)
    with pytest.raises(PermissionDenied, match="administrator"):
        accounts.unlock_account(db, NURSE, "sam", clock=clock)
    accounts.unlock_account(db, ADMIN, "sam", clock=clock)
    assert authenticate(db, "sam", password_of("sam"), clock=clock).username == "sam"
    assert "account_unlocked" in _actions(db)


def test_a_64_character_unicode_passphrase_works(db: Session, clock: FakeClock) -> None:
    assert len(PASSPHRASE_64) == 64
    create_user(db, ADMIN, username="zoe", full_name="Zoë Ångström", role="nurse",
                password=PASSPHRASE_64, credentials="RN", clock=clock)
    assert authenticate(db, "zoe", PASSPHRASE_64, clock=clock).full_name == "Zoë Ångström"
    clock.advance(1)
    with pytest.raises(LoginRefused):
        authenticate(db, "zoe", PASSPHRASE_64[:-1], clock=clock)  # never truncated


@pytest.mark.parametrize(("password", "message"), [
    ("short1!", "at least 8"),
    ("password1", "too common"),
    ("x" * 257, "at most 256"),
])
def test_password_rules(db: Session, clock: FakeClock, password: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        create_user(db, ADMIN, username="new", full_name="New Person", role="nurse",
                    password=password, clock=clock)
    assert _user(db, "nora") and db.scalar(select(User).where(User.username == "new")) is None


def test_role_rules_hold_in_the_services(db: Session, clock: FakeClock) -> None:
    sid = book(db, clock, indication="PTSD")
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    with pytest.raises(PermissionDenied, match="Only a nurse or a physician can record"):
        record_vitals(db, ADMIN, sid, {"heart_rate_bpm": 70}, clock=clock)
    with pytest.raises(PermissionDenied, match="Only a physician can acknowledge"):
        acknowledge_predose_bp(db, NURSE, sid, clock=clock,
                               physician=prove(db, "sam", "acknowledge_bp", clock))
    # the role an Actor claims counts for nothing: the stored account decides
    forged = Actor(username="nora", display_name="Dr Nora", role="physician", user_id=1)
    with pytest.raises(PermissionDenied, match=r"Nora Reyes \(nora\) is a nurse"):
        acknowledge_predose_bp(db, forged, sid, clock=clock,
                               physician=prove(db, "nora", "acknowledge_bp", clock))
    with pytest.raises(PermissionDenied, match="Sign in"):
        record_vitals(db, Actor(username="x", display_name="X", role="nurse"), sid,
                      {"heart_rate_bpm": 70}, clock=clock)
    with pytest.raises(PermissionDenied, match="administrator"):
        create_user(db, NURSE, username="new", full_name="New", role="physician",
                    password="long enough pass", clock=clock)
    with pytest.raises(PermissionDenied, match="administrator"):
        set_setting(db, PHYSICIAN, "idle_lock_minutes", 60, clock=clock)
    acknowledge_predose_bp(db, NURSE, sid, clock=clock,
                           physician=prove(db, "ada", "acknowledge_bp", clock))


def test_a_disabled_account_can_neither_log_in_nor_act(db: Session, clock: FakeClock) -> None:
    accounts.set_active(db, ADMIN, "sam", False, clock=clock)
    with pytest.raises(LoginRefused, match="disabled"):
        authenticate(db, "sam", password_of("sam"), clock=clock)
    from tests.staff import NURSE2

    with pytest.raises(PermissionDenied, match="disabled"):
        register_patient(db, NURSE2, family_name="A", given_name="B",
                         birth_date=date(1990, 1, 1), clock=clock)
    with pytest.raises(ValidationError, match="your own account"):
        accounts.set_active(db, ADMIN, "admin", False, clock=clock)


def test_role_changes_and_settings_are_audited(db: Session, clock: FakeClock) -> None:
    accounts.change_role(db, ADMIN, "sam", "physician", clock=clock)
    set_setting(db, ADMIN, "idle_lock_minutes", 15, clock=clock)
    assert get_setting(db, "idle_lock_minutes") == 15
    rows = db.scalars(select(AuditEntry).where(AuditEntry.username == "admin")
                      .order_by(AuditEntry.id)).all()
    assert [(r.table_name, r.field, r.old_value, r.new_value) for r in rows[-2:]] == [
        ("users", "role", "nurse", "physician"),
        ("settings", "idle_lock_minutes", None, "15"),
    ]
    with pytest.raises(ValidationError, match="own administrator role"):
        accounts.change_role(db, ADMIN, "admin", "nurse", clock=clock)


def test_first_administrator_only_on_an_empty_database(db: Session, clock: FakeClock) -> None:
    assert not accounts.needs_first_administrator(db)
    with pytest.raises(ValidationError, match="already exist"):
        accounts.create_first_administrator(db, username="boss", full_name="Boss",
                                            password="long enough pass", clinic_name="C",
                                            clinic_timezone="UTC", clock=clock)


def test_views_and_documents_are_audited(db: Session, clock: FakeClock) -> None:
    sid = book(db, clock, indication="PTSD")
    record_session_view(db, PHYSICIAN, sid, clock=clock)
    record_document(db, PHYSICIAN, "session", sid, action="pdf_printed", detail="3 pages",
                    clock=clock)
    rows = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(2)).all()
    assert [(r.action, r.row_id, r.patient_id is not None, r.username) for r in rows] == [
        ("pdf_printed", sid, True, "ada"), ("view", sid, True, "ada")]


def test_the_command_line_may_create_accounts(db: Session, clock: FakeClock) -> None:
    made = accounts.add_user(db, SYSTEM, username="Kim", full_name="Kim Lee", role="physician",
                             password="a long enough pass", credentials="MD", clock=clock)
    assert made.username == "kim"
    assert authenticate(db, "kim", "a long enough pass", clock=clock).role == "physician"


def test_an_audit_time_in_another_zone_still_verifies(db: Session) -> None:
    from datetime import datetime, timedelta, timezone

    from ketalog.services.audit import append_audit
    from ketalog.services.audit_trail import verify_chain

    berlin_winter = timezone(timedelta(hours=1))
    append_audit(db, NURSE, "view", at=datetime(2026, 11, 21, 10, 0, tzinfo=berlin_winter))
    db.commit()
    report = verify_chain(db)
    assert report.ok, report.message
