"""Tests of the load harness in ``tools/load`` (``make load``)."""
