"""The ``ketalog`` command line: :func:`main` runs it (the window when no command is given).

One module per command group; :mod:`ketalog.cli.common` holds what they share
(the error they raise, how they open the database, the command-line actor).
Importing this package loads neither PySide6 nor reportlab nor alembic: the
window and the documents load only when asked for.
"""

from ketalog.cli.main import main

__all__ = ["main"]
