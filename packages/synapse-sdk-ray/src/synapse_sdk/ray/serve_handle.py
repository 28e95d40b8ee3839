"""``RayServeHandle``: a deployed action as a Python object (``url``, ``predict``, ``status``, ``delete``).

``predict`` speaks the same HTTP API as any client would (``POST <url>`` with a JSON object,
the model id in Serve's ``serve_multiplexed_model_id`` header), so what the handle sees is what
the platform sees; error answers come back as the SDK's typed errors.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from synapse_sdk.core.errors import ClientError
from synapse_sdk.ray.connection import DEFAULT_CONNECT_TIMEOUT

MODEL_ID_HEADER = 'serve_multiplexed_model_id'


def _error_from_response(status: int, raw: bytes, action: str) -> Exception:
    from synapse_sdk.plugins.errors import ExecutionError, ParamsValidationError

    try:
        error = dict(json.loads(raw or b'{}').get('error') or {})
    except (ValueError, AttributeError):
        error = {}
    message = str(error.get('message') or raw[:300].decode('utf-8', 'replace'))
    if status == 422:
        return ParamsValidationError(action, list(error.get('errors') or [{'loc': (), 'msg': message}]))
    if status >= 500:
        return ExecutionError(
            f'{error.get("type") or "Error"}: {message}', details={'status': status, 'remote_type': error.get('type')}
        )
    return ClientError(f'The served action {action!r} answered {status}: {message}', status=status)


@dataclass
class RayServeHandle:
    """A Ray Serve application serving one action. Implements the plugins' ``ServeHandle``."""

    app_name: str
    url: str
    action: str
    address: str | None = None
    timeout: float = 60.0
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    headers: dict[str, str] = field(default_factory=dict)

    def predict(self, payload: Mapping[str, Any] | None = None, *, model_id: str | None = None) -> Any:
        """Call the action with ``payload`` as its params; its result, or the typed error it answered."""
        body = json.dumps(dict(payload or {}), ensure_ascii=False).encode('utf-8')
        headers = {'Content-Type': 'application/json', **self.headers}
        if model_id is not None:
            headers[MODEL_ID_HEADER] = str(model_id)
        request = urllib.request.Request(self.url, data=body, headers=headers, method='POST')
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b'null')
        except urllib.error.HTTPError as error:
            raise _error_from_response(error.code, error.read(), self.action) from None
        except (urllib.error.URLError, OSError) as error:
            raise ClientError(f'The served action at {self.url} could not be reached: {error}', status=503) from None

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(f'{self.url}/health', timeout=self.timeout) as response:
            return dict(json.loads(response.read()))

    def status(self) -> dict[str, Any]:
        from synapse_sdk.ray.serve_admin import application_status

        return application_status(self.app_name, self.address, timeout=self.connect_timeout)

    def delete(self) -> None:
        from synapse_sdk.ray.serve_admin import delete_application

        delete_application(self.app_name, self.address, timeout=self.connect_timeout)

    def __enter__(self) -> RayServeHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.delete()
