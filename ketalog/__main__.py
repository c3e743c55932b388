"""``python -m ketalog``: the same as the ``ketalog`` command."""

import sys

from ketalog.cli import main

if __name__ == "__main__":
    sys.exit(main())
