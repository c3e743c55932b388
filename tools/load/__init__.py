"""``make load``: several workstations writing to one PostgreSQL database at once (issue 7).

Not a pytest module: ``python -m tools.load.run`` runs it; ``test_load_smoke.py``
runs a ten-second version in the suite so the harness itself stays tested.
"""
