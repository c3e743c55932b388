"""The controlled-substance books on screen (issue 19).

stock_window.py is the window the main window opens (Ctrl+Shift+K); each tab
is one part of the books: on_hand.py (the containers in each location, and
the set-up of locations and products), receive.py (a delivery, scanned vial
by vial), counts.py (counts by two people, discrepancies, inventories).
tab.py is the base every tab derives from.
"""
