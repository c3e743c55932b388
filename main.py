"""Launcher: ``python main.py`` starts ketalog as the ``ketalog`` command does."""

import sys

from ketalog.cli import main

if __name__ == "__main__":
    sys.exit(main())
