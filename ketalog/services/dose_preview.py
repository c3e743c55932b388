"""The dose as the nurse types it: computed live, checked against limits, never stored.

The dose panel shows the total, the volume, the pump rate and the working
while the values are still being typed, so a slip is seen before the order is
placed. This is the same arithmetic :func:`ketalog.services.session.dose.order_dose`
stores (``calculate_dose`` and ``check_dose_limits``), so the preview and the
stored order cannot disagree. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.clinic_settings import DEFAULT_WEIGHT_CHANGE_PERCENT
from ketalog.domain.dosing import DoseCalculation, DoseLevel, calculate_dose, parse_weight_kg
from ketalog.domain.errors import ValidationError
from ketalog.domain.plausibility import FindingKind, PreviousWeight, assess_dose
from ketalog.domain.protocols import DosingMode, Protocol
from ketalog.services.context import Clock, system_clock
from ketalog.services.errors import NotFound
from ketalog.services.patients import reference_weight
from ketalog.services.protocols import protocol_by_id
from ketalog.services.settings import clinic_today, weight_change_percent
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
    #: the weight itself is unusual (range, or change from the last weighing)
    weight_unusual: bool = False

    @property
    def ok(self) -> bool:
        """Whether the inputs gave a dose (it may still need confirmation or an override)."""
        return self.calculation is not None


def preview_for_protocol(
    protocol: Protocol, inputs: Mapping[str, object], weight_kg: object = None, *,
    on: date | None = None, previous_weight: PreviousWeight | None = None,
    max_weight_change_percent: int = DEFAULT_WEIGHT_CHANGE_PERCENT,
) -> DosePreview:
    """Compute the dose under ``protocol`` from typed inputs; never raises a refusal.

    Args:
        protocol: The session's protocol (its mode, defaults and limits).
        inputs: The protocol's dosing inputs other than weight, as typed; an
            input left out takes the protocol default, an empty one is missing.
        weight_kg: The weight to dose by (ignored for device protocols);
            None or empty is reported missing.
        on: The day the weight is from, for the comparison with ``previous_weight``.
        previous_weight: The weighing the weight is compared with (None: none).
        max_weight_change_percent: The clinic's weight change to confirm.
    """
    values = dict(inputs)
    if protocol.dosing_mode is not DosingMode.DEVICE:
        values["weight_kg"] = weight_kg
    try:
        calc = calculate_dose(protocol, **values)
    except ValidationError as refused:
        return DosePreview(None, tuple(refused.messages))
    check = assess_dose(protocol, calc, on=on, previous_weight=previous_weight,
                        max_weight_change_percent=max_weight_change_percent)
    return DosePreview(
        calc, (), check.level, check.message, check.needs_confirmation,
        check.needs_physician_override,
        any(f.field in (FindingKind.WEIGHT_RANGE, FindingKind.WEIGHT_CHANGE)
            for f in check.findings),
    )


def preview_dose(
    db: Session, session_id: int, inputs: Mapping[str, object], weight_kg: object = None, *,
    clock: Clock = system_clock,
) -> DosePreview:
    """Compute the dose the session's protocol gives for typed inputs; reads only.

    The weight is judged as :func:`ketalog.services.session.dose.order_dose` judges
    it: against the usual range and the patient's last weighing.

    Raises:
        NotFound: no such session.
    """
    row = db.execute(
        select(TreatmentSession.protocol_id, TreatmentSession.patient_id)
        .where(TreatmentSession.id == session_id)
    ).first()
    if row is None:
        raise NotFound(f"No session with id {session_id}.")
    protocol_id, patient_id = row
    today = clinic_today(db, clock())
    try:
        weight = parse_weight_kg(weight_kg)
    except ValidationError:
        weight = None  # the calculation reports it
    previous = None if weight is None else reference_weight(db, patient_id, weight, today)
    return preview_for_protocol(protocol_by_id(db, protocol_id), inputs, weight_kg, on=today,
                                previous_weight=previous,
                                max_weight_change_percent=weight_change_percent(db))
