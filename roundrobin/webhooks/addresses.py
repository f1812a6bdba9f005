"""Where an outgoing webhook may post: never to loopback, link-local or private addresses (a URL
typed into Slack must not reach the machines around Round Robin) unless the operator allows it with
WEBHOOK_ALLOW_PRIVATE_URLS=true. Checked when the URL is saved, and again at every delivery by the
resolver the delivery session connects through, so a name that later resolves elsewhere is caught
on the addresses actually connected to."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

MAX_URL = 2000
RESOLVE_TIMEOUT = 2.0  # a URL is checked while Slack waits for the form's answer


class RefusedURL(ValueError):
    """The URL may not be used; str() says why, in words for the person who typed it."""


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def kind_of(address: IPAddress) -> str | None:
    """'loopback', 'link-local' or 'private' for an address a webhook may not reach; None: public."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if not address.is_global or address.is_multicast:
        return "private"  # private ranges, shared (CGNAT), reserved, unspecified, documentation
    return None


def parse_url(url: str) -> tuple[str, int]:
    """(host, port) of an http(s) URL a webhook may be posted to, as far as its text says."""
    if len(url) > MAX_URL:
        raise RefusedURL(f"The URL is longer than {MAX_URL} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise RefusedURL("That is not a URL: give one like https://hooks.example.com/round-robin.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedURL("Give an http:// or https:// URL, like https://hooks.example.com/round-robin.")
    if any(c.isspace() for c in url):
        raise RefusedURL("The URL may not contain spaces.")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def refuse_addresses(host: str, addresses: list[str]) -> None:
    for text in addresses:
        kind = kind_of(ipaddress.ip_address(text.split("%", 1)[0]))
        if kind:
            raise RefusedURL(
                f"{host} is a {kind} address" if _literal(host) else f"{host} resolves to a {kind} address"
            )


async def check_url(url: str, allow_private: bool, timeout: float = RESOLVE_TIMEOUT) -> None:
    """Refuse a URL that is malformed, or whose host is (or resolves to) a non-public address."""
    host, port = parse_url(url)
    if allow_private:
        return
    literal = _literal(host)
    if literal is not None:
        refuse_addresses(host, [str(literal)])
        return
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout)
    except (OSError, TimeoutError):
        raise RefusedURL(f"{host} cannot be found (DNS): check the URL.") from None
    refuse_addresses(host, [str(info[4][0]) for info in infos])


class GuardedResolver(AbstractResolver):
    """The delivery session's resolver: the addresses it returns are the ones connected to, so the
    check cannot be dodged by a name that resolves differently a moment later."""

    def __init__(self, allow_private: bool) -> None:
        self._inner = DefaultResolver()
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if not self._allow_private:
            try:
                refuse_addresses(host, [r["host"] for r in results])
            except RefusedURL as refused:
                raise OSError(str(refused)) from None
        return results

    async def close(self) -> None:
        await self._inner.close()
