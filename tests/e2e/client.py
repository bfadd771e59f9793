"""A small client for the real server: REST over httpx, the WebSocket over `websockets`."""

from __future__ import annotations

import asyncio
import json

import httpx
import websockets


class Socket:
    def __init__(self, ws) -> None:
        self.ws = ws
        self.received: list[dict] = []

    async def send(self, payload) -> None:
        await self.ws.send(payload if isinstance(payload, str) else json.dumps(payload))

    async def message(self, content: str, **extra) -> None:
        await self.send({"type": "message", "content": content, **extra})

    async def next(self, timeout: float = 15) -> dict:
        event = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.received.append(event)
        return event

    async def until(self, kind: str | set, timeout: float = 30, *, skip_heartbeats: bool = True) -> list[dict]:
        """Events up to and including the first of `kind`."""
        kinds = {kind} if isinstance(kind, str) else kind
        seen = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = await self.next(max(0.01, deadline - loop.time()))
            if skip_heartbeats and event["type"] == "heartbeat":
                continue
            seen.append(event)
            if event["type"] in kinds:
                return seen

    async def close(self) -> None:
        await self.ws.close()


async def connect(ws_url: str) -> Socket:
    return Socket(await websockets.connect(ws_url, max_size=None, open_timeout=10))


def rest(base: str) -> httpx.Client:
    return httpx.Client(base_url=base, timeout=30)


def new_session(base: str, profile_id: str = "secretary") -> str:
    with rest(base) as client:
        response = client.post("/sessions", json={"profile_id": profile_id})
        response.raise_for_status()
        return response.json()["session_id"]


def types(events: list[dict]) -> list[str]:
    return [e["type"] for e in events]
