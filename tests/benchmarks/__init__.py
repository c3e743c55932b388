"""Tests of the benchmark programs in ``tools/benchmarks`` (``make bench``)."""
