"""What a nurse does to a session, by area: its state, its dose, its clinical entries.

:mod:`.state` moves the session through its life cycle, :mod:`.dose` orders and
double-checks the dose, :mod:`.entries` records readings, scores, events, notes
and discharge details; :mod:`.common` loads the session row and judges entry
times for all of them. Booking a session lives in :mod:`ketalog.services.booking`,
signing it in :mod:`ketalog.services.signing`.
"""
