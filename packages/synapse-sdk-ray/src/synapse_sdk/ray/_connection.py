"""Connect this process to a Ray cluster without hanging when nobody answers.

``ray.init(address=...)`` retries for about 14 minutes when the head is down; we probe the GCS
port first with a bounded timeout and say plainly that the cluster is unreachable.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any
from urllib.parse import urlparse

from synapse_sdk.ray.errors import ClusterUnreachableError

DEFAULT_CONNECT_TIMEOUT = 15.0
_lock = threading.Lock()
_connected_address: str | None = None


def resolve_address(address: str | None) -> str | None:
    """Explicit address, else ``RAY_ADDRESS``, else ``None`` (start or find a local runtime)."""
    from synapse_sdk.ray._addresses import driver_address

    return driver_address(address or os.environ.get('RAY_ADDRESS') or None)


def host_port(address: str, default_port: int) -> tuple[str, int] | None:
    """``(host, port)`` of ``host:port``, ``ray://host:port`` or ``http://host:port``; None for ``auto``/``local``."""
    if address in ('auto', 'local'):
        return None
    parsed = urlparse(address if '://' in address else f'tcp://{address}')
    if not parsed.hostname:
        return None
    return parsed.hostname, parsed.port or default_port


def probe(host: str, port: int, timeout: float) -> bool:
    """True when something accepts TCP connections at ``host:port`` within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        try:
            with socket.create_connection((host, port), timeout=max(0.1, min(remaining, 3.0))):
                return True
        except OSError:
            if time.monotonic() + 0.25 >= deadline:
                return False
            time.sleep(0.25)


def unreachable(what: str, address: str, timeout: float) -> ClusterUnreachableError:
    return ClusterUnreachableError(
        f'The Ray {what} at {address} is unreachable (no answer within {timeout:g}s). '
        'Start a head with `ray start --head`, or check the address and that the cluster is running.',
        details={'address': address, 'timeout': timeout},
    )


def _same_cluster(requested: str, connected: str) -> bool:
    """Whether ``requested`` names the cluster at GCS address ``connected`` (hosts may be spelt differently)."""
    wanted = host_port(requested, 6379)
    have = host_port(connected, 6379)
    if wanted is None or have is None or requested.startswith('ray://'):
        return True
    return wanted[1] == have[1] and probe(*have, 1.0)


def connect(address: str | None = None, *, timeout: float = DEFAULT_CONNECT_TIMEOUT) -> str:
    """Make sure this process is a Ray driver of the cluster at ``address``; returns its GCS address.

    An existing connection is reused when it is to that cluster (or no address was asked for);
    a connection to another cluster, or to one that has gone away, is replaced.
    """
    global _connected_address
    import ray

    with _lock:
        target = resolve_address(address)
        if ray.is_initialized():
            current = _connected_address or str(ray.get_runtime_context().gcs_address)
            if target is None or _same_cluster(target, current):
                return current
            ray.shutdown()
            _connected_address = None
        if target is not None:
            endpoint = host_port(target, 10001 if target.startswith('ray://') else 6379)
            if endpoint is not None and not probe(*endpoint, timeout):
                raise unreachable('cluster', target, timeout)
        kwargs: dict[str, Any] = {'ignore_reinit_error': True, 'logging_level': logging.WARNING}
        try:
            ray.init(address=target, **kwargs)
        except ConnectionError as error:
            raise unreachable('cluster', target or 'auto', timeout) from error
        _connected_address = str(ray.get_runtime_context().gcs_address)
        return _connected_address


def cluster_resources() -> dict[str, float]:
    import ray

    return {str(k): float(v) for k, v in ray.cluster_resources().items()}  # type: ignore[no-untyped-call]
