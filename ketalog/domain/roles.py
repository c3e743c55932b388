"""The roles a clinic account holds, and what a role is called in a sentence.

Permissions (which role may do what) live in ``services.access``; the names
live here so the store, the services, the command line and the screens spell
them one way. Stored as the string value.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Role(StrEnum):
    """What an account is for; decides which actions the services allow."""

    NURSE = "nurse"
    PHYSICIAN = "physician"
    ADMINISTRATOR = "administrator"


#: A role with its article, as refusals say it ("Only a physician can sign").
ROLE_WITH_ARTICLE: Final[Mapping[Role, str]] = MappingProxyType({
    Role.NURSE: "a nurse",
    Role.PHYSICIAN: "a physician",
    Role.ADMINISTRATOR: "an administrator",
})
