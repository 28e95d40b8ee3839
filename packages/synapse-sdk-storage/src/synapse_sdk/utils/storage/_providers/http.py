"""HTTP file servers (``http`` / ``https``) on fsspec's HTTP filesystem (aiohttp).

Reads use GET/HEAD; listings scrape the server's HTML index (nginx ``autoindex``, Apache...).
Writes use PUT and DELETE (WebDAV-style servers such as nginx ``dav_methods``). Credentials go
in an ``Authorization`` header, never in the URL; a ``user:password@`` in ``base_url`` is moved
there.
"""

from __future__ import annotations

import base64
import builtins
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from pydantic import BaseModel, Field, SecretStr, model_validator

from synapse_sdk.utils.storage._base import FsspecStorage
from synapse_sdk.utils.storage._keys import KeyLike
from synapse_sdk.utils.storage._protocol import ListEntry
from synapse_sdk.utils.storage._providers._http_retry import backoff

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

_TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_CONNECTION_ERRORS = frozenset(
    {
        'ClientConnectionError',
        'ServerDisconnectedError',
        'ClientPayloadError',
        'ServerTimeoutError',
        'TimeoutError',
        'ConnectionResetError',
    }
)


class HTTPConfig(BaseModel):
    model_config = {'extra': 'ignore', 'frozen': True}

    base_url: str = Field(min_length=1)
    timeout: float = 60.0
    """Seconds to wait for the connection and between received bytes (not for a whole transfer)."""
    username: str | None = None
    password: SecretStr | None = None
    token: SecretStr | None = None
    """Sent as ``Authorization: Bearer <token>``."""
    verify_ssl: bool = True

    @model_validator(mode='before')
    @classmethod
    def _credentials_out_of_url(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get('base_url'), str):
            parts = urlsplit(data['base_url'])
            if parts.username is not None:
                data = dict(data)
                data.setdefault('username', unquote(parts.username))
                if parts.password is not None:
                    data.setdefault('password', unquote(parts.password))
                host = parts.hostname or ''
                netloc = f'{host}:{parts.port}' if parts.port else host
                data['base_url'] = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
        return data


