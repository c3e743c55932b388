"""The values each vital sign can physically take (DESIGN.md "Vital signs").

Kept apart from :mod:`ketalog.domain.vitals` so that the protocols' alert
thresholds can be checked against them without the two modules importing each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Final


@dataclass(frozen=True)
class VitalRange:
    """The values a vital sign can physically take; anything else is a typing slip."""

    label: str  #: what the nurse calls it, starts every message
    unit: str  #: shown after the value ("" for a score)
    low: Decimal
    high: Decimal
    whole: bool  #: whole numbers only (everything except temperature)

    def show(self, value: int | Decimal) -> str:
        """Value with its unit, as written in messages ("101 %")."""
        text = f"{value:f}" if isinstance(value, Decimal) else str(value)
        return f"{text} {self.unit}" if self.unit else text

    def span(self) -> str:
        """The accepted range with its unit ("50-100 %")."""
        text = f"{self.low:f}-{self.high:f}"
        return f"{text} {self.unit}" if self.unit else text


#: Physically possible readings (DESIGN.md "Vital signs"); outside them a value is refused.
#: EtCO2 0-100 mmHg: 0 is a real reading (apnoea or a blocked sampling line, to
#: be recorded and acted on); above 100 mmHg no monitor reading is credible.
#: Temperature takes one decimal; every other sign is a whole number.
HARD_LIMITS: Final[Mapping[str, VitalRange]] = MappingProxyType(
    {
        "systolic_mmhg": VitalRange("Systolic", "mmHg", Decimal(50), Decimal(300), True),
        "diastolic_mmhg": VitalRange("Diastolic", "mmHg", Decimal(20), Decimal(200), True),
        "heart_rate_bpm": VitalRange("Heart rate", "bpm", Decimal(20), Decimal(250), True),
        "spo2_percent": VitalRange("SpO2", "%", Decimal(50), Decimal(100), True),
        "resp_rate_per_min": VitalRange(
            "Respiratory rate", "breaths/min", Decimal(4), Decimal(60), True
        ),
        "temperature_c": VitalRange("Temperature", "°C", Decimal(30), Decimal(43), False),
        "etco2_mmhg": VitalRange("EtCO2", "mmHg", Decimal(0), Decimal(100), True),
        "pain_score": VitalRange("Pain", "", Decimal(0), Decimal(10), True),
    }
)
