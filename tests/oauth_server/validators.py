"""The claims Navi reads about a user, in the userinfo response and the ID token."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from oauth2_provider.oauth2_validators import OAuth2Validator

if TYPE_CHECKING:
    from tests.oauth_server.identity.models import Account


def _account(request: Any) -> Account:
    """The user's account, looked up once per request so all claims of one response agree."""
    account = getattr(request, "_identity_account", None)
    if account is None or account.user_id != request.user.pk:
        from tests.oauth_server.identity.models import Account

        # Users made another way (say a superuser) get an account with the defaults on first use.
        account, _ = Account.objects.get_or_create(user=request.user)
        request._identity_account = account
    return account


class ClaimsValidator(OAuth2Validator):
    # Claims outside this map are dropped, whatever the scopes; Navi's own claims come with "profile".
    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "display_name": "profile",
        "role": "profile",
        "permissions": "profile",
    }

    # No request parameter: the toolkit then calls each value with the request, and the discovery document
    # lists these claims under claims_supported.
    def get_additional_claims(self) -> dict[str, Callable[[Any], Any]]:
        return {
            # Replaces the toolkit's integer primary key: a stable id that does not leak row counts.
            "sub": lambda request: str(_account(request).sub),
            "email": lambda request: request.user.email,
            "email_verified": lambda request: bool(request.user.email),
            "preferred_username": lambda request: request.user.get_username(),
            "name": lambda request: _account(request).display_name or request.user.get_username(),
            "display_name": lambda request: _account(request).display_name or request.user.get_username(),
            "role": lambda request: _account(request).role,
            "permissions": lambda request: list(_account(request).permissions),
        }
