"""Which reply the fake gives to a chat request, and the pieces it streams.

A script is a list of turns. The turn used for a request is the number of assistant messages after the last
user message, so a script of [tool call, answer] plays one model turn per request of the agent's tool loop.
Past the end of a script the fake answers "Done." (or repeats the last turn when the script says `repeat`).

Fields of a turn (all optional):
  thinking, content       text streamed as `message.thinking`, then `message.content`; the thinking only when the
                          model thinks in that request (`think` true, or left out on a model that thinks by default,
                          which then reasons a little even when the turn has no thinking)
  tool_calls              [{"name": ..., "arguments": {...}, "id": optional}] after the content, one part per call
                          (or all in the final part, for models with `tool_calls_in_final_chunk`), each with an
                          `id` ("call_" and 8 of [a-z0-9] unless given) and `function.index`
  tokens                  content of N pieces "tok0 tok1 ..." (with `stamp`: "<unix time> " of each write)
  pieces                  how many pieces to split the text into (default: one per word)
  delay, first_delay      seconds between pieces, and before the first one
  error, error_after      an `{"error": ...}` line after that many pieces (default 0)
  http_status             answer with that HTTP status and `{"error": error}` instead of a stream
  hang                    send nothing at all (to test timeouts and stop)
  prompt_eval_count, eval_count   the final counters (defaults: prompt characters / 4, pieces streamed)

Thinking pieces, content pieces and tool calls each count as one token against `options.num_predict` and the
context; an answer cut there ends with `done_reason: "length"`.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field

INLINE = re.compile(r"\[\[fake:(.*?)\]\]", re.S)


@dataclass
class Rule:
    match: str
    turns: list[dict]
    where: str = "last_user"  # last_user | system | any
    times: int | None = None  # uses left (counted on the first turn of the script); None = forever
    repeat: bool = False

    def applies(self, messages: list[dict]) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.where == "system":
            texts = [m.get("content") or "" for m in messages if m.get("role") == "system"]
        elif self.where == "any":
            texts = [m.get("content") or "" for m in messages]
        else:
            texts = [last_user(messages)]
        return any(self.match in text for text in texts)


@dataclass
class Scripts:
    named: dict[str, list[dict]] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)

    def turn_for(self, messages: list[dict]) -> dict:
        index = turn_index(messages)
        text = last_user(messages)
        inline = INLINE.search(text)
        if inline:
            turns, repeat = self._inline(inline.group(1))
            return pick(turns, index, repeat)
        for rule in self.rules:
            if rule.applies(messages):
                if index == 0 and rule.times is not None:
                    rule.times -= 1
                return pick(rule.turns, index, rule.repeat)
        if index > 0:
            return {"content": "Done."}
        clean = INLINE.sub("", text).strip()
        return {"content": "Echo: " + clean[:200]}

    def _inline(self, body: str) -> tuple[list[dict], bool]:
        body = body.strip()
        if body in self.named:
            return self.named[body], False
        try:
            script = json.loads(body)
        except json.JSONDecodeError:
            return [{"http_status": 400, "error": f"fake: unknown script {body[:60]!r}"}], False
        if isinstance(script, dict) and "turns" in script:
            return list(script["turns"]), bool(script.get("repeat"))
        if isinstance(script, list):
            return script, False
        return [script], False


def script(*turns: dict, repeat: bool = False) -> str:
    """The inline marker that makes the fake play these turns for the message that carries it."""
    body: dict = {"turns": list(turns)}
    if repeat:
        body["repeat"] = True
    return "[[fake:" + json.dumps(body) + "]]"


def last_user(messages: list[dict]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return message.get("content") or ""
    return ""


def turn_index(messages: list[dict]) -> int:
    count = 0
    for message in reversed(messages):
        if message.get("role") == "user":
            break
        if message.get("role") == "assistant":
            count += 1
    return count


def pick(turns: list[dict], index: int, repeat: bool) -> dict:
    if index < len(turns):
        return turns[index]
    if repeat and turns:
        return turns[-1]
    return {"content": "Done."}


def split(text: str, pieces: int | None) -> list[str]:
    if not text:
        return []
    if pieces:
        size = max(1, -(-len(text) // pieces))
        return [text[i : i + size] for i in range(0, len(text), size)]
    return re.findall(r"\S+\s*|\s+", text)


def token_pieces(turn: dict):
    """Content pieces of a `tokens` turn, made when written so stamps tell when the fake sent them."""
    for i in range(int(turn["tokens"])):
        yield f"<{time.time():.6f}> " if turn.get("stamp") else f"tok{i} "
