"""Sign-off on the session page: the nurse completes, the physician signs, addenda, the banner."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from ketalog.services.errors import PermissionDenied
from ketalog.services.signing import complete_nursing_record, sign_session
from ketalog.store.models import Addendum, Signature, TreatmentSession, User, VitalSign
from ketalog.ui.core.context import UiContext
from ketalog.ui.session.session_page import SessionPage
from ketalog.ui.session.signing_panel import SigningPanel
from tests.play import sign
from tests.staff import NURSE, PHYSICIAN, password_of
from tests.tamper import tamper
from tests.ui.conftest import Chair, activate


def _page(qtbot: QtBot, chair: Chair, tz: str | None = None) -> SessionPage:
    ctx = chair.ctx if tz is None else UiContext(chair.factory, ZoneInfo(tz),
                                                 lambda: chair.actor[0], chair.clock)
    page = SessionPage(ctx, chair.session_id, chair.drafts)
    qtbot.addWidget(page)
    page.show()
    page.reload()
    page.show_panel(8)
    return page


def _complete(chair: Chair) -> None:
    with chair.db() as db:
        complete_nursing_record(db, NURSE, chair.session_id,
                                password=password_of(NURSE.username), clock=chair.clock)


def _click(qtbot: QtBot, button) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_the_nurse_completes_the_nursing_record(qtbot: QtBot, chair: Chair) -> None:
    chair.to("discharged")
    chair.clock.now = chair.clock.now.replace(hour=19, minute=5)  # 14:05 in New York
    page = _page(qtbot, chair, "America/New_York")
    panel = page.signing
    assert page.tabs.currentWidget() is panel
    assert "nursing record is still open" in panel.status.text()
    assert panel.complete_button.isVisibleTo(panel)
    assert not panel.sign_button.isVisibleTo(panel)  # a nurse is not offered signing
    assert not panel.addendum_form.isVisibleTo(panel)
    _click(qtbot, panel.complete_button)  # no password typed: a slip, not a failed attempt
    assert panel.message.text() == "⚠ Type your password to complete a nursing record."
    qtbot.keyClicks(panel.nurse_password, "not-my-password")
    qtbot.keyClick(panel.nurse_password, Qt.Key.Key_Return)
    assert panel.message.text() == "⚠ The user name or password is wrong."
    assert panel.nurse_password.text() == ""  # never kept on screen
    assert panel.nursing.text() == "Not completed yet."
    qtbot.keyClicks(panel.nurse_password, password_of("nora"))
    qtbot.keyClick(panel.nurse_password, Qt.Key.Key_Return)  # Enter attests
    assert panel.nurse_password.text() == ""
    assert panel.nursing.text() == (
        "✓ Nursing record complete — Nora Reyes, RN, 21 Nov 2026 14:05 EST")
    assert "awaiting physician signature" in panel.status.text()
    with chair.db() as db:
        kinds = db.execute(select(Signature.kind, Signature.key_id, Signature.signature)
                           .where(Signature.session_id == chair.session_id)).all()
        assert [k for k, _key, _sig in kinds] == ["nursing_attestation"]
        assert all(key is not None and sig for _k, key, sig in kinds)  # made with Nora's key
        # the screen hides the button; the service refuses a nurse regardless
        with pytest.raises(PermissionDenied):
            sign_session(db, NURSE, chair.session_id, password=password_of("nora"),
                         clock=chair.clock)


def test_nothing_to_sign_off_before_discharge(qtbot: QtBot, chair: Chair) -> None:
    chair.to("recovering")
    panel = _page(qtbot, chair).signing
    assert "after discharge" in panel.status.text()
    assert not panel.complete_button.isVisibleTo(panel)
    chair.actor[0] = PHYSICIAN
    panel._controller.reload()
    assert not panel.sign_button.isVisibleTo(panel)


def test_the_physician_signs_with_the_password(qtbot: QtBot, chair: Chair) -> None:
    chair.to("discharged")
    chair.actor[0] = PHYSICIAN
    page = _page(qtbot, chair)
    panel = page.signing
    assert not panel.complete_button.isVisibleTo(panel)
    assert panel.sign_button.isVisibleTo(panel) and not panel.sign_button.isEnabled()
    assert "nursing record before" in panel.sign_button.toolTip()
    _complete(chair)
    page.reload()
    assert panel.sign_button.isEnabled()
    _click(qtbot, panel.sign_button)
    dialog = panel.sign_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.meaning.text() == "Reviewed and approved"
    assert dialog.signer.text() == "Ada Lindqvist, MD"
    assert dialog.password.echoMode() == dialog.password.EchoMode.Password

    qtbot.keyClicks(dialog.password, "not-my-password")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.message.text() == "⚠ The user name or password is wrong."
    assert dialog.password.text() == ""
    with chair.db() as db:
        physician = db.get(User, PHYSICIAN.user_id)
        assert physician is not None and physician.failed_login_count == 1
        assert db.get(TreatmentSession, chair.session_id).state == "discharged"  # type: ignore[union-attr]

    qtbot.keyClicks(dialog.password, password_of("ada"))
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted and not dialog.isVisible()
    with chair.db() as db:
        assert db.get(TreatmentSession, chair.session_id).state == "signed"  # type: ignore[union-attr]
        signature = db.scalars(select(Signature)
                               .where(Signature.kind == "physician_signature")).one()
    assert panel.status.text() == "✓ Signed — changes only by addendum"
    shown = panel.signature.text()
    assert "Ada Lindqvist, MD" in shown and "Reviewed and approved" in shown
    assert signature.signed_at_utc.strftime("%H:%M") + " UTC" in shown
    assert signature.content_sha256[:32] in panel.sha.text()
    assert signature.content_sha256[32:] in panel.sha.text()
    assert "Verified" in panel.verification.text()
    assert not panel.sign_button.isVisibleTo(panel)
    assert panel.addendum_form.isVisibleTo(panel)
    assert page.state.text() == "Signed"
    assert not page.banner.isVisibleTo(page)
    assert not page.notes.entry_area.isEnabled()  # entries now go by addendum
    assert "addendum" in page.notes.entry_message.text()


def test_banner_after_a_change_behind_the_guards(qtbot: QtBot, chair: Chair) -> None:
    chair.to("discharged")
    with chair.db() as db:
        sign(db, chair.session_id, chair.clock)
        vital_id = db.scalars(select(VitalSign.id).where(
            VitalSign.session_id == chair.session_id).order_by(VitalSign.id)).first()
    page = _page(qtbot, chair)
    assert not page.banner.isVisibleTo(page)
    tamper(chair.engine, "UPDATE vital_signs SET heart_rate_bpm = 140 WHERE id = :id",
           id=vital_id)
    page.reload()
    assert page.banner.isVisibleTo(page)
    text = page.banner.text()
    assert text.startswith("⚠ This session was changed after it was signed")
    assert f"Vital signs {vital_id}: heart_rate_bpm was 72, now 140" in text
    assert "changed after signing" in page.signing.status.text()
    assert "heart_rate_bpm was 72, now 140" in page.signing.verification.text()


def test_an_addendum_is_saved_and_listed(qtbot: QtBot, chair: Chair) -> None:
    chair.to("discharged")
    with chair.db() as db:
        sign(db, chair.session_id, chair.clock)
    panel: SigningPanel = _page(qtbot, chair).signing
    assert not panel.addenda_box.isVisibleTo(panel)
    qtbot.keyClicks(panel.text, "Patient phoned: home safely.")
    _click(qtbot, panel.add_button)
    assert "Give the reason" in panel.message.text()
    qtbot.keyClicks(panel.reason, "late entry")
    chair.clock.advance(5)
    _click(qtbot, panel.add_button)
    assert panel.message.text() == "⚠ Type your password to write an addendum."
    assert panel.reason.text() == "late entry"  # nothing typed is lost
    qtbot.keyClicks(panel.addendum_password, "wrong-password")
    _click(qtbot, panel.add_button)
    assert panel.message.text() == "⚠ The user name or password is wrong."
    assert panel.text.toPlainText() == "Patient phoned: home safely."
    qtbot.keyClicks(panel.addendum_password, password_of("nora"))
    qtbot.keyClick(panel.addendum_password, Qt.Key.Key_Return)  # Enter adds it
    assert panel.message.text() == "✓ Addendum added."
    assert panel.reason.text() == "" and panel.text.toPlainText() == ""
    assert panel.addendum_password.text() == ""
    chair.actor[0] = PHYSICIAN
    qtbot.keyClicks(panel.reason, "correction")
    qtbot.keyClicks(panel.text, "BP at 10:05 was 124/78.")
    qtbot.keyClicks(panel.addendum_password, password_of("ada"))
    qtbot.keyClick(panel.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    with chair.db() as db:
        stored = db.scalars(select(Addendum).order_by(Addendum.id)).all()
    assert [(a.author_id, a.reason, a.author_name) for a in stored] == [
        (NURSE.user_id, "late entry", "Nora Reyes, RN"),
        (PHYSICIAN.user_id, "correction", "Ada Lindqvist, MD")]
    assert all(a.key_id is not None and a.signature for a in stored)
    labels = [label.text() for label in panel.addendum_labels]
    assert len(labels) == 2 and panel.addenda_box.isVisibleTo(panel)
    assert labels[0].startswith("<b>Addendum 1</b> — Nora Reyes, RN, ")
    assert "late entry" in labels[0] and "home safely." in labels[0]
    assert labels[1].startswith("<b>Addendum 2</b> — Ada Lindqvist, MD, ")


def test_alt_8_brings_the_sign_off_tab(qtbot: QtBot, chair: Chair) -> None:
    page = SessionPage(chair.ctx, chair.session_id, chair.drafts)
    qtbot.addWidget(page)
    activate(qtbot, page)
    page.reload()
    assert page.tabs.count() == 8 and page.tabs.tabText(7) == "8 Sign-off"
    qtbot.keyClick(page, Qt.Key.Key_8, Qt.KeyboardModifier.AltModifier)
    assert page.tabs.currentWidget() is page.signing


def test_the_keyboard_lands_in_the_nurses_password(qtbot: QtBot, chair: Chair) -> None:
    chair.to("discharged")
    page = SessionPage(chair.ctx, chair.session_id, chair.drafts)
    qtbot.addWidget(page)
    activate(qtbot, page)
    page.reload()
    qtbot.keyClick(page, Qt.Key.Key_8, Qt.KeyboardModifier.AltModifier)
    panel = page.signing
    qtbot.waitUntil(lambda: panel.nurse_password.hasFocus())
    assert panel.nurse_password.echoMode() == panel.nurse_password.EchoMode.Password
    qtbot.keyClicks(page.focusWidget(), password_of("nora"))
    qtbot.keyClick(page.focusWidget(), Qt.Key.Key_Enter)
    assert panel.nursing.text().startswith("✓ Nursing record complete — Nora Reyes, RN")


def test_the_screen_says_a_signature_was_made_with_a_key_after_a_reset(
    qtbot: QtBot, chair: Chair
) -> None:
    from ketalog.services.accounts import change_own_password, reset_password
    from tests.staff import ADMIN

    chair.to("discharged")
    _complete(chair)
    with chair.db() as db:
        reset_password(db, ADMIN, "ada", "temporary-pass-2026", clock=chair.clock)
        change_own_password(db, PHYSICIAN, "temporary-pass-2026", "ada-own-new-pass",
                            clock=chair.clock)
        sign_session(db, PHYSICIAN, chair.session_id, password="ada-own-new-pass",
                     clock=chair.clock)
    panel = _page(qtbot, chair).signing
    assert panel.status.text() == "✓ Signed — changes only by addendum"
    assert panel.verification.text() == (
        "✓ Verified: the stored record matches what was signed.<br>Note: signed with a key "
        "issued after an administrator reset the signer's password")
