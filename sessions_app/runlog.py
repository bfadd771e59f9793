"""The run event log: every event of a run, numbered, so a client that (re)connects gets each exactly once.

Without Redis the log lives in this process's memory (runs happen in this process too); with Redis it is one
Redis list per run, shared by every front end and worker. Entries are the event's JSON text, encoded once.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from sessions_app.feed import RedisFeed, feed_channel, run_feed
from sessions_app.redis_clients import LoopClients, PerProcess

LOG_TTL_SECONDS = 24 * 3600


@dataclass(frozen=True)
class LogEntry:
    seq: int
    text: str  # the event as JSON
    final: bool  # the run's last event


class RunLog(Protocol):
    async def append(self, run_id: str, text: str, final: bool) -> int | None: ...
    async def read(self, run_id: str, after: int = -1) -> list[LogEntry]: ...
    async def reseed(self, run_id: str, entries: list[tuple[str, bool]]) -> int: ...


# Ids are rendered here: group names and log keys are text. Either form of an id renders the same.
def run_control_group(run_id: UUID | str) -> str:
    return f"run.{run_id}"


class MemoryRunLog:
    """A log ends at its final entry: appends after it are refused (None), so a run has one terminal event."""

    def __init__(self, max_runs: int = 5000) -> None:
        self._runs: OrderedDict[str, list[tuple[str, bool]]] = OrderedDict()
        self._max_runs = max_runs

    async def append(self, run_id: str, text: str, final: bool) -> int | None:
        entries = self._runs.get(run_id)
        if entries is None:
            entries = self._runs[run_id] = []
            while len(self._runs) > self._max_runs:
                self._runs.popitem(last=False)
        if entries and entries[-1][1]:
            return None
        entries.append((text, final))
        return len(entries) - 1

    async def read(self, run_id: str, after: int = -1) -> list[LogEntry]:
        entries = self._runs.get(run_id, [])
        return [LogEntry(seq, text, final) for seq, (text, final) in enumerate(entries) if seq > after]

    async def reseed(self, run_id: str, entries: list[tuple[str, bool]]) -> int:
        """Replace the run's log by `entries` (a lost log rebuilt by its runner); the last one's seq."""
        self._runs[run_id] = list(entries)
        return len(entries) - 1


# One step on the server, so two front ends repairing the same run (or a late runner) append one final entry.
# The TTL is set on the first entry, renewed every 256th and on the final one: a log lives a day past its
# run's last events, at three commands an append. Given a feed channel (ARGV[4]), the run's id and the lowest
# number expected (ARGV[5], ARGV[6]), an entry numbered so is announced on the channel in the same step, as
# feed.feed_text writes it: one round trip an event instead of two. An entry numbered lower (the log was lost,
# Redis restarted empty) is not: its runner rebuilds the log first, then announces.
_APPEND = """
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
if ARGV[2] == '1' then redis.call('SET', KEYS[2], '1', 'EX', ARGV[3]) end
local length = redis.call('RPUSH', KEYS[1], ARGV[2] .. ARGV[1])
if length % 256 == 1 or ARGV[2] == '1' then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
if ARGV[4] and length - 1 >= tonumber(ARGV[6]) then
  redis.call('PUBLISH', ARGV[4], ARGV[5] .. ' ' .. (length - 1) .. ' ' .. ARGV[2] .. ' ' .. ARGV[1])
end
return length - 1
"""

# A lost log (Redis restarted empty) rebuilt in one step, so no reader sees it half written. ARGV[1] is the TTL,
# the rest the entries, each its final flag and its text.
_RESEED = """
redis.call('DEL', KEYS[1], KEYS[2])
for i = 2, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
if string.sub(ARGV[#ARGV], 1, 1) == '1' then redis.call('SET', KEYS[2], '1', 'EX', ARGV[1]) end
return #ARGV - 2
"""


class RedisRunLog:
    """As MemoryRunLog, in Redis: one list per run, and a key that marks the run's log as ended."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._clients = LoopClients(
            url, lambda client: (client, client.register_script(_APPEND), client.register_script(_RESEED))
        )

    def _client(self):
        return self._clients.get()

    @staticmethod
    def _key(run_id: str) -> str:
        return f"navi:runlog:{run_id}"

    async def append(
        self, run_id: str, text: str, final: bool, *, announce: tuple[str, int] | None = None
    ) -> int | None:
        """`announce`: (feed channel, lowest seq): the entry is announced there too if numbered so (_APPEND)."""
        _, script, _ = self._client()
        args = [text, "1" if final else "0", LOG_TTL_SECONDS]
        if announce is not None:
            args += [announce[0], run_id, announce[1]]
        seq = await script(keys=[self._key(run_id), self._key(run_id) + ":final"], args=args)
        return None if seq < 0 else seq

    async def read(self, run_id: str, after: int = -1) -> list[LogEntry]:
        client, _, _ = self._client()
        raw = await client.lrange(self._key(run_id), after + 1, -1)
        return [LogEntry(after + 1 + i, item[1:].decode(), item[:1] == b"1") for i, item in enumerate(raw)]

    async def reseed(self, run_id: str, entries: list[tuple[str, bool]]) -> int:
        _, _, script = self._client()
        flagged = [("1" if final else "0") + text for text, final in entries]
        return await script(keys=[self._key(run_id), self._key(run_id) + ":final"], args=[LOG_TTL_SECONDS, *flagged])


run_log: PerProcess[RunLog] = PerProcess(RedisRunLog, MemoryRunLog)


async def append_announcing(
    *, session_id: str, run_id: str, text: str, final: bool, expected: int
) -> tuple[int | None, bool]:
    """Append an event to its run's log, and announce it on the session's feed in the same Redis step when both
    are on one Redis and the log numbers it `expected` or later (a runner's next event, the log not lost).
    Returns its seq (None: the log had ended) and whether it was announced; if not, the caller announces."""
    log, feed = run_log(), run_feed()
    if isinstance(log, RedisRunLog) and isinstance(feed, RedisFeed) and log.url == feed.url:
        seq = await log.append(run_id, text, final, announce=(feed_channel(session_id), expected))
        return seq, seq is not None and seq >= expected
    return await log.append(run_id, text, final), False


async def publish(*, session_id: UUID | str, run_id: UUID | str, text: str, final: bool) -> int | None:
    """Append an event to its run's log, then wake the session's sockets. Returns its sequence number, or None
    when the run's log has ended already (its terminal event was appended before, by whoever came first)."""
    seq = await run_log().append(str(run_id), text, final)
    if seq is not None:
        await run_feed().announce(session_id=session_id, run_id=run_id, seq=seq, text=text, final=final)
    return seq
