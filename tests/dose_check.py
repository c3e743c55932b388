"""The second nurse's own figures for a test's dose check, worked out right."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ketalog.store.models import DoseOrder


def right_figures(db: Session, dose_order_id: int) -> dict[str, object]:
    """What a second nurse who redid the arithmetic correctly types for this order."""
    order = db.get(DoseOrder, dose_order_id)
    assert order is not None
    return {"verifier_total_mg": order.total_mg, "verifier_rate_ml_per_h": order.rate_ml_per_h}
