"""The OAuth 2.0 login against gnexus-auth: authorization code with PKCE S256, then userinfo.

authlib does the protocol (authorization URL, code challenge, token request, bearer on userinfo); this module
owns what Navi adds around it: the login attempt that binds state and verifier to one browser for one use,
and the mapping of failures to 400 (the code or state is bad) and 502 (the sign-in server failed).
See docs/auth.md for why not django-allauth.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts_app.auth_sessions import LOGIN_ATTEMPT_TTL
from accounts_app.models import LoginAttempt
from accounts_app.services import UserClaims
from accounts_app.tokens import secret_hash, secret_is_well_formed, secret_new
from navi_project.errors import ApplicationError

LOGIN_COOKIE = "navi_login"
EXCHANGE_TIMEOUT_SECONDS = 10


class LoginRefused(ApplicationError):
    """The callback cannot log anyone in: bad state, wrong browser, a code the server refused (400)."""

    def __init__(self, message: str):
        super().__init__(message, 400)


class ProviderFailed(ApplicationError):
    """The sign-in server could not be reached or answered nonsense (502)."""

    def __init__(self, message: str):
        super().__init__(message, 502)


@dataclass(frozen=True)
class LoginStart:
    authorize_url: str
    browser_secret: str  # the value of the `navi_login` cookie that binds the attempt to this browser


@dataclass(frozen=True)
class ClaimedLogin:
    code_verifier: str
    mobile: bool


def redirect_uri() -> str:
    # From NAVI_PUBLIC_URL, never from the request's Host: a forged Host must not choose where codes go.
    return f"{settings.NAVI_PUBLIC_URL}/auth/callback"


def _client() -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=settings.GNEXUS_AUTH_CLIENT_ID,
        client_secret=settings.GNEXUS_AUTH_CLIENT_SECRET,
        token_endpoint_auth_method="client_secret_basic" if settings.GNEXUS_AUTH_CLIENT_SECRET else "none",
        scope=settings.GNEXUS_AUTH_SCOPE,
        redirect_uri=redirect_uri(),
        code_challenge_method="S256",
        timeout=EXCHANGE_TIMEOUT_SECONDS,
    )


def login_begin(*, mobile: bool, browser_secret: str | None) -> LoginStart:
    """Record a login attempt and build the authorize URL. A browser keeps its `navi_login` value across
    attempts, so two tabs signing in at once both succeed."""
    if not secret_is_well_formed(browser_secret):
        browser_secret = secret_new()
    state, verifier = secret_new(), generate_token(64)
    LoginAttempt.objects.create(
        state_hash=secret_hash(state), browser_hash=secret_hash(browser_secret), code_verifier=verifier, mobile=mobile
    )
    url, _ = _client().create_authorization_url(settings.GNEXUS_AUTH_AUTHORIZE_URL, state=state, code_verifier=verifier)
    return LoginStart(authorize_url=url, browser_secret=browser_secret)


@transaction.atomic
def login_claim(*, state: str | None, browser_secret: str | None) -> ClaimedLogin:
    """Use up the attempt that `state` names, if this browser started it within the last 10 minutes."""
    if not state:
        raise LoginRefused("The sign-in answer has no state: start again from the sign-in page")
    attempt = LoginAttempt.objects.select_for_update().filter(state_hash=secret_hash(state)).first()
    if attempt is None:
        raise LoginRefused("The sign-in state is unknown: start again from the sign-in page")
    if attempt.used_at is not None:
        raise LoginRefused("This sign-in answer was already used: start again from the sign-in page")
    if timezone.now() - attempt.created_at > LOGIN_ATTEMPT_TTL:
        raise LoginRefused("The sign-in took longer than 10 minutes: start again from the sign-in page")
    if not secret_is_well_formed(browser_secret) or not hmac.compare_digest(
        attempt.browser_hash, secret_hash(browser_secret)
    ):
        raise LoginRefused("This sign-in was started in another browser: start again from this one")
    attempt.used_at = timezone.now()
    attempt.save(update_fields=["used_at", "updated_at"])
    return ClaimedLogin(code_verifier=attempt.code_verifier, mobile=attempt.mobile)


def _claims(info: object) -> UserClaims:
    if not isinstance(info, dict) or not isinstance(info.get("sub"), str) or not info["sub"].strip():
        raise ProviderFailed("The sign-in server's userinfo has no `sub`")
    permissions = info.get("permissions")
    display_name = info.get("display_name") or info.get("name")
    return UserClaims(
        sub=info["sub"],
        email=info["email"] if isinstance(info.get("email"), str) else None,
        display_name=display_name if isinstance(display_name, str) else None,
        role=info["role"] if info.get("role") in ("admin", "user") else "user",
        permissions=tuple(p for p in permissions if isinstance(p, str)) if isinstance(permissions, list) else (),
    )


async def login_exchange(*, code: str | None, claimed: ClaimedLogin) -> UserClaims:
    """Trade the code (with the verifier) for an access token, and read who signed in from userinfo."""
    import httpx2

    if not code:
        raise LoginRefused("The sign-in answer has no code")
    async with _client() as client:
        try:
            await client.fetch_token(settings.GNEXUS_AUTH_TOKEN_URL, code=code, code_verifier=claimed.code_verifier)
        except OAuthError as exc:  # the server answered with an OAuth error: the code, verifier or client is bad
            raise LoginRefused(f"The sign-in server refused the code: {exc.error}") from None
        except httpx2.HTTPError as exc:
            raise ProviderFailed(f"The sign-in server could not be reached: {type(exc).__name__}") from None
        except (ValueError, TypeError):
            raise ProviderFailed("The sign-in server's token answer is not a JSON object") from None
        try:
            response = await client.get(settings.GNEXUS_AUTH_USERINFO_URL)
            if response.status_code != 200:
                raise ProviderFailed(f"The sign-in server's userinfo answered {response.status_code}")
            return _claims(response.json())
        except httpx2.HTTPError as exc:
            raise ProviderFailed(f"The sign-in server's userinfo could not be read: {type(exc).__name__}") from None
        except OAuthError:  # the token answer held no access token
            raise ProviderFailed("The sign-in server gave no access token") from None
        except ValueError:
            raise ProviderFailed("The sign-in server's userinfo is not JSON") from None
