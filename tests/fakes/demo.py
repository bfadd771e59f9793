"""`make demo`: Navi on the embedded defaults, talking to the fake Ollama, for trying it without a model.

The fake answers a few keywords the way a model would: "todo" adds an item with the todo tool, "think" shows
reasoning, "code" answers with a code block, "long" streams a long answer slowly; anything else is echoed.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.fakes.fake_ollama import FakeOllama

ROOT = Path(__file__).resolve().parents[2]

DEMO_RULES = [
    ("todo", [
        {"thinking": "The user wants this on their list.", "tool_calls": [{"name": "todo", "arguments": {"action": "add", "text": "Try Navi"}}]},
        {"content": "Added **Try Navi** to your todo list."},
    ]),
    ("think", [{"thinking": "Let me reason about this step by step. " * 5, "content": "Here is my considered answer.", "delay": 0.03}]),
    ("code", [{"content": "Here you go:\n\n```python\ndef greet(name):\n    return f\"Hello, {name}!\"\n```\n", "delay": 0.02}]),
    ("long", [{"content": " ".join(f"Sentence {i} of a long answer." for i in range(200)), "delay": 0.03}]),
]  # fmt: skip


class Stopped(Exception):
    pass


def _stop(signum, frame):
    raise Stopped(signum)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    # SIGTERM (`kill`, `make` passing it on, a service manager) must stop the server too, not just this process:
    # Python's default for it ends us at once, without running `finally`, and the server would stay up.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)
    fake = FakeOllama().start()
    for keyword, turns in DEMO_RULES:
        fake.add_rule(keyword, turns)
    print(f"fake Ollama at {fake.url}; Navi at http://{args.host}:{args.port}/", flush=True)
    env = {**os.environ, "OLLAMA_HOST": fake.url}
    command = [sys.executable, "manage.py", "runserver", f"{args.host}:{args.port}", "--noreload", "--nostatic"]
    server = None
    try:
        server = subprocess.Popen(command, cwd=ROOT, env=env)
        server.wait()
    except (KeyboardInterrupt, Stopped):
        pass
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        fake.stop()


if __name__ == "__main__":
    main()
