"""What this app needs to know of agent profiles, without importing the app that owns them.

Profiles live in `agents_app`, which depends on this app; so this app declares the one question it asks
(may this user start a session with this profile, and with what context size?) and `agents_app` answers it,
installing its catalogue when Django starts (`AgentsAppConfig.ready`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class SessionProfile:
    id: str
    max_context_tokens: int | None


class ProfileCatalogue(Protocol):
    def profile_for_user(self, *, profile_id: str, user) -> SessionProfile | None:
        """The profile if it exists and `user` may use it, else None."""


_catalogue: ProfileCatalogue | None = None


def profile_catalogue_install(catalogue: ProfileCatalogue) -> None:
    global _catalogue
    _catalogue = catalogue


def profile_catalogue() -> ProfileCatalogue:
    if _catalogue is None:
        raise ImproperlyConfigured("No profile catalogue installed: is agents_app in INSTALLED_APPS?")
    return _catalogue
