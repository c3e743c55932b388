"""A patient's course.

The course window and its actions, series, screening, the standing order, REMS.
"""
