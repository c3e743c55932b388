"""Helpers shared by the test modules (databases, clocks, ...); no tests here."""
