"""A fake Ollama server that speaks Ollama's wire format, driven by scripts instead of a model.

Scripts choose each reply: inline in the last user message (`[[fake:{"turns": [...]}]]`), by name
(`[[fake:NAME]]`, set with `set_script`), or by rules matched against the request (`add_rule`). Without one the
reply is `Echo: <last user message>`. See `scripts.py` for the fields of a turn.
"""

from tests.fakes.fake_ollama.models import DEFAULT_MODELS
from tests.fakes.fake_ollama.scripts import script
from tests.fakes.fake_ollama.server import FakeOllama

__all__ = ["DEFAULT_MODELS", "FakeOllama", "script"]
