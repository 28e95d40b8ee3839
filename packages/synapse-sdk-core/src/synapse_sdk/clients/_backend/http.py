"""A small HTTP session on the standard library: JSON, multipart, timeouts, retries, no leaked secrets.

urllib is enough for a synchronous REST client and keeps ``synapse-sdk-core`` free of an HTTP
dependency. Retries use exponential backoff with jitter on connection errors and on 429/5xx
answers; requests that change state (POST, PATCH) are retried only when the server certainly did
not process them (connection refused, 429, 503). Credentials go only to the platform's origin
(scheme, host and port), also when it answers with a redirect to somewhere else.
"""

from __future__ import annotations

import json
import os
import random
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synapse_sdk.core._secrets import redact_text
from synapse_sdk.core.errors import ClientError

IDEMPOTENT = frozenset({'GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
SAFE_RETRY_STATUSES = frozenset({429, 503})
CHUNK = 1024 * 1024


@dataclass
class RetryPolicy:
    attempts: int = 4
    backoff: float = 0.5
    max_backoff: float = 8.0

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        if retry_after:
            try:
                return min(float(retry_after), self.max_backoff)
            except ValueError:
                pass
        return float(min(self.max_backoff, self.backoff * 2**attempt) * (0.5 + random.random() / 2))


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode('utf-8')) if self.body else None


@dataclass
class Multipart:
    """A multipart/form-data body streamed from disk, rebuilt for every retry."""

    fields: Mapping[str, Any] = field(default_factory=dict)
    files: Mapping[str, Path | tuple[str, bytes]] = field(default_factory=dict)
    boundary: str = field(default_factory=lambda: uuid.uuid4().hex)

    def _parts(self) -> list[bytes | Path]:
        parts: list[bytes | Path] = []
        for name, value in self.fields.items():
            text = value if isinstance(value, str) else json.dumps(value)
            parts.append(
                f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{text}\r\n'.encode()
            )
        for name, source in self.files.items():
            filename = source.name if isinstance(source, Path) else source[0]
            parts.append(
                (
                    f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                    'Content-Type: application/octet-stream\r\n\r\n'
                ).encode()
            )
            parts.append(source if isinstance(source, Path) else source[1])
            parts.append(b'\r\n')
        parts.append(f'--{self.boundary}--\r\n'.encode())
        return parts

    @property
    def content_type(self) -> str:
        return f'multipart/form-data; boundary={self.boundary}'

    def length(self) -> int:
        return sum(p.stat().st_size if isinstance(p, Path) else len(p) for p in self._parts())

    def chunks(self) -> Iterator[bytes]:
        for part in self._parts():
            if isinstance(part, Path):
                with open(part, 'rb') as handle:
                    while block := handle.read(CHUNK):
                        yield block
            else:
                yield part


DEFAULT_PORTS = {'http': 80, 'https': 443}
# Headers that prove who the caller is: never sent to another origin, also not after a redirect.
CREDENTIAL_HEADERS = frozenset({'authorization', 'proxy-authorization', 'cookie'})


def origin_of(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` with the default port filled in: what decides who may see a token."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or '').lower(), port or DEFAULT_PORTS.get(scheme)


class CredentialSafeRedirect(urllib.request.HTTPRedirectHandler):
    """Follows redirects like urllib, but a hop to another origin (scheme, host or port) drops the
    session's credential headers (token, tenant, ``Authorization``, cookies)."""

    def __init__(self, credential_headers: Iterable[str]) -> None:
        super().__init__()
        self.credential_headers = frozenset(h.lower() for h in credential_headers) | CREDENTIAL_HEADERS

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and origin_of(new.full_url) != origin_of(req.full_url):
            for name in list(new.headers):
                if name.lower() in self.credential_headers:
                    del new.headers[name]
            for name in list(new.unredirected_hdrs):
                if name.lower() in self.credential_headers:
                    del new.unredirected_hdrs[name]
        return new


class HttpSession:
    """Sends requests relative to ``base_url`` with fixed headers; secrets are scrubbed from errors."""

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        *,
        secrets: Iterable[str] = (),
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip('/') + '/'
        self.headers = dict(headers)
        self._secrets = tuple(s for s in secrets if s)
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._platform_origin = origin_of(self.base_url)
        credential_names = [name for name in self.headers if name.lower() not in ('user-agent', 'accept')]
        self._opener = urllib.request.build_opener(CredentialSafeRedirect(credential_names))

    def scrub(self, text: str) -> str:
        return redact_text(text, self._secrets)

    def url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        url = (
            path if path.startswith(('http://', 'https://')) else urllib.parse.urljoin(self.base_url, path.lstrip('/'))
        )
        if params:
            query = urllib.parse.urlencode(
                [
                    (k, ','.join(map(str, v)) if isinstance(v, (list, tuple)) else v)
                    for k, v in params.items()
                    if v is not None
                ]
            )
            url = f'{url}{"&" if "?" in url else "?"}{query}'
        return url

    def same_origin(self, url: str) -> bool:
        return origin_of(url) == self._platform_origin

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        multipart: Multipart | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        stream_to: Path | None = None,
    ) -> Response:
        method = method.upper()
        url = self.url(path, params)
        # Credentials go only to the platform itself, never to presigned or third-party URLs.
        send_headers = dict(self.headers) if self.same_origin(url) else {}
        send_headers.update(headers or {})
        send_headers.setdefault('Accept', 'application/json')
        shown = self.scrub(f'{method} {urllib.parse.urlsplit(url).path}')
        attempt = 0
        while True:
            body: bytes | Iterable[bytes] | None = None
            if json_body is not None:
                body = json.dumps(json_body).encode()
                send_headers['Content-Type'] = 'application/json'
            elif multipart is not None:
                body = multipart.chunks()
                send_headers['Content-Type'] = multipart.content_type
                send_headers['Content-Length'] = str(multipart.length())
            request = urllib.request.Request(url, data=body, headers=send_headers, method=method)
            retry_after: str | None = None
            try:
                with self._opener.open(request, timeout=timeout or self.timeout) as raw:
                    if stream_to is not None:
                        stream_to.parent.mkdir(parents=True, exist_ok=True)
                        with open(stream_to, 'wb') as out:
                            while block := raw.read(CHUNK):
                                out.write(block)
                        return Response(raw.status, dict(raw.headers.items()), b'')
                    return Response(raw.status, dict(raw.headers.items()), raw.read())
            except urllib.error.HTTPError as error:
                status = error.code
                detail = self.scrub(error.read().decode('utf-8', errors='replace')[:500])
                retry_after = error.headers.get('Retry-After') if error.headers else None
                allowed = RETRY_STATUSES if method in IDEMPOTENT else SAFE_RETRY_STATUSES
                if status in allowed and attempt + 1 < self.retry.attempts:
                    attempt += 1
                    self._sleep(self.retry.delay(attempt, retry_after))
                    continue
                raise ClientError(
                    f'{shown} failed with HTTP {status}: {detail or error.reason}',
                    status=status,
                    details={'method': method, 'path': urllib.parse.urlsplit(url).path, 'attempts': attempt + 1},
                ) from None
            except (TimeoutError, urllib.error.URLError, OSError) as error:
                reason = getattr(error, 'reason', error)
                refused = isinstance(reason, ConnectionRefusedError)
                if (method in IDEMPOTENT or refused) and attempt + 1 < self.retry.attempts:
                    attempt += 1
                    self._sleep(self.retry.delay(attempt))
                    continue
                where = f'{self._platform_origin[1]}:{self._platform_origin[2]}'
                raise ClientError(
                    f'{shown} could not reach {where}: {self.scrub(str(reason))} '
                    f'(after {attempt + 1} attempts); check SYNAPSE_HOST and your network',
                    status=None,
                    details={'method': method, 'path': urllib.parse.urlsplit(url).path, 'attempts': attempt + 1},
                ) from None


def file_slices(path: Path, size: int) -> Iterator[tuple[int, bytes]]:
    """``(offset, bytes)`` pieces of a file, ``size`` bytes each."""
    with open(path, 'rb') as handle:
        offset = 0
        while block := handle.read(size):
            yield offset, block
            offset += len(block)


def environ_timeout(default: float) -> float:
    try:
        return float(os.environ.get('SYNAPSE_HTTP_TIMEOUT', default))
    except ValueError:
        return default
