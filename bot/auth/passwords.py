"""Password hashing with argon2id (memory-hard), via argon2-cffi."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id, library defaults (64 MiB, t=3, p=4)
MIN_LENGTH = 10


class WeakPassword(ValueError):
    """A password that does not meet the minimum rules."""


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Mật khẩu phải có ít nhất {MIN_LENGTH} ký tự")
    if password.strip() != password or not password.strip():
        raise WeakPassword("Mật khẩu không được bắt đầu hoặc kết thúc bằng khoảng trắng")


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


# A hash to verify against when the user does not exist: same cost, no user enumeration by timing.
DUMMY_HASH = _hasher.hash("không-có-tài-khoản-này")
