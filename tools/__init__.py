"""Programs for the people who build ketalog, not part of the installed app.

``make bench`` (benchmarks/) and ``make load`` (load/) run from the repository root;
the tests that check them live under ``tests/``. ``pyproject.toml`` ships ``ketalog*``
only, so nothing here reaches an installation.
"""
