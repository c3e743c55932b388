"""ketalog: the chair-side session log for ketamine infusion clinics."""

__version__ = "0.1.0"
