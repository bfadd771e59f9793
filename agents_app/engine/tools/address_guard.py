"""Which network addresses a fetch may reach: public ones only, so the agent cannot be pointed at the server's
own network (loopback, private ranges, link-local and cloud metadata endpoints).

The host name is resolved here and the connection then goes to the checked address, so a DNS answer that
changes between the check and the connection cannot smuggle in a private address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]


class AddressRefused(Exception):
    """The URL must not be fetched; the message says why."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect, and the name the server knows itself by."""

    url: str
    scheme: str
    host: str
    port: int
    address: IPAddress


async def system_resolver(host: str, port: int) -> list[str]:
    # getaddrinfo also reads the odd IPv4 spellings (2130706433, 0x7f.1, 0177.0.0.1) the way a connection would.
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


def is_public(address: IPAddress) -> bool:
    mapped = getattr(address, "ipv4_mapped", None) or getattr(address, "sixtofour", None)
    if mapped is not None:
        return is_public(mapped)
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified)


@dataclass(frozen=True)
class AddressGuard:
    resolver: Resolver = system_resolver
    # Networks let through although not public; empty in production, set by tests that serve pages locally.
    allow: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = field(default=())

    @classmethod
    def allowing(cls, networks: Iterable[str], resolver: Resolver = system_resolver) -> AddressGuard:
        return cls(resolver=resolver, allow=tuple(ipaddress.ip_network(n) for n in networks))

    def permits(self, address: IPAddress) -> bool:
        return is_public(address) or any(address.version == n.version and address in n for n in self.allow)

    async def check(self, url: str) -> Target:
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError as exc:
            raise AddressRefused(f"not a valid URL: {exc}") from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise AddressRefused(f"only http:// and https:// URLs can be fetched, not {scheme or 'a bare path'!r}")
        host = parts.hostname
        if not host:
            raise AddressRefused("the URL has no host name")
        port = port or (443 if scheme == "https" else 80)
        try:
            found = await self.resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise AddressRefused(f"cannot resolve {host!r}: {exc}") from None
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
        if not addresses:
            raise AddressRefused(f"cannot resolve {host!r}")
        refused = [a for a in addresses if not self.permits(a)]
        if refused:
            raise AddressRefused(
                f"{host!r} resolves to {refused[0]}, a private, loopback, link-local or otherwise non-public "
                "address; only public web addresses can be fetched"
            )
        return Target(url=url.strip(), scheme=scheme, host=host, port=port, address=addresses[0])
