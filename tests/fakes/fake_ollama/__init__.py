"""A fake Ollama server that speaks Ollama's wire format, driven by scripts instead of a model.

Scripts choose each reply: inline in the last user message (`[[fake:{"turns": [...]}]]`), by name
(`[[fake:NAME]]`, set with `set_script`), or by rules matched against the request (`add_rule`). Without one the
reply is `Echo: <last user message>`. See `scripts.py` for the fields of a turn.

It answers each model as a real Ollama (0.32.x) would (`models.py`): capability refusals with Ollama's messages,
thinking by default, num_predict and context limits ending in done_reason "length", tool calls one part each with
an id, loads on a new model or num_ctx (`loads`), and requests queued by `parallel` (`sched.py`).
"""

from tests.fakes.fake_ollama.models import DEFAULT_MODELS, FakeModel
from tests.fakes.fake_ollama.scripts import script
from tests.fakes.fake_ollama.server import FakeOllama

__all__ = ["DEFAULT_MODELS", "FakeModel", "FakeOllama", "script"]
