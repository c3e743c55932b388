"""Administration.

Accounts, the audit trail, clinic settings, protocols, this workstation's settings.
"""
