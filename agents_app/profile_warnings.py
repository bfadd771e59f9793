"""What a profile's model cannot do, told before the first message (`GET /agents/profiles` field `warning`).

Read from Ollama's `/api/show` capabilities once per model and process. When Ollama cannot be asked, nothing is
claimed: the warning is null and the first message says what is wrong.
"""

from __future__ import annotations

import httpx
from django.conf import settings

from agents_app.ollama import ModelInfo, model_info_from_show
from agents_app.profiles import Profile

_known: dict[tuple[str, str], ModelInfo | str] = {}  # (host, model) -> what /api/show said, or "missing"


def _model_info(model: str) -> ModelInfo | str | None:
    key = (settings.OLLAMA_HOST, model)
    if key not in _known:
        try:
            response = httpx.post(
                f"{settings.OLLAMA_HOST}/api/show", json={"model": model}, timeout=httpx.Timeout(3, connect=1)
            )
        except httpx.HTTPError:
            return None  # not cached: Ollama may be up next time
        if response.status_code == 404:
            _known[key] = "missing"
        elif response.status_code == 200:
            _known[key] = model_info_from_show(response.json())
        else:
            return None
    return _known[key]


def profile_warning(profile: Profile) -> str | None:
    info = _model_info(profile.model)
    if info is None:
        return None
    if info == "missing":
        return f"Model {profile.model!r} is not on the Ollama server: pull it with `ollama pull {profile.model}`."
    problems = []
    if profile.enabled_tools and info.lacks("tools"):
        problems.append(f"model {profile.model!r} cannot call tools, so this profile's tools cannot run")
    if profile.think and info.lacks("thinking"):
        problems.append(f"model {profile.model!r} cannot think, so `think: true` is ignored")
    if not problems:
        return None
    text = "; ".join(problems)
    return text[0].upper() + text[1:] + "."


def reset_profile_warnings() -> None:
    _known.clear()
