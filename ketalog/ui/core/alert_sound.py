"""The workstation's alert sound: the one place ketalog makes a noise.

Every screen that sees an alert fall due (vitals overdue on the board or the
session screen, a new alert in the session's alerts strip, a chair needing
someone while the workstation is locked) asks :data:`ALERT_SOUND` to play,
naming what fell due. The sound is this workstation's ``alert_sound`` setting
(Settings, saved in the workstation file), read when it plays, so a change
applies at once. One due moment sounds once, however many screens notice it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable

from PySide6.QtWidgets import QApplication

from ketalog.store.workstation import (
    DEFAULT_ALERT_SOUND,
    AlertSound,
    WorkstationConfigError,
    load_workstation_config,
)

#: The due moments remembered (so one never sounds twice); older ones are forgotten.
REMEMBERED = 500


def workstation_alert_sound() -> AlertSound:
    """This workstation's ``alert_sound``; a damaged settings file means the default (off)."""
    try:
        return load_workstation_config().alert_sound
    except WorkstationConfigError:
        return DEFAULT_ALERT_SOUND


class AlertSoundPlayer:
    """Plays the workstation's alert sound, once per thing that fell due.

    Attributes:
        played: how many times a sound was made (read by tests and the log).
    """

    def __init__(self, setting: Callable[[], AlertSound] = workstation_alert_sound) -> None:
        self._setting = setting
        self._sounded: dict[Hashable, None] = {}
        self.played = 0

    @property
    def sound(self) -> AlertSound:
        """The sound this workstation makes now."""
        return self._setting()

    def forget(self) -> None:
        """Forget what has sounded (a new process, or a test, starts afresh)."""
        self._sounded.clear()
        self.played = 0

    def heard(self, due: Hashable) -> None:
        """Count ``due`` as sounded without a sound (it was due before the screen showed it)."""
        self._remember(due)

    def _remember(self, due: Hashable) -> bool:
        """Remember ``due``; False when it was remembered already."""
        if due in self._sounded:
            return False
        self._sounded[due] = None
        if len(self._sounded) > REMEMBERED:
            del self._sounded[next(iter(self._sounded))]
        return True

    def play_for(self, dues: Iterable[Hashable]) -> bool:
        """One sound for all of ``dues`` that have not sounded yet (none: no sound)."""
        new = [due for due in dues if self._remember(due)]
        return bool(new) and self._sound()

    def play(self, due: Hashable | None = None) -> bool:
        """Make the sound for ``due`` unless it sounded already or the sound is off.

        ``due`` names what fell due (e.g. ``("vitals", session_id, due_at)``);
        None always plays (the lock page's repeated reminder). Returns whether
        a sound was made.
        """
        if due is not None and not self._remember(due):
            return False
        return self._sound()

    def _sound(self) -> bool:
        if self.sound is AlertSound.OFF:
            return False
        QApplication.beep()
        self.played += 1
        return True


#: The process's one player.
ALERT_SOUND = AlertSoundPlayer()
