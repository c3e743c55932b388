"""The dose as the nurse types it: computed live, checked against limits, never stored.

The dose panel shows the total, the volume, the pump rate and the working
while the values are still being typed, so a slip is seen before the order is
placed. This is the same arithmetic :func:`ketalog.services.sessions.order_dose`
stores (``calculate_dose`` and ``check_dose_limits``), so the preview and the
stored order cannot disagree. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.dosing import DoseCalculation, DoseLevel, calculate_dose, check_dose_limits
from ketalog.domain.errors import ValidationError
from ketalog.domain.protocols import DosingMode, Protocol
from ketalog.services.errors import NotFound
from ketalog.services.protocols import protocol_by_id
from ketalog.store.models import TreatmentSession


@dataclass(frozen=True)
class DosePreview:
    """A computed dose with its limit verdict, or every problem with the inputs."""

    calculation: DoseCalculation | None
    #: every problem with the inputs, in the domain's words; () when computed
    problems: tuple[str, ...] = ()
    limit_level: str = DoseLevel.WITHIN.value
    #: what the limits say about the dose (None when routine)
    limit_message: str | None = None
    needs_confirmation: bool = False
    needs_physician_override: bool = False

    @property
    def ok(self) -> bool:
        """Whether the inputs gave a dose (it may still need confirmation or an override)."""
        return self.calculation is not None


def preview_for_protocol(
    protocol: Protocol, inputs: Mapping[str, object], weight_kg: object = None
) -> DosePreview:
    """Compute the dose under ``protocol`` from typed inputs; never raises a refusal.

    Args:
        protocol: The session's protocol (its mode, defaults and limits).
        inputs: The protocol's dosing inputs other than weight, as typed; an
            input left out takes the protocol default, an empty one is missing.
        weight_kg: The weight to dose by (ignored for device protocols);
            None or empty is reported missing.
    """
    values = dict(inputs)
    if protocol.dosing_mode is not DosingMode.DEVICE:
        values["weight_kg"] = weight_kg
    try:
        calc = calculate_dose(protocol, **values)
    except ValidationError as refused:
        return DosePreview(None, tuple(refused.messages))
    if protocol.limits is None or calc.ordered_dose is None:
        return DosePreview(calc)
    check = check_dose_limits(calc.ordered_dose, protocol.limits, calc.dose_unit or "mg/kg")
    return DosePreview(
        calc, (), check.level.value, check.message, check.needs_confirmation,
        check.needs_physician_override,
    )


def preview_dose(
    db: Session, session_id: int, inputs: Mapping[str, object], weight_kg: object = None
) -> DosePreview:
    """Compute the dose the session's protocol gives for typed inputs; reads only.

    Raises:
        NotFound: no such session.
    """
    protocol_id = db.scalar(
        select(TreatmentSession.protocol_id).where(TreatmentSession.id == session_id)
    )
    if protocol_id is None:
        raise NotFound(f"No session with id {session_id}.")
    return preview_for_protocol(protocol_by_id(db, protocol_id), inputs, weight_kg)
