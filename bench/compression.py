"""`python -m bench.compression`: how long a conversation a session holds, with and without context compression.

Real Navi servers (as in the end-to-end tests) against the fake Ollama, on the `tiny` profile (a 4,096-token
window). Each turn sends a user message of --chars characters; the fake echoes its first 200 and counts prompt
tokens as characters / 4, as a real model roughly does. It prints:
  1. without compression (every summary request fails, so the context is left whole): the turns the session
     holds before the context passes the window, where Ollama would start dropping the start of the conversation;
  2. with compression: the turns held (all of --turns), how often it compressed, the highest context fill and the
     fill right after a compression;
  3. the time compression adds to the run that triggers it: the gap between the answer's last token and
     stream_end (the run closes after the summary is stored), median over compressing runs versus the others.
     With --summary-seconds the fake takes that long to write each summary, standing in for a real model.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.run import services_up
from tests.e2e.client import connect, new_session, rest
from tests.e2e.servers import start_servers
from tests.fakes.fake_ollama import FakeOllama

SUMMARIZE = "You compress a conversation"  # the summary request's instructions (agents_app/engine/compression.py)
SUMMARY = " ".join(["The user sent numbered notes about the project and the assistant acknowledged each."] * 8)


@dataclass
class Turn:
    number: int
    context_tokens: int
    max_context: int
    run_seconds: float
    end_gap_seconds: float  # last stream_delta -> stream_end
    compressed: bool = False

    @property
    def fill(self) -> float:
        return self.context_tokens / self.max_context


@dataclass
class Conversation:
    turns: list[Turn] = field(default_factory=list)
    context_messages: int = 0
    display_messages: int = 0


async def converse(servers, turns: int, chars: int, *, stop_when_full: bool) -> Conversation:
    sid = new_session(servers.url, "tiny")
    socket = await connect(servers.ws_url(servers.url, sid))
    await socket.next()  # session_sync
    result = Conversation()
    filler = ("note " * (chars // 5))[:chars]
    try:
        for number in range(1, turns + 1):
            started = time.perf_counter()
            await socket.message(f"turn {number}: {filler}")
            last_delta = started
            while True:
                event = await socket.next(120)
                if event["type"] == "stream_delta":
                    last_delta = time.perf_counter()
                elif event["type"] in ("stream_end", "error", "stream_stopped"):
                    break
            ended = time.perf_counter()
            if event["type"] != "stream_end":
                raise RuntimeError(f"turn {number} ended with {event}")
            turn = Turn(
                number, event["context_tokens"], event["max_context_tokens"], ended - started, ended - last_delta
            )
            if turn.fill >= 0.8:
                try:
                    turn.compressed = (await socket.next(2))["type"] == "context_compressed"
                except TimeoutError:
                    pass
            result.turns.append(turn)
            if stop_when_full and turn.context_tokens > turn.max_context:
                break
    finally:
        await socket.close()
    with rest(servers.url) as api:
        result.display_messages = len(api.get(f"/sessions/{sid}").json()["messages"])
        result.context_messages = api.get(f"/sessions/{sid}/context").json()["message_count"]
    return result


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} ms" if values else "n/a"


async def bench_setup(name: str, fake: FakeOllama, args, **urls) -> None:
    with tempfile.TemporaryDirectory(prefix="navi-bench-") as tmp:
        servers = start_servers(Path(tmp), ollama_url=fake.url, extra_env={"NAVI_LOG_LEVEL": "ERROR"}, **urls)
        try:
            print(f"\n## {name}")
            fake.reset()
            fake.add_rule(SUMMARIZE, [{"http_status": 500, "error": "summaries disabled for this measure"}], "system")
            plain = await converse(servers, args.turns, args.chars, stop_when_full=True)
            full = next((t for t in plain.turns if t.context_tokens > t.max_context), None)
            held = (full.number - 1) if full else len(plain.turns)
            per_turn = (plain.turns[-1].context_tokens - plain.turns[0].context_tokens) / max(1, len(plain.turns) - 1)
            window = plain.turns[0].max_context
            print(f"window {window} tokens, ~{per_turn:.0f} tokens per turn ({args.chars}-character messages)")
            print(f"without compression: {held} turns fit; turn {held + 1} passes the window "
                  f"({full.context_tokens if full else '-'} tokens)")  # fmt: skip

            fake.reset()
            fake.add_rule(SUMMARIZE, [{"content": SUMMARY, "delay": args.summary_seconds}], "system")
            long = await converse(servers, args.turns, args.chars, stop_when_full=False)
            compressing = [t for t in long.turns if t.compressed]
            after = [long.turns[t.number].context_tokens - per_turn for t in compressing if t.number < len(long.turns)]
            peak = max(t.fill for t in long.turns)
            within = all(t.context_tokens <= t.max_context for t in long.turns)
            after_text = f"~{statistics.median(after) / window:.0%}" if after else "n/a"
            print(
                f"with compression: {len(long.turns)} turns held (all within the window: {within}), "
                f"{len(compressing)} compressions, peak fill {peak:.0%}, fill after a compression {after_text}"
            )
            print(
                f"  at the end: {long.display_messages} messages in the display history, "
                f"{long.context_messages} in the model's context (system prompt and summary included)"
            )
            others = [t for t in long.turns if not t.compressed]
            added = statistics.median([t.end_gap_seconds for t in compressing]) - statistics.median(
                [t.end_gap_seconds for t in others]
            )
            print(f"time compression adds to its run: last token -> stream_end "
                  f"{ms([t.end_gap_seconds for t in compressing])} vs {ms([t.end_gap_seconds for t in others])} "
                  f"-> +{added * 1000:.1f} ms "
                  f"(summary written in {args.summary_seconds:g} s by the fake); whole run "
                  f"{ms([t.run_seconds for t in compressing])} vs {ms([t.run_seconds for t in others])}")  # fmt: skip
        finally:
            servers.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=60, help="turns of the conversation with compression")
    parser.add_argument("--chars", type=int, default=1200, help="characters per user message")
    parser.add_argument("--summary-seconds", type=float, default=0.0, help="time the fake takes to write a summary")
    parser.add_argument("--only", choices=["embedded", "scaled"])
    args = parser.parse_args()
    fake = FakeOllama()
    fake.start()
    try:
        print(f"Navi compression benchmark against the fake Ollama at {fake.url} ({os.cpu_count()} cores)")
        if args.only in (None, "embedded"):
            await bench_setup("embedded (SQLite, in-memory layer)", fake, args, database_url="", redis_url="")
        pg, redis = services_up()
        if args.only in (None, "scaled"):
            if pg and redis:
                await bench_setup("scaled (PostgreSQL + Redis)", fake, args, database_url=pg, redis_url=redis)
            else:
                print("\n## scaled: skipped, PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 must both answer")
    finally:
        fake.stop()


if __name__ == "__main__":
    asyncio.run(main())
