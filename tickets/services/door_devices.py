"""Door devices: tokens for the check-in API, instead of a signed-in session.

A token is ``psdmdoor.<device id>.<secret>``, sent as ``Authorization:
Bearer <token>``. Only the secret's SHA-256 digest is stored, so the token
is shown once, when the device is made. A device acts as its door staff
account: it needs the check-in permission, and its scans are logged as that
account's, with the device.

A door device asks many times a second, so what checking a token needs (the
digest, the expiry, the account's name and whether it may check people in)
is remembered for CACHE_SECONDS. Revoking or changing a device, or saving
its account, forgets it at once (in this process, and in all of them when
the cache is shared); a permission taken away through a group works within
CACHE_SECONDS, as it does for a signed-in session. A check-in page's
device ends with its sign-in: signing out revokes it, it expires with the
session, and a new password ends it as it ends the session.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from psdm.ops.remembered import forget, remembered

from ..models import DoorDevice
from ..models.checkins import SCAN_DOOR_MAX_LENGTH
from .checkin import printable, who

PERMISSION = "tickets.check_in"
TOKEN_PREFIX = "psdmdoor"  # noqa: S105 - a name, not a secret
CACHE_SECONDS = 30
_TOKEN = re.compile(TOKEN_PREFIX + r"\.([1-9][0-9]{0,17})\.([A-Za-z0-9_-]{43})")
_MISSING = "missing"  # remembered too: a made-up id is not looked up each time

_WHAT = "door devices"  # in the log, when the cache fails


@dataclass(frozen=True)
class DoorIdentity:
    """Who a valid token speaks for."""

    device_id: int
    name: str
    user_id: int
    username: str
    first_name: str
    last_name: str
    allowed: bool  # the account is active and may check people in

    @property
    def user(self):
        """The account, with only its id and names loaded (enough to log a
        scan and say who admitted someone; anything else is fetched if
        asked for)."""
        User = get_user_model()
        fields = ["id", User.USERNAME_FIELD, "first_name", "last_name"]
        values = [self.user_id, self.username, self.first_name, self.last_name]
        return User.from_db(connection.alias, fields, values)


def device_create(
    *,
    name: str,
    user,
    kind: str = DoorDevice.Kind.APP,
    expires_at: datetime | None = None,
) -> tuple[DoorDevice, str]:
    """Make a device acting as `user`; return it and its token (shown once)."""
    secret = secrets.token_urlsafe(32)
    device = DoorDevice.objects.create(
        name=printable(name, SCAN_DOOR_MAX_LENGTH)
        or printable(who(user), SCAN_DOOR_MAX_LENGTH),
        user=user,
        kind=kind,
        expires_at=expires_at,
        secret_digest=_digest(secret),
        session_auth_hash=(
            user.get_session_auth_hash() if kind == DoorDevice.Kind.PAGE else ""
        ),
    )
    return device, f"{TOKEN_PREFIX}.{device.pk}.{secret}"


def devices_revoke(*, device_ids) -> int:
    """Revoke these devices (their tokens stop working at once); return how
    many were not revoked already."""
    device_ids = list(device_ids)
    revoked = DoorDevice.objects.filter(
        pk__in=device_ids, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    _forget(device_ids)  # update() sends no post_save
    return revoked


def token_device_id(token: str) -> int | None:
    """The device id a well-formed token names (not checked), or None."""
    parts = _parts(token)
    return parts[0] if parts else None


def authenticate(token: str) -> DoorIdentity | None:
    """Who this token speaks for; None if it is malformed, unknown, wrong,
    revoked or expired."""
    parts = _parts(token)
    if parts is None:
        return None
    device_id, secret = parts
    entry = _entry(device_id)
    if entry == _MISSING or not hmac.compare_digest(entry["digest"], _digest(secret)):
        return None
    expires = entry["expires"]
    if expires is not None and expires <= timezone.now().timestamp():
        return None
    return DoorIdentity(
        device_id=entry["id"],
        name=entry["name"],
        user_id=entry["user_id"],
        username=entry["username"],
        first_name=entry["first_name"],
        last_name=entry["last_name"],
        allowed=entry["allowed"],
    )


def device_forget(sender, instance, **kwargs) -> None:
    """Receiver for DoorDevice post_save and post_delete."""
    _forget([instance.pk])


def user_devices_forget(sender, instance, update_fields=None, **kwargs) -> None:
    """Receiver for the user model's post_save: an account made inactive (or
    renamed) stops (or is named anew on) its devices at once. Signing in
    saves only last_login, which changes nothing here."""
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    _forget(DoorDevice.objects.filter(user=instance).values_list("pk", flat=True))


# --- inside ------------------------------------------------------------------


def _parts(token) -> tuple[int, str] | None:
    """(device id, secret) of a well-formed token, else None."""
    match = _TOKEN.fullmatch(token) if isinstance(token, str) else None
    return (int(match[1]), match[2]) if match else None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _key(device_id: int) -> str:
    return f"door-device:{device_id}"


def _entry(device_id: int):
    """What checking this device's token needs, from the cache or the
    database; _MISSING for no such device, or a revoked one."""
    return remembered(
        _key(device_id), CACHE_SECONDS, lambda: _load(device_id), what=_WHAT
    )


def _load(device_id: int):
    device = (
        DoorDevice.objects.select_related("user")
        .filter(pk=device_id, revoked_at__isnull=True)
        .first()
    )
    if device is None:
        return _MISSING
    user = device.user
    if device.session_auth_hash and not _same_password(device, user):
        return _MISSING  # signed in before the password changed
    return {
        "id": device.pk,
        "name": device.name,
        "digest": device.secret_digest,
        "expires": device.expires_at.timestamp() if device.expires_at else None,
        "user_id": user.pk,
        "username": user.get_username(),
        "first_name": user.first_name,
        "last_name": user.last_name,
        "allowed": user.is_active and user.has_perm(PERMISSION),
    }


def _same_password(device: DoorDevice, user) -> bool:
    """As Django checks a session: the hash made from the account's password
    now (or with an old secret key still accepted) matches the device's."""
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    return any(hmac.compare_digest(device.session_auth_hash, value) for value in hashes)


def _forget(device_ids) -> None:
    forget([_key(device_id) for device_id in device_ids], what=_WHAT)
