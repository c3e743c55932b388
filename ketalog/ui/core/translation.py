"""The translator: the screens in the workstation's language, and English plurals right.

The source texts are English with the plural form written out ("%n sessions"),
so a screen without any translator reads as before. ``ketalog_en.qm`` gives
English its singulars ("1 session"); a ``ketalog_<language>.qm`` beside it
(``make translations`` builds them from the ``.ts`` files) translates the rest.
When no file matches the workstation's languages the English one is used, and
without any file nothing changes.

Strings outside a widget are marked with ``QT_TRANSLATE_NOOP("Context", text)``
where they are defined and passed through ``QCoreApplication.translate`` with
the same context where they are shown (:func:`translated`).
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

log = logging.getLogger(__name__)

#: The catalogue's base name: ketalog_en.ts, ketalog_de.ts, ...
CATALOGUE = "ketalog"
#: The language the source texts are written in.
SOURCE_LANGUAGE = "en"

_installed: QTranslator | None = None


def translations_folder() -> Path:
    """Where the .ts and .qm files live (``resources/translations`` in the package)."""
    return Path(str(resources.files("ketalog.resources") / "translations"))


def install_translator(app: QCoreApplication, locale: QLocale | None = None,
                       folder: Path | None = None) -> QTranslator | None:
    """Load the catalogue for ``locale`` (the system's by default) into ``app``.

    Tries the locale's UI languages in order (de_CH, de, ...), then English.
    Replaces a translator installed earlier. Returns the installed translator,
    or None when no catalogue was found (the source texts are shown).
    """
    remove_translator(app)
    where = str(folder if folder is not None else translations_folder())
    translator = QTranslator(app)
    chosen = locale if locale is not None else QLocale.system()
    if not translator.load(chosen, CATALOGUE, "_", where, ".qm") and not translator.load(
            f"{CATALOGUE}_{SOURCE_LANGUAGE}", where):
        translator.deleteLater()
        log.info("no translation for %s; showing the source texts", chosen.name())
        return None
    app.installTranslator(translator)
    global _installed
    _installed = translator
    log.info("translation %s loaded for %s", translator.language() or "?", chosen.name())
    return translator


def remove_translator(app: QCoreApplication | None = None) -> None:
    """Take the installed catalogue out again (tests read the source texts)."""
    global _installed
    if _installed is None:
        return
    target = app if app is not None else QCoreApplication.instance()
    if target is not None:
        target.removeTranslator(_installed)
    _installed.deleteLater()
    _installed = None


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:
    """Mark ``text`` for lupdate under ``context``; it is translated where it is shown.

    Qt's own marker is typed to return ``object``; this one keeps ``str`` for mypy
    (lupdate goes by the name, not the import).
    """
    del context
    return text


def translated(context: str, text: str, count: int = -1) -> str:
    """``text`` marked with ``QT_TRANSLATE_NOOP(context, text)``, in the current language.

    ``count`` fills ``%n`` (and picks the plural form) when the text has one.
    """
    return QCoreApplication.translate(context, text, None, count)
