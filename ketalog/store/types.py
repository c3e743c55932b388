"""Column types that keep clinical values exact on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import DateTime, Dialect, Numeric, String
from sqlalchemy.types import TypeDecorator, TypeEngine


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant.

    Naive datetimes are refused on the way in (they are the classic source of
    one-hour charting errors); values always come back aware, in UTC.
    PostgreSQL stores ``timestamptz``; SQLite stores ISO text in UTC, which
    sorts correctly and is what ``sqlite3`` tools show.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes and convert aware ones to UTC."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: ketalog stores aware UTC times only")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Hand back an aware UTC datetime whatever the driver returned."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class ExactDecimal(TypeDecorator[Decimal]):
    """An exact decimal: ``NUMERIC`` on PostgreSQL, decimal text on SQLite.

    SQLite has no decimal type and would round through binary floats; storing
    the canonical text keeps 0.1 mg as 0.1 mg.
    """

    impl = String(32)
    cache_ok = True

    def __init__(self, precision: int = 12, scale: int = 4) -> None:
        super().__init__()
        self.precision = precision
        self.scale = scale

    def __repr__(self) -> str:
        # Alembic renders migrations from repr(); keep precision and scale in it.
        return f"ExactDecimal(precision={self.precision}, scale={self.scale})"

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Use a real NUMERIC where the database has one."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))
        return dialect.type_descriptor(String(32))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        """Store the exact value; refuse floats, which may already be inexact."""
        if value is None:
            return None
        if not isinstance(value, Decimal):
            if isinstance(value, int) and not isinstance(value, bool):
                value = Decimal(value)
            else:
                raise TypeError(f"{value!r} is not a Decimal; convert in the domain layer")
        if not value.is_finite():
            raise ValueError(f"{value!r} is not a finite decimal")
        if dialect.name == "postgresql":
            return value
        return format(_plain(value), "f")

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        """Return a Decimal whichever representation the driver gave."""
        if value is None:
            return None
        return _plain(value if isinstance(value, Decimal) else Decimal(str(value)))


E = TypeVar("E", bound=StrEnum)


class StoredEnum(TypeDecorator[E]):
    """A :class:`~enum.StrEnum` stored as its plain string value.

    The column holds the same text as a ``String`` column would (no schema
    change, readable in any SQL tool), but rows load as enum members, so a
    comparison with a misspelt state fails the type check instead of quietly
    never matching. A value the enum does not know is refused both ways with
    the words ``what`` ("session state") and the values it accepts.
    """

    impl = String(20)
    cache_ok = True

    def __init__(self, enum: type[E], what: str, length: int = 20) -> None:
        super().__init__(length)
        self.enum = enum
        self.what = what
        self.length = length

    def __repr__(self) -> str:
        # Alembic renders migrations from repr(); the database itself sees String(length).
        return f"StoredEnum({self.enum.__name__}, {self.what!r}, length={self.length})"

    def _member(self, value: str) -> E:
        try:
            return self.enum(value)
        except ValueError:
            known = ", ".join(m.value for m in self.enum)
            raise ValueError(
                f"{value!r} is not a known {self.what}; expected one of {known}"
            ) from None

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        """Store the member's value; refuse text that is no member's value."""
        if value is None:
            return None
        return self._member(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        """Hand back the member, or say plainly which stored value is unknown."""
        if value is None:
            return None
        return self._member(value)


def _plain(value: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent form (100, not 1E+2).

    PostgreSQL returns NUMERIC(12,4) as ``40.0000``; SQLite gives back what was
    stored. Normalising both makes a value read the same on either database.
    """
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    return normal.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else normal