class HTTPStorage(FsspecStorage):
    """Files below ``base_url``: read, list, upload (PUT), delete (DELETE)."""

    provider = 'http'
    config_model = HTTPConfig
    config: HTTPConfig
    outer_retries = False  # each request is retried by the session's middleware

    def __init__(self, configuration: Any = None, **overrides: Any) -> None:
        super().__init__(configuration, **overrides)
        self._base = self.config.base_url.rstrip('/') + '/'

    def _secret_values(self) -> builtins.list[str | None]:
        c = self.config
        values: builtins.list[str | None] = [
            c.password.get_secret_value() if c.password else None,
            c.token.get_secret_value() if c.token else None,
        ]
        header = self._auth_header()
        if header:
            values.append(header.split(' ', 1)[1])
        return values

    def _auth_header(self) -> str | None:
        c = self.config
        if c.token:
            return f'Bearer {c.token.get_secret_value()}'
        if c.username is not None:
            password = c.password.get_secret_value() if c.password else ''
            return 'Basic ' + base64.b64encode(f'{c.username}:{password}'.encode()).decode()
        return None

    def _make_fs(self) -> AbstractFileSystem:
        import aiohttp
        from fsspec.implementations.http import HTTPFileSystem

        headers = {}
        header = self._auth_header()
        if header:
            headers['Authorization'] = header
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self.config.timeout, sock_read=self.config.timeout)
        from synapse_sdk.utils.storage._providers._http_retry import retry_middleware

        return HTTPFileSystem(
            client_kwargs={
                'headers': headers,
                'timeout': timeout,
                'middlewares': (retry_middleware(self.options.retries),),
            },
            skip_instance_cache=True,
            use_listings_cache=False,
            ssl=None if self.config.verify_ssl else False,
        )

    def _root(self) -> str:
        return self._base.rstrip('/')

    def path(self, key: KeyLike = '', *, allow_root: bool = True) -> str:
        joined = super().path(key, allow_root=allow_root)
        root = self._root()
        # URL-quote the key part only: keys may hold spaces, '#', '?'.
        return root + quote(joined[len(root) :]) if joined != root else root

    def _relative(self, backend_path: str) -> str:
        return super()._relative(unquote(backend_path.split('?', 1)[0]))

    def uri(self, key: KeyLike = '') -> str:
        path = self.path(key)
        return path + '/' if path == self._root() else path

    def _upath_protocol(self) -> str:
        return urlsplit(self._base).scheme

    def _is_transient(self, error: BaseException) -> bool:
        status = getattr(error, 'status', None)
        if isinstance(status, int):
            return status in _TRANSIENT_STATUS
        names = {cls.__name__ for cls in type(error).__mro__}
        return bool(names & _CONNECTION_ERRORS)

    # Raw requests through the filesystem's own session (its loop, its headers).
    def _request(self, method: str, url: str, **kwargs: Any) -> int:
        from fsspec.asyn import sync

        fs = self.fs

        async def go() -> int:
            session = await fs.set_session()
            async with session.request(method, url, allow_redirects=False, **kwargs) as response:
                if response.status == 404:
                    raise FileNotFoundError(url)
                if response.status >= 400:
                    response.raise_for_status()
                return int(response.status)

        return int(sync(fs.loop, go))

    def _head_sizes(self, urls: builtins.list[str]) -> builtins.list[int]:
        """Content-Length of each URL (concurrent HEADs); fsspec's own ``info`` turns 5xx into 404."""
        import asyncio

        from fsspec.asyn import sync

        fs = self.fs

        async def one(session: Any, url: str) -> int:
            async with session.head(url, allow_redirects=True) as response:
                if response.status == 404:
                    raise FileNotFoundError(url)
                response.raise_for_status()
                return int(response.headers.get('Content-Length') or 0)

        async def go() -> builtins.list[int]:
            session = await fs.set_session()
            limit = asyncio.Semaphore(self.options.max_concurrency)

            async def bounded(url: str) -> int:
                async with limit:
                    return await one(session, url)

            return list(await asyncio.gather(*(bounded(url) for url in urls)))

        return list(sync(fs.loop, go))

    def _info(self, path: str) -> dict[str, Any]:
        return {'name': path, 'size': self._head_sizes([path])[0], 'type': 'file'}

    def _put_file(self, source: Path, path: str) -> None:
        # The body streams from the file, so the middleware cannot replay it: retry here.
        attempts = self.options.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                self.fs.put_file(str(source), path, method='put')
                return
            except Exception as error:
                if attempt == attempts or not self._is_transient(error):
                    raise
                time.sleep(backoff(attempt))

    def _pipe(self, path: str, data: bytes) -> None:
        self._request('PUT', path, data=data)

    def _exists(self, path: str) -> bool:
        try:
            try:
                status = self._request('HEAD', path)
            except Exception as error:
                if getattr(error, 'status', None) not in (405, 501):
                    raise
                status = self._request('GET', path, headers={'Range': 'bytes=0-0'})  # server without HEAD
        except FileNotFoundError:
            return False
        if status in (301, 302, 307, 308):  # a folder answered with its slash form
            return self._exists(path + '/')
        return True

    def _delete(self, path: str, recursive: bool) -> None:
        if recursive:
            try:
                self._request('DELETE', path.rstrip('/') + '/')
                return
            except FileNotFoundError:
                pass
        self._request('DELETE', path)

    def _listing(self, path: str, recursive: bool) -> builtins.list[ListEntry]:
        entries = super()._listing(path.rstrip('/') + '/', recursive)
        files = [e for e in entries if e['type'] == 'file']
        if files:  # index pages carry no sizes: ask with concurrent HEADs
            sizes = self._head_sizes([self.path(e['key']) for e in files])
            for entry, size in zip(files, sizes, strict=True):
                entry['size'] = int(size or 0)
        return entries

    def _glob(self, path: str) -> builtins.list[str]:
        return [p.rstrip('/') for p in super()._glob(unquote(path))]

    def _name_of(self, info: Any) -> str:
        return str(info['name']).rstrip('/')

    def _stats(self, path: str) -> tuple[int, int]:
        count = total = 0
        for entry in self._listing(path, recursive=True):
            if entry['type'] == 'file':
                count += 1
                total += entry['size']
        return count, total
