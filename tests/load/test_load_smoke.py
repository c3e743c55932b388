"""The load harness itself, in ten seconds: three workstations, four sessions, real PostgreSQL.

``make load`` runs the full five minutes; this keeps the harness (its worker
processes, its read-back and its verdicts) honest in every test run.
"""

from __future__ import annotations

import pytest

from tools.load.run import run_load


@pytest.mark.postgres
def test_three_workstations_lose_nothing_duplicate_nothing_and_meet_no_error(
    postgres_url: str,
) -> None:
    summary = run_load(database_url=postgres_url, seconds=10, workstations=3, sessions=4,
                       pace_ms=(50.0, 100.0), wrap_up=0.3, seed=3)

    assert summary["errors"] == {}, summary["error_examples"]
    assert summary["checks"]["counts"] == dict.fromkeys(summary["checks"]["counts"], 0), \
        summary["checks"]["examples"]
    assert summary["audit_chain"]["ok"], summary["audit_chain"]["message"]
    kinds = summary["acknowledged_by_kind"]
    assert kinds["vitals"] > 50 and kinds["scale"] > 0 and kinds["note"] > 0
    assert kinds["escort"] > 0 and kinds["state"] > 0
    # every save and every refusal was counted, and only domain refusals are refusals
    refused = sum(summary["refusals"].values())
    assert summary["attempts"] == summary["acknowledged"] + refused
    assert all(" stale_edit" in k or " refused:" in k for k in summary["refusals"])
