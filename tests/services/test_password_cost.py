"""Production's Argon2id cost; the rest of the suite hashes at the smallest (tests/conftest.py)."""

from __future__ import annotations

from argon2 import PasswordHasher

from ketalog.services import clinic_certificate, keys
from ketalog.services.passwords import hash_password, needs_rehash, password_matches
from tests.conftest import CHEAP_MEMORY_KIB, CHEAP_TIME_COST

OWASP = "argon2id;t=2;m=19456;p=1"


def test_passwords_are_hashed_at_owasps_cost(production_password_cost: None) -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert password_matches(stored, "correct horse battery")
    assert not password_matches(stored, "wrong horse battery")
    assert not needs_rehash(stored)


def test_a_cheaper_hash_is_replaced_at_the_next_log_in(production_password_cost: None) -> None:
    cheap = PasswordHasher(time_cost=CHEAP_TIME_COST, memory_cost=CHEAP_MEMORY_KIB,
                           parallelism=1).hash("correct horse battery")
    assert password_matches(cheap, "correct horse battery")
    assert needs_rehash(cheap)


def test_signing_and_certificate_keys_are_wrapped_at_owasps_cost(
        production_password_cost: None) -> None:
    assert keys.KDF == OWASP
    assert clinic_certificate.KDF == OWASP
