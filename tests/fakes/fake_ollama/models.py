"""The models the fake Ollama knows and how `/api/show` and `/api/tags` describe them."""

from __future__ import annotations

import hashlib

# name -> (architecture, context length)
DEFAULT_MODELS: dict[str, tuple[str, int]] = {
    "gemma4:26b-a4b-it-q4_K_M": ("gemma4", 131072),
    "qwen3:8b": ("qwen3", 40960),
    "llama3.2:3b": ("llama", 8192),
    "tiny:ctx": ("llama", 4096),
}

MODIFIED_AT = "2026-10-01T12:00:00.000000000Z"


def _details(arch: str) -> dict:
    return {
        "parent_model": "",
        "format": "gguf",
        "family": arch,
        "families": [arch],
        "parameter_size": "8.0B",
        "quantization_level": "Q4_K_M",
    }


def show_body(name: str, arch: str, context_length: int) -> dict:
    return {
        "license": "",
        "modelfile": f"FROM {name}\n",
        "parameters": "temperature 1",
        "template": "{{ .Prompt }}",
        "details": _details(arch),
        "model_info": {
            "general.architecture": arch,
            "general.parameter_count": 8_000_000_000,
            f"{arch}.context_length": context_length,
            f"{arch}.embedding_length": 4096,
        },
        "capabilities": ["completion", "tools", "thinking"],
        "modified_at": MODIFIED_AT,
    }


def tags_body(models: dict[str, tuple[str, int]]) -> dict:
    return {
        "models": [
            {
                "name": name,
                "model": name,
                "modified_at": MODIFIED_AT,
                "size": 5_000_000_000,
                "digest": hashlib.sha256(name.encode()).hexdigest(),
                "details": _details(arch),
            }
            for name, (arch, _ctx) in models.items()
        ]
    }
