"""The one HTTP client for served actions (stdlib ``http.client``, keep-alive, one connection per thread).

Both serve handles (embedded and Ray Serve), smart tools and batch pre-annotation call a served
action through :class:`ServeClient`, so every caller maps answers to the same typed errors:
200 -> the result, 400/422 -> :class:`ServeRequestError` (with every bad field), 500 ->
:class:`ServeActionError`, no answer / 404 / 502-504 -> :class:`ServeUnavailableError`.
"""

from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from collections.abc import Mapping
from typing import Any

from synapse_sdk.plugins._serving.served import MODEL_ID_HEADER
from synapse_sdk.plugins.errors import ServeActionError, ServeError, ServeRequestError, ServeUnavailableError

UNAVAILABLE = frozenset({404, 502, 503, 504})
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest)


def error_from_answer(status: int, body: bytes, url: str) -> ServeError:
    """The typed error for a non-200 answer of a served action."""
    try:
        data = json.loads(body.decode('utf-8')) if body else {}
    except (ValueError, UnicodeDecodeError):
        data = {}
    error = data.get('error') if isinstance(data, dict) else None
    if not isinstance(error, dict):
        text = body.decode('utf-8', 'replace').strip().splitlines()[0][:300] if body.strip() else ''
        error = {'type': 'HTTPError', 'message': f'HTTP {status}' + (f': {text}' if text else '')}
    error_type = str(error.get('type') or 'HTTPError')
    message = str(error.get('message') or f'HTTP {status}')
    if status in UNAVAILABLE:
        return ServeUnavailableError(
            f'the served action at {url} is not available (HTTP {status}): {message}',
            status=status,
            error_type=error_type,
            url=url,
        )
    if 400 <= status < 500:
        raw = error.get('errors')
        errors = [e for e in raw if isinstance(e, dict)] if isinstance(raw, list) else []
        return ServeRequestError(message, status=status, errors=errors, error_type=error_type, url=url)
    return ServeActionError(f'{error_type}: {message}', status=status, error_type=error_type, url=url)


class ServeClient:
    """``ServeClient(url).predict({'image': ...}, model_id='3')``: call a served action over HTTP."""

    def __init__(self, url: str, *, timeout: float = 60.0, headers: Mapping[str, str] | None = None) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ('http', 'https') or not parsed.hostname:
            raise ServeRequestError(f'not an http(s) URL of a served action: {url!r}', url=url)
        self.url = url.rstrip('/')
        self._scheme = parsed.scheme
        self._host = parsed.hostname
        self._port = parsed.port
        self._path = parsed.path.rstrip('/') or '/'
        self.timeout = timeout
        self.headers = dict(headers or {})
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, 'conn', None)
        if conn is None:
            cls = http.client.HTTPSConnection if self._scheme == 'https' else http.client.HTTPConnection
            conn = cls(self._host, self._port, timeout=self.timeout)
            self._local.conn = conn
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, 'conn', None)
        self._local.conn = None
        if conn is not None:
            conn.close()

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> tuple[int, bytes]:
        """One request; a keep-alive connection the server closed meanwhile is reopened once."""
        all_headers = {**self.headers, **(headers or {})}
        if body is not None:
            all_headers.setdefault('Content-Type', 'application/json')
        for attempt in (1, 2):
            conn = self._connection()
            reused = getattr(conn, 'sock', None) is not None
            try:
                conn.request(method, path, body=body, headers=all_headers)
                answer = conn.getresponse()
                data = answer.read()
            except _STALE as error:
                self._drop()
                if reused and attempt == 1:
                    continue
                raise ServeUnavailableError(
                    f'the served action at {self.url} closed the connection: {error}', url=self.url
                ) from None
            except OSError as error:
                self._drop()
                raise ServeUnavailableError(
                    f'cannot reach the served action at {self.url}: {error}', url=self.url
                ) from None
            if answer.will_close:
                self._drop()
            return answer.status, data
        raise AssertionError('unreachable')  # pragma: no cover

    def predict(self, payload: Mapping[str, Any], *, model_id: str | None = None) -> Any:
        """``POST`` the params; the action's result, or a typed :class:`ServeError`."""
        headers = {MODEL_ID_HEADER: str(model_id)} if model_id not in (None, '') else {}
        body = json.dumps(dict(payload), ensure_ascii=False).encode('utf-8')
        status, data = self.request('POST', self._path, body, headers)
        if status != 200:
            raise error_from_answer(status, data, self.url)
        return json.loads(data.decode('utf-8')) if data else None

    def health(self) -> dict[str, Any]:
        """``GET <url>/health``."""
        path = self._path.rstrip('/') + '/health'
        status, data = self.request('GET', path)
        if status != 200:
            raise error_from_answer(status, data, self.url)
        result = json.loads(data.decode('utf-8'))
        return result if isinstance(result, dict) else {'status': str(result)}

    def close(self) -> None:
        self._drop()


__all__ = ['ServeClient', 'error_from_answer']
