"""The clinic's day.

The board of chairs, scheduling, the physician's waiting list, the outcomes overview.
"""
