"""Who may talk to the agent: the token, the Host header (DNS rebinding) and the Origin (browsers).

The agent can stop jobs and stream their logs, so it is closed by default: every request (health
checks excepted) carries the token, a browser page from another site is refused by its
``Origin``, and a ``Host`` that is not the agent's own name is refused, so a hostile domain that
re-points its DNS at 127.0.0.1 cannot reach it either.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from synapse_sdk.core.errors import ConfigError

LOOPBACK_NAMES = frozenset({'localhost', '127.0.0.1', '::1'})
WILDCARD_HOSTS = frozenset({'0.0.0.0', '::', ''})
TOKEN_PREFIXES = ('Token ', 'Bearer ')


def new_token() -> str:
    """A fresh random agent token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def is_loopback(host: str) -> bool:
    if host.lower() == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host.strip('[]')).is_loopback
    except ValueError:
        return False


def check_no_auth_host(host: str) -> None:
    """``--no-auth`` is for this machine only: refuse to serve it on another interface."""
    if not is_loopback(host):
        raise ConfigError(
            f'--no-auth serves on loopback only, not on {host!r}: drop --host or give a --token',
            details={'host': host},
        )


def token_matches(header: str, token: str) -> bool:
    """``Authorization: <token>`` (``Token <token>`` and ``Bearer <token>`` too), in constant time."""
    given = header.strip()
    for prefix in TOKEN_PREFIXES:
        if given.startswith(prefix):
            given = given[len(prefix) :].strip()
            break
    return hmac.compare_digest(given.encode('utf-8'), token.encode('utf-8'))


def _host_of(authority: str) -> tuple[str, int | None] | None:
    """``(hostname, port)`` of a ``Host`` value or an origin's authority; None when malformed."""
    if not authority or any(c in authority for c in ' \\?#@\r\n'):
        return None
    try:
        parts = urlsplit(authority if '://' in authority else f'http://{authority}')
        host = (parts.hostname or '').rstrip('.').lower()
        return (host, parts.port) if host and parts.path in ('', '/') else None
    except ValueError:
        return None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class RequestGuard:
    """The Host and Origin rules of one agent, from the address it binds and the allow-lists."""

    bound_host: str = '127.0.0.1'
    allow_hosts: frozenset[str] = field(default_factory=frozenset)
    allow_origins: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def build(cls, bound_host: str, allow_hosts: Iterable[str] = (), allow_origins: Iterable[str] = ()) -> RequestGuard:
        origins = set()
        for origin in allow_origins:
            text = origin.strip().rstrip('/').lower()
            if not text.startswith(('http://', 'https://')) or _host_of(text) is None:
                raise ConfigError(f'--allow-origin {origin!r} must look like https://app.example.com')
            origins.add(text)
        return cls(bound_host, frozenset(h.strip().rstrip('.').lower() for h in allow_hosts), frozenset(origins))

    def host_allowed(self, header: str | None) -> bool:
        if '*' in self.allow_hosts:
            return True
        parsed = _host_of(header or '')
        if parsed is None:
            return False
        host = parsed[0]
        if host in LOOPBACK_NAMES or host in self.allow_hosts:
            return True
        if self.bound_host.lower() in WILDCARD_HOSTS:
            return _is_ip(host)  # an address literal cannot be re-pointed by DNS
        return host == self.bound_host.strip('[]').lower()

    def origin_allowed(self, origin: str | None, host_header: str | None) -> bool:
        """No Origin (not a browser) or the agent's own origin; else only an allow-listed one."""
        if origin is None:
            return True
        origin = origin.strip().lower()
        if origin in self.allow_origins:
            return True
        mine = _host_of(host_header or '')
        theirs = _host_of(origin) if origin.startswith(('http://', 'https://')) else None
        if mine is None or theirs is None:
            return False  # includes "null" (sandboxed frames, file:// pages)
        their_port = theirs[1] if theirs[1] is not None else (443 if origin.startswith('https://') else 80)
        my_port = mine[1] if mine[1] is not None else their_port
        return theirs[0] == mine[0] and their_port == my_port
