"""One context size per model: what every call for that model sends as `num_ctx`, so Ollama never reloads it.

A profile's own budget (when compression starts) is its `max_context_tokens`, else the smaller of the model's
trained context and NAVI_DEFAULT_CONTEXT_TOKENS. Ollama keeps one loaded copy per `num_ctx`, so the model is
loaded once with the largest budget any profile using it has, and every call (chat, plans, summaries, names)
asks for exactly that.
"""

from __future__ import annotations

from django.conf import settings

from agents_app.engine.agent import context_budget


def profile_context(*, explicit: int | None, trained: int | None) -> int:
    return context_budget(explicit=explicit, default=settings.NAVI_DEFAULT_CONTEXT_TOKENS, trained=trained)


def num_ctx_for_model(model: str, trained: int | None) -> int:
    from agents_app.profiles import profile_catalog

    budgets = [
        profile_context(explicit=p.max_context_tokens, trained=trained)
        for p in profile_catalog().values()
        if p.model == model
    ]
    return max(budgets, default=profile_context(explicit=None, trained=trained))
