"""Password hashing with Argon2id at OWASP's minimum cost or above."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ketalog.domain.errors import ValidationError

#: OWASP: Argon2id, m=19 MiB, t=2, p=1.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MIN_LENGTH = 8
MAX_LENGTH = 256
_COMMON = frozenset({
    "password", "password1", "12345678", "123456789", "1234567890", "qwertyui", "qwerty123",
    "iloveyou", "ketamine", "ketalog1", "letmein1", "welcome1", "admin123", "changeme",
    "11111111", "abc12345", "passw0rd", "sunshine", "football", "baseball",
})


def check_password_rules(password: str) -> None:
    """Length 8-256 characters, any Unicode, not a well-known password."""
    if len(password) < MIN_LENGTH:
        raise ValidationError.single("password", "The password needs at least 8 characters.")
    if len(password) > MAX_LENGTH:
        raise ValidationError.single("password", "The password may have at most 256 characters.")
    if password.casefold() in _COMMON:
        raise ValidationError.single("password", "That password is too common; choose another.")


def hash_password(password: str) -> str:
    """Hash a password that meets the rules."""
    check_password_rules(password)
    return _HASHER.hash(password)


def needs_rehash(stored_hash: str) -> bool:
    """Whether a stored hash was made with weaker parameters than today's."""
    try:
        return _HASHER.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


_DUMMY_HASH: list[str] = []


def spend_equal_time(password: str) -> None:
    """Verify against a throwaway hash so an unknown user name takes as long as a real one."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(_HASHER.hash("not-a-real-account-password"))
    password_matches(_DUMMY_HASH[0], password)


def password_matches(stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches; never raises for a wrong or malformed hash."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
