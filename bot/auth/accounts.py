"""Accounts and login: lock-out after repeated failures, sessions rotated at login."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.auth.passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password
from storage.clock import as_utc
from storage.models_console import Agency, LoginAttempt, Role, User, UserSession

MAX_FAILURES = 5  # per account
MAX_IP_FAILURES = 30  # per client address, across accounts (password spraying)
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_FOR = timedelta(minutes=15)
SESSION_IDLE = timedelta(hours=12)
ANON_SESSION_TTL = timedelta(hours=2)
USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-@")


AGENCY_REQUIRED = "Cán bộ đầu mối phải thuộc một đơn vị: hãy chọn đơn vị"
LOCKED = "Tài khoản tạm khóa do đăng nhập sai nhiều lần; thử lại sau 15 phút"


class AccountError(ValueError):
    """Bad account data (duplicate username, unknown agency, wrong role/agency combination)."""


class LoginFailed(Exception):
    """Wrong credentials or a locked account; the message never says which one exists."""

    def __init__(self, message: str, locked: bool = False) -> None:
        super().__init__(message)
        self.locked = locked


@dataclass(frozen=True)
class NewSession:
    token: str  # goes into the cookie; only its hash is stored
    csrf: str
    row: UserSession


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_username(username: str) -> str:
    name = (username or "").strip().lower()
    if not (3 <= len(name) <= 100) or not set(name) <= USERNAME_CHARS:
        raise AccountError("Tên đăng nhập 3–100 ký tự: chữ thường không dấu, số, . _ - @")
    return name


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    role: Role | str,
    now: datetime,
    full_name: str = "",
    agency_code: str | None = None,
    agency_id: int | None = None,
) -> User:
    role = Role(role)
    name = normalise_username(username)
    if (await session.execute(select(User.id).where(User.username == name))).first():
        raise AccountError(f"Tên đăng nhập đã tồn tại: {name}")
    agency: Agency | None = None
    if agency_code:
        agency = (
            await session.execute(select(Agency).where(Agency.code == agency_code))
        ).scalar_one_or_none()
        if agency is None:
            raise AccountError(f"Không có đơn vị mã {agency_code}")
    elif agency_id:
        agency = await session.get(Agency, agency_id)
        if agency is None:
            raise AccountError(f"Không có đơn vị #{agency_id}")
    if role == Role.AGENCY and agency is None:
        raise AccountError(AGENCY_REQUIRED)
    if role != Role.AGENCY and agency is not None:
        raise AccountError("Chỉ cán bộ đầu mối mới gắn với đơn vị")
    user = User(
        username=name,
        full_name=full_name.strip(),
        password_hash=hash_password(password),
        role=role.value,
        agency_id=agency.id if agency else None,
        active=True,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    await session.flush()
    return user


async def _recent_failures(session: AsyncSession, username: str, now: datetime) -> int:
    q = select(func.count()).where(
        LoginAttempt.username == username, LoginAttempt.ok.is_(False), LoginAttempt.at > now - FAILURE_WINDOW
    )
    return int((await session.execute(q)).scalar_one())


async def _recent_ip_failures(session: AsyncSession, ip: str, now: datetime) -> int:
    q = select(func.count()).where(
        LoginAttempt.ip == ip, LoginAttempt.ok.is_(False), LoginAttempt.at > now - FAILURE_WINDOW
    )
    return int((await session.execute(q)).scalar_one())


async def authenticate(
    session: AsyncSession, username: str, password: str, now: datetime, ip: str | None
) -> User:
    """The user for these credentials, or :class:`LoginFailed`. Every attempt is recorded;
    ``MAX_FAILURES`` failures within ``FAILURE_WINDOW`` lock the account for ``LOCK_FOR``;
    ``MAX_IP_FAILURES`` failures from one address in that window refuse that address.

    Atomic whatever the concurrency, across processes and on both databases: the account's
    row is locked (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite transactions start with
    ``BEGIN IMMEDIATE`` and so already hold the only write lock) before the lock-out state is
    read, and held until the attempt is committed. So the checks of one account run one at
    a time, each sees every earlier failure, and at most ``MAX_FAILURES`` wrong passwords are
    ever checked per window; a right password after the lock is refused like any other."""
    try:
        name = normalise_username(username)
    except AccountError:
        name = (username or "")[:100]
    if ip is not None and await _recent_ip_failures(session, ip, now) >= MAX_IP_FAILURES:
        session.add(LoginAttempt(username=name, ip=ip, ok=False, at=now))
        raise LoginFailed("Quá nhiều lần đăng nhập sai từ địa chỉ này; thử lại sau 15 phút", locked=True)
    user = (
        await session.execute(
            select(User)
            .where(User.username == name)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if user is not None and _locked(user, now):
        session.add(LoginAttempt(username=name, ip=ip, ok=False, at=now))
        raise LoginFailed(LOCKED, locked=True)
    stored = user.password_hash if user else DUMMY_HASH
    ok = await asyncio.to_thread(verify_password, stored, password or "")
    ok = ok and user is not None and user.active
    session.add(LoginAttempt(username=name, ip=ip, ok=ok, at=now))
    if not ok or user is None:
        await session.flush()
        if user is not None and await _recent_failures(session, name, now) >= MAX_FAILURES:
            user.locked_until = now + LOCK_FOR
            raise LoginFailed(LOCKED, locked=True)
        raise LoginFailed("Tên đăng nhập hoặc mật khẩu không đúng")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user  # an expired lock stays recorded; a success never lifts an active one


def _locked(user: User, now: datetime) -> bool:
    until = as_utc(user.locked_until)
    return until is not None and until > now


async def new_session(
    session: AsyncSession, user_id: int | None, now: datetime, ip: str | None
) -> NewSession:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    ttl = SESSION_IDLE if user_id is not None else ANON_SESSION_TTL
    row = UserSession(
        token_hash=token_hash(token),
        user_id=user_id,
        csrf_token=csrf,
        ip=ip,
        created_at=now,
        last_seen_at=now,
        expires_at=now + ttl,
    )
    session.add(row)
    await session.flush()
    return NewSession(token, csrf, row)


async def find_session(session: AsyncSession, token: str | None, now: datetime) -> UserSession | None:
    if not token or len(token) > 200:
        return None
    row = await session.get(UserSession, token_hash(token))
    if row is None:
        return None
    expires = as_utc(row.expires_at)
    if expires is None or expires <= now:
        await session.delete(row)
        return None
    return row


TOUCH_EVERY = timedelta(seconds=60)


async def touch(row: UserSession, now: datetime) -> None:
    """Sliding idle expiry for logged-in sessions (written at most once a minute)."""
    seen = as_utc(row.last_seen_at)
    if seen is not None and now - seen < TOUCH_EVERY:
        return
    row.last_seen_at = now
    if row.user_id is not None:
        row.expires_at = now + SESSION_IDLE


async def end_session(session: AsyncSession, token: str | None) -> None:
    if token:
        await session.execute(delete(UserSession).where(UserSession.token_hash == token_hash(token)))


async def login(
    session: AsyncSession, username: str, password: str, now: datetime, ip: str | None, old_token: str | None
) -> tuple[User, NewSession]:
    """Authenticate and issue a NEW session id (the pre-login one is destroyed: no fixation)."""
    user = await authenticate(session, username, password, now, ip)
    await end_session(session, old_token)
    return user, await new_session(session, user.id, now, ip)


async def set_password(session: AsyncSession, user: User, password: str, now: datetime) -> None:
    user.password_hash = hash_password(password)
    user.updated_at = now
    await session.execute(delete(UserSession).where(UserSession.user_id == user.id))


LAST_ADMIN = "Không thể hạ quyền hoặc khóa quản trị viên đang hoạt động cuối cùng"
FULL_NAME_MAX = 200
EMAIL_MAX = 320
BAD_EMAIL = "Địa chỉ e-mail không hợp lệ"


def clean_email(value: str) -> str | None:
    """An address for the notices (``""``: none); raises :class:`AccountError` when it is not
    one plain ``local@domain.tld`` address."""
    value = value.strip()
    if not value:
        return None
    local, at, domain = value.rpartition("@")
    if (
        len(value) > EMAIL_MAX
        or not at
        or not local
        or "." not in domain.strip(".")
        or any(c.isspace() or c in '<>,;:"()[]\\@' or ord(c) < 32 for c in local + domain)
    ):
        raise AccountError(BAD_EMAIL)
    return value


async def update_user(
    session: AsyncSession,
    user: User,
    now: datetime,
    *,
    full_name: str | None = None,
    role: Role | str | None = None,
    agency_id: int | None = None,
    agency_given: bool = False,
    active: bool | None = None,
    email: str | None = None,
    email_notices: bool | None = None,
) -> dict[str, dict[str, object]]:
    """Change an account's name, role, agency, active state, notice e-mail address (``""``
    removes it) or e-mail notice choice (``None``: unchanged;
    ``agency_given``: ``agency_id`` was sent, ``None`` meaning no agency). An agency officer
    must have an agency, every other role has none. The last active admin is never demoted
    or deactivated. A role change or a deactivation ends the account's sessions. Returns
    the changed fields as ``{field: {"from": old, "to": new}}``; raises :class:`AccountError`."""
    new_role = Role(role) if role is not None else Role(user.role)
    new_active = user.active if active is None else bool(active)
    new_agency = agency_id if agency_given else user.agency_id
    if new_role != Role.AGENCY:
        new_agency = None
    elif new_agency is None:
        raise AccountError(AGENCY_REQUIRED)
    elif new_agency != user.agency_id and await session.get(Agency, new_agency) is None:
        raise AccountError(f"Không có đơn vị #{new_agency}")
    new_name = user.full_name if full_name is None else full_name.strip()
    if len(new_name) > FULL_NAME_MAX:
        raise AccountError(f"Họ tên tối đa {FULL_NAME_MAX} ký tự")
    was_admin = user.role == Role.ADMIN.value and user.active
    if was_admin and not (new_role == Role.ADMIN and new_active):
        admins = await session.execute(
            select(User.id)
            .where(User.role == Role.ADMIN.value, User.active.is_(True))
            .with_for_update()  # two admins demoting each other at once: one waits, then sees
        )
        if not [i for i in admins.scalars() if i != user.id]:
            raise AccountError(LAST_ADMIN)
    after: dict[str, object] = {
        "full_name": new_name,
        "role": new_role.value,
        "agency_id": new_agency,
        "active": new_active,
        "email": user.email if email is None else clean_email(email),
        "email_notices": bool(user.email_notices if email_notices is None else email_notices),
    }
    changed = {k: {"from": getattr(user, k), "to": v} for k, v in after.items() if getattr(user, k) != v}
    if not changed:
        return changed
    for key, value in after.items():
        setattr(user, key, value)
    user.updated_at = now
    if "role" in changed or ("active" in changed and not new_active):
        await session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    if "active" in changed and new_active:
        user.locked_until = None
    return changed
