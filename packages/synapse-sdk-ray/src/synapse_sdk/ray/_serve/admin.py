"""Look after the Serve applications of a cluster: start Serve, list, describe and delete apps.

Used by the serve executor, its handles and ``synapse serve``; every call is made as a driver of
the cluster (``connect``), so it works wherever the GCS address is reachable.
"""

from __future__ import annotations

from typing import Any

from synapse_sdk.ray._connection import DEFAULT_CONNECT_TIMEOUT, connect, host_port
from synapse_sdk.ray.errors import ApplicationNotFoundError

DEFAULT_HTTP_HOST = '127.0.0.1'
DEFAULT_HTTP_PORT = 8000
_ANY_HOST = ('0.0.0.0', '::', '')


def _client() -> Any:
    from ray.serve.context import _get_global_client

    return _get_global_client(raise_if_no_controller_running=False)


def serve_details(address: str | None = None, *, timeout: float = DEFAULT_CONNECT_TIMEOUT) -> dict[str, Any]:
    """What the dashboard's ``/api/serve/applications/`` shows; empty when Serve is not running."""
    connect(address, timeout=timeout)
    client = _client()
    if client is None:
        return {}
    return dict(client.get_serve_details())


def ensure_serve(host: str | None = None, port: int | None = None) -> tuple[str, int]:
    """Start Serve with its HTTP proxy on ``host:port`` unless it runs already; its actual ``(host, port)``.

    A running Serve keeps its own proxy options (Ray cannot change them without a restart).
    """
    from ray import serve

    client = _client()
    if client is None:
        serve.start(http_options={'host': host or DEFAULT_HTTP_HOST, 'port': port or DEFAULT_HTTP_PORT})
        client = _client()
    options = dict(client.get_serve_details().get('http_options') or {}) if client is not None else {}
    return str(options.get('host') or host or DEFAULT_HTTP_HOST), int(options.get('port') or port or DEFAULT_HTTP_PORT)


def proxy_base_url(host: str, port: int, cluster_address: str | None = None) -> str:
    """``http://host:port`` for clients; a proxy bound to every interface is reached at the cluster's host."""
    if host in _ANY_HOST:
        endpoint = host_port(cluster_address, 6379) if cluster_address else None
        host = endpoint[0] if endpoint else DEFAULT_HTTP_HOST
    if ':' in host and not host.startswith('['):
        host = f'[{host}]'
    return f'http://{host}:{port}'


def _text(value: Any) -> str:
    """An enum's value or the text itself (Serve's details mix both)."""
    return str(getattr(value, 'value', value) if value is not None else '')


def summarize(name: str, app: dict[str, Any], base_url: str | None) -> dict[str, Any]:
    """One application as plain data: status, URL, deployments with their replica counts."""
    deployments = {}
    for dep_name, dep in (app.get('deployments') or {}).items():
        states: dict[str, int] = {}
        for replica in dep.get('replicas') or []:
            state = _text(replica.get('state'))
            states[state] = states.get(state, 0) + 1
        deployments[dep_name] = {
            'status': _text(dep.get('status')),
            'message': str(dep.get('message') or ''),
            'target_replicas': dep.get('target_num_replicas'),
            'replicas': states,
        }
    prefix = app.get('route_prefix')
    return {
        'name': name,
        'status': _text(app.get('status')),
        'message': str(app.get('message') or ''),
        'route_prefix': prefix,
        'url': f'{base_url}{prefix}' if base_url and prefix else None,
        'deployments': deployments,
    }


def _base_url(details: dict[str, Any], address: str | None) -> str | None:
    options = details.get('http_options') or {}
    if not options.get('host') or not options.get('port'):
        return None
    return proxy_base_url(str(options['host']), int(options['port']), address)


def list_applications(address: str | None = None, *, timeout: float = DEFAULT_CONNECT_TIMEOUT) -> list[dict[str, Any]]:
    details = serve_details(address, timeout=timeout)
    base = _base_url(details, address)
    apps = details.get('applications') or {}
    return [summarize(name, apps[name], base) for name in sorted(apps)]


def application_status(
    name: str, address: str | None = None, *, timeout: float = DEFAULT_CONNECT_TIMEOUT
) -> dict[str, Any]:
    details = serve_details(address, timeout=timeout)
    apps = details.get('applications') or {}
    if name not in apps:
        raise not_found(name, sorted(apps))
    return summarize(name, apps[name], _base_url(details, address))


def delete_application(name: str, address: str | None = None, *, timeout: float = DEFAULT_CONNECT_TIMEOUT) -> None:
    """Delete the application and wait until its replicas are gone."""
    details = serve_details(address, timeout=timeout)
    apps = details.get('applications') or {}
    if name not in apps:
        raise not_found(name, sorted(apps))
    from ray import serve

    serve.delete(name)


def not_found(name: str, available: list[str]) -> ApplicationNotFoundError:
    names = ', '.join(available) or '(none)'
    return ApplicationNotFoundError(
        f'No Serve application {name!r} on the cluster. Running applications: {names}. See `synapse serve list`.',
        details={'application': name, 'available': available},
    )
