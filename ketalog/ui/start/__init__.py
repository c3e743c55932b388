"""Who is at the keyboard.

Log-in, the first administrator, a second person's credentials at the chair, the idle
lock.
"""
