"""`python -m tests.fakes.fake_ollama --port 0`: serve the fake until interrupted."""

from __future__ import annotations

import argparse
import asyncio

from tests.fakes.fake_ollama.server import FakeOllama


async def main() -> None:
    parser = argparse.ArgumentParser(description="A fake Ollama server for Navi's tests, benchmark and demo.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=11434)
    parser.add_argument("--parallel", type=int, default=None, help="requests per model at once (OLLAMA_NUM_PARALLEL)")
    parser.add_argument("--max-loaded", type=int, default=None, help="models loaded at once (OLLAMA_MAX_LOADED_MODELS)")
    args = parser.parse_args()
    fake = FakeOllama(args.host, args.port, parallel=args.parallel, max_loaded=args.max_loaded)
    await fake.serve()
    print(f"fake-ollama listening on {fake.url}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
