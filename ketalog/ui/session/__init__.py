"""One infusion at the chair.

The session page, its panels, the safety and alert strips, sign-off.
"""
