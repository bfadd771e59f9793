"""The models the fake Ollama knows, what each can do, and how `/api/show`, `/api/tags` and `/api/ps` describe them.

Each model's fields decide how the fake answers it, as a real Ollama (0.32.x) answers that kind of model:
  capabilities               what `/api/show` lists; `think: true` without "thinking", `tools` without "tools"
                             and any chat without "completion" answer 400 (server/routes.go ChatHandler)
  thinks_by_default          with "thinking": a request that leaves `think` out thinks (Ollama >= 0.12.4)
  tool_calls_in_final_chunk  the tool calls ride in the `done: true` part instead of one part per call
  load_seconds               how long loading it takes, before the first byte of the request that loads it
  context_shift              False for families Ollama cannot shift (deepseek2): generation stops at num_ctx
                             with done_reason "length" and a prompt that does not fit answers 400
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

ALL = ("completion", "tools", "thinking")


@dataclass(frozen=True)
class FakeModel:
    arch: str = "llama"
    context_length: int = 8192
    capabilities: tuple[str, ...] = ALL
    thinks_by_default: bool = True
    tool_calls_in_final_chunk: bool = False
    load_seconds: float = 0.0
    context_shift: bool = True
    parameter_size: str = "8.0B"

    def can(self, capability: str) -> bool:
        return capability in self.capabilities


DEFAULT_MODELS: dict[str, FakeModel] = {
    # Navi's default profiles' model: thinks (by default too) and calls tools.
    "gemma4:26b-a4b-it-q4_K_M": FakeModel("gemma4", 131072, parameter_size="25.8B"),
    "qwen3:8b": FakeModel("qwen3", 40960, parameter_size="8.2B"),
    # Tools but no thinking, as the real llama3.2 (131072 trained context).
    "llama3.2:3b": FakeModel("llama", 131072, ("completion", "tools"), parameter_size="3.2B"),
    # The tests' small-context model ("tiny" profile: think false): tools, no thinking.
    "tiny:ctx": FakeModel("llama", 4096, ("completion", "tools"), parameter_size="1.0B"),
    # Models for the refusals and quirks of real servers.
    "nothink:3b": FakeModel("llama", 8192, ("completion", "tools"), parameter_size="3.2B"),
    "notools:1b": FakeModel("gemma3", 32768, ("completion",), parameter_size="1.0B"),
    "final-calls:7b": FakeModel(
        "qwen2", 32768, ("completion", "tools"), tool_calls_in_final_chunk=True, parameter_size="7.6B"
    ),  # fmt: skip
    "noshift:16b": FakeModel("deepseek2", 163840, ("completion",), context_shift=False, parameter_size="15.7B"),
    "nomic-embed-text:latest": FakeModel("nomic-bert", 2048, ("embedding",), parameter_size="137M"),
}

MODIFIED_AT = "2026-10-01T12:00:00.000000000Z"


def _details(model: FakeModel) -> dict:
    return {
        "parent_model": "",
        "format": "gguf",
        "family": model.arch,
        "families": [model.arch],
        "parameter_size": model.parameter_size,
        "quantization_level": "Q4_K_M",
    }


def digest(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def show_body(name: str, model: FakeModel) -> dict:
    return {
        "license": "",
        "modelfile": f"FROM {name}\n",
        "parameters": "temperature 1",
        "template": "{{ .Prompt }}",
        "details": _details(model),
        "model_info": {
            "general.architecture": model.arch,
            "general.parameter_count": 8_000_000_000,
            f"{model.arch}.context_length": model.context_length,
            f"{model.arch}.embedding_length": 4096,
        },
        "capabilities": list(model.capabilities),
        "modified_at": MODIFIED_AT,
    }


def tags_body(models: dict[str, FakeModel]) -> dict:
    return {
        "models": [
            {
                "name": name,
                "model": name,
                "modified_at": MODIFIED_AT,
                "size": 5_000_000_000,
                "digest": digest(name),
                "details": _details(model),
            }
            for name, model in models.items()
        ]
    }


def ps_entry(name: str, model: FakeModel, num_ctx: int, expires_at: str) -> dict:
    """One loaded model as `/api/ps` lists it (server/routes.go PsHandler)."""
    return {
        "name": name,
        "model": name,
        "size": 5_000_000_000,
        "digest": digest(name),
        "details": _details(model),
        "expires_at": expires_at,
        "size_vram": 5_000_000_000,
        "context_length": num_ctx,
    }
