"""`POST /webhooks/gnexus-auth`: the OAuth server tells Navi a user changed or is gone.

Checked in this order, so nothing unsigned is even parsed: the HMAC-SHA256 signature over the raw body
(constant-time compare; 401), the body's shape and its `sent_at` window (400), then the delivery id (a
redelivery answers 200 and changes nothing).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts_app.models import WebhookDelivery
from accounts_app.services import UserClaims, user_deactivate, user_update_from_webhook
from navi_project.errors import ApplicationError

SIGNATURE_HEADER = "X-Gnexus-Signature"
SENT_AT_WINDOW_SECONDS = 300
EVENTS = ("user.updated", "user.deleted")


@dataclass(frozen=True)
class WebhookEvent:
    delivery_id: str
    event: str
    sent_at: float
    user: UserClaims


def webhook_verify(*, body: bytes, signature: str | None) -> None:
    secret = settings.GNEXUS_AUTH_WEBHOOK_SECRET
    if not secret:
        raise ApplicationError("Webhooks are not configured: set GNEXUS_AUTH_WEBHOOK_SECRET", 401)
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not signature or not hmac.compare_digest(expected.encode(), signature.strip().encode("latin-1", "replace")):
        raise ApplicationError(f"Missing or bad {SIGNATURE_HEADER}", 401)


def _optional_text(user: dict, key: str) -> str | None:
    value = user.get(key)
    if value is not None and not isinstance(value, str):
        raise ApplicationError(f"user.{key} must be a string")
    return value


def webhook_parse(*, body: bytes, now: float | None = None) -> WebhookEvent:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApplicationError("The body must be JSON (nested at most a few hundred levels)") from None
    if _has_lone_surrogate(data):
        raise ApplicationError("The body holds text that is not valid Unicode (a lone surrogate)")
    if not isinstance(data, dict):
        raise ApplicationError("The body must be a JSON object")
    delivery_id, event, sent_at, user = data.get("id"), data.get("event"), data.get("sent_at"), data.get("user")
    if not isinstance(delivery_id, str) or not 0 < len(delivery_id) <= 200:
        raise ApplicationError("id must be a delivery id (a string of 1 to 200 characters)")
    if event not in EVENTS:
        raise ApplicationError(f"event must be one of: {', '.join(EVENTS)}")
    if isinstance(sent_at, bool) or not isinstance(sent_at, int | float) or not _finite(sent_at):
        raise ApplicationError("sent_at must be a number of unix seconds")
    if abs((time.time() if now is None else now) - sent_at) > SENT_AT_WINDOW_SECONDS:
        raise ApplicationError(f"sent_at is more than {SENT_AT_WINDOW_SECONDS} seconds from now")
    if not isinstance(user, dict) or not isinstance(user.get("sub"), str) or not user["sub"].strip():
        raise ApplicationError("user must be an object with a `sub`")
    role = user.get("role")
    if role is not None and role not in ("admin", "user"):
        raise ApplicationError("user.role must be admin or user")
    permissions = user.get("permissions")
    if permissions is not None and (
        not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions)
    ):
        raise ApplicationError("user.permissions must be a list of strings")
    return WebhookEvent(
        delivery_id=delivery_id,
        event=event,
        sent_at=float(sent_at),
        user=UserClaims(
            sub=user["sub"],
            email=_optional_text(user, "email"),
            display_name=_optional_text(user, "display_name") or _optional_text(user, "name"),
            role=role,
            permissions=tuple(permissions) if permissions is not None else None,
        ),
    )


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer of hundreds of digits
        return False


def _has_lone_surrogate(value: object, depth: int = 0) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(item, depth + 1) for item in value)
    return False


def webhook_apply(*, event: WebhookEvent) -> bool:
    """Apply the event once; False when this delivery id was applied before."""
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(id=event.delivery_id, event=event.event)
            if event.event == "user.deleted":
                user_deactivate(sub=event.user.sub)
            else:
                user_update_from_webhook(claims=event.user)
    except IntegrityError:
        return False  # the same delivery, applied before (or by a concurrent redelivery)
    return True
