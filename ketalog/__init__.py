"""ketalog: the chair-side session log for ketamine infusion clinics."""

#: The one version string: pyproject.toml reads it (``dynamic = ["version"]``), and
#: ``ketalog --version``, the window and the log's start line show it.
__version__ = "0.1.0"
