"""``make bench``: the speed and memory targets of DESIGN.md section 4 on generated data.

``python -m tools.benchmarks.run`` writes ``latest.json`` and ``RESULTS.md`` here.
"""
