"""Pick the backend an action talks to: the platform when configured, else the embedded one."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from synapse_sdk.clients._protocol import BackendProtocol


def _environment(env: Mapping[str, Any] | None) -> dict[str, str]:
    merged = dict(os.environ)
    if env is not None:
        items = env.to_dict() if hasattr(env, 'to_dict') else dict(env)
        merged.update({str(k): str(v) for k, v in items.items() if v is not None})
    return merged


def default_client(env: Mapping[str, str] | None = None) -> BackendProtocol:
    """A :class:`BackendClient` when ``SYNAPSE_HOST`` and ``SYNAPSE_ACCESS_TOKEN`` (or the saved
    login) are both set, otherwise a :class:`LocalBackend` under ``SYNAPSE_HOME``.

    ``env`` (for example a plugin run's environment) is layered over ``os.environ``.
    """
    from synapse_sdk.core._credentials import load_credentials

    environ = _environment(env)
    credentials = load_credentials(environ=environ)
    if credentials.is_complete:
        from synapse_sdk.clients._backend import BackendClient

        assert credentials.host and credentials.access_token
        return BackendClient(credentials.host, credentials.access_token, tenant=credentials.tenant)
    from synapse_sdk.clients._local import LocalBackend

    return LocalBackend(env=environ)
