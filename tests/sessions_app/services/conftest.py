"""The services' tests share a fresh channel layer each, and a session of the local owner."""

from __future__ import annotations

import pytest
from channels.layers import channel_layers

from accounts_app.services import user_get_or_create_owner
from sessions_app.services.sessions import session_create


@pytest.fixture
def fresh_layer():
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def owner():
    return user_get_or_create_owner()


@pytest.fixture
def session(owner):
    return session_create(user=owner, profile_id="secretary")
