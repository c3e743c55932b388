"""What every screen shares.

The user-action context, style, the database link and live updates, logs, translation,
documents, the alert sound, stale-edit conflicts.
"""
