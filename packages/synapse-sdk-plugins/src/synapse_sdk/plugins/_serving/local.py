"""The embedded server: a served action on loopback with the same HTTP API as on Ray Serve, no Ray needed.

``POST <url>`` (params as a JSON object, model id in the ``serve_multiplexed_model_id`` header)
and ``GET <url>/health``, where ``url`` is ``http://127.0.0.1:<port>/<action>``. The stdlib
``ThreadingHTTPServer`` answers each connection in its own thread (HTTP/1.1 keep-alive), so a
smart tool and a batch pre-annotation can share one loaded model.

Execution modes registered here: ``serve_local`` (always this server) and ``serve`` (this server,
or the ``serve_ray`` mode of synapse-sdk-ray when ``address=``/``RAY_ADDRESS`` names a cluster).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from synapse_sdk.plugins._serving.client import ServeClient
from synapse_sdk.plugins._serving.served import MODEL_ID_HEADER, ServedAction, ServeResponse, error_response
from synapse_sdk.plugins.errors import ServeUnavailableError
from synapse_sdk.plugins.executors._registry import ActionRef, get_executor, ray_address_given

MAX_BODY = 64 * 1024 * 1024
# Ray Serve options that mean nothing in one local process; accepted so one call works in both places.
RAY_ONLY_OPTIONS = frozenset(
    {
        'num_replicas',
        'autoscaling_config',
        'num_cpus',
        'num_gpus',
        'memory',
        'max_ongoing_requests',
        'include_sdk',
        'runtime_env',
        'working_dir',
        'requirements_file',
        'package_manager',
        'package_manager_options',
        'wheels_dir',
        'secrets',
        'include_credentials',
        'name',
        'app_name',
        'blocking',
        'connect_timeout',
        'replicas',
        'serve_options',
        'threaded_requests',
        'deploy_timeout',
    }
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    timeout = 300  # an idle keep-alive connection is closed after 5 minutes (clients reconnect)
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # no access log on stderr
        pass

    def _send(self, response: ServeResponse) -> None:
        self.send_response(response.status)
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header('Content-Length', str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def _route(self) -> str:
        return self.path.split('?', 1)[0].rstrip('/') or '/'

    def do_GET(self) -> None:
        served = self.server.served
        if self._route() == self.server.health_path:
            from synapse_sdk.plugins._serving.served import json_response

            self._send(json_response(200, served.health()))
        else:
            self._send(error_response(404, 'NotFound', f'no route {self._route()}; POST {self.server.route}'))

    def do_POST(self) -> None:
        length_text = self.headers.get('Content-Length')
        try:
            length = int(length_text) if length_text is not None else 0
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.close_connection = True
            self._send(
                error_response(
                    413 if length > MAX_BODY else 400, 'BadRequest', f'request body must be 0..{MAX_BODY} bytes'
                )
            )
            return
        body = self.rfile.read(length) if length else b''
        if self._route() != self.server.route:
            self._send(error_response(404, 'NotFound', f'no route {self._route()}; POST {self.server.route}'))
            return
        self._send(self.server.served.handle(body, self.headers.get(MODEL_ID_HEADER)))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], served: ServedAction, route: str) -> None:
        self.served = served
        self.route = route
        self.health_path = (route.rstrip('/') + '/health') if route != '/' else '/health'
        super().__init__(address, _Handler)


class LocalServer:
    """Serve ``served`` on ``host:port`` (port 0: a free one) in a background thread."""

    def __init__(
        self, served: ServedAction, *, host: str = '127.0.0.1', port: int = 0, route_prefix: str | None = None
    ) -> None:
        route = route_prefix if route_prefix is not None else f'/{served.action_name}'
        route = '/' + route.strip('/') if route.strip('/') else '/'
        self.served = served
        self._server = _Server((host, port), served, route)
        bound = self._server.server_address
        self.host = bound[0] if isinstance(bound[0], str) else bound[0].decode()
        self.port = int(bound[1])
        shown = f'[{self.host}]' if ':' in self.host else self.host
        self.url = f'http://{shown}:{self.port}{route if route != "/" else ""}'
        self._thread: threading.Thread | None = None

    def start(self) -> LocalServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={'poll_interval': 0.05},
                name=f'synapse-serve-{self.port}',
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until :meth:`stop` (or Ctrl-C)."""
        self._server.serve_forever()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
        self.served.close()


class LocalServeHandle:
    """The :class:`~synapse_sdk.plugins._serving.ServeHandle` of an action served by the embedded server."""

    mode = 'serve_local'

    def __init__(self, server: LocalServer, *, timeout: float = 60.0) -> None:
        self.server = server
        self.url = server.url
        self.client = ServeClient(server.url, timeout=timeout)
        self._deleted = False

    def predict(self, payload: dict[str, Any], *, model_id: str | None = None) -> Any:
        if self._deleted:
            raise ServeUnavailableError(f'the served action at {self.url} was deleted', url=self.url)
        return self.client.predict(payload, model_id=model_id)

    def status(self) -> dict[str, Any]:
        base = {'url': self.url, 'mode': self.mode}
        if self._deleted or not self.server.running:
            return {**base, 'status': 'DELETED', 'models': []}
        health = self.client.health()
        return {**base, **health, 'status': 'RUNNING', 'health': health.get('status')}

    def delete(self) -> None:
        if not self._deleted:
            self._deleted = True
            self.client.close()
            self.server.stop()

    def __enter__(self) -> LocalServeHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.delete()

    def __repr__(self) -> str:
        return f'LocalServeHandle(url={self.url!r})'


class LocalServeExecutor:
    """``mode='serve_local'``: serve the action on loopback and return its handle.

    Keywords: ``host`` (default 127.0.0.1), ``port`` (0: a free port), ``route_prefix`` (default
    ``/<action>``), ``max_models_per_replica`` (3), ``env``, ``language``, ``sinks``, ``client``,
    ``timeout`` (of the handle's requests). Ray Serve options (replicas, GPUs...) are accepted and
    have no effect in one local process.
    """

    def __init__(
        self,
        *,
        host: str = '127.0.0.1',
        port: int = 0,
        route_prefix: str | None = None,
        max_models_per_replica: int = 3,
        timeout: float = 60.0,
        **options: Any,
    ) -> None:
        self.host = host
        self.port = port
        self.route_prefix = route_prefix
        self.max_models_per_replica = max_models_per_replica
        self.timeout = timeout
        unknown = set(options) - RAY_ONLY_OPTIONS - {'env', 'language', 'sinks', 'client', 'address', 'ray_address'}
        if unknown:
            from synapse_sdk.core._suggest import unknown_names_message
            from synapse_sdk.core.errors import ConfigError

            valid = sorted(RAY_ONLY_OPTIONS | {'env', 'language', 'sinks', 'client', 'address', 'ray_address'})
            raise ConfigError(
                f'{unknown_names_message("serve option", unknown, valid)}',
                details={'options': sorted(unknown)},
            )
        passed = ('env', 'language', 'sinks', 'client')
        self.served_options: dict[str, Any] = {k: options[k] for k in passed if k in options}

    def served_action(self, ref: ActionRef, params: Mapping[str, Any]) -> ServedAction:
        options: dict[str, Any] = dict(self.served_options)
        options.update(max_models_per_replica=self.max_models_per_replica, defaults=params)
        if ref.discovery is not None and ref.target is None:
            return ServedAction.from_plugin(ref.discovery, ref.name, **options)
        return ServedAction(ref.load(), plugin_path=ref.plugin_path, action_name=ref.name or None, **options)

    def server(self, ref: ActionRef, params: Mapping[str, Any]) -> LocalServer:
        served = self.served_action(ref, params)
        served.load()  # an import error surfaces here, not on the first request
        return LocalServer(served, host=self.host, port=self.port, route_prefix=self.route_prefix)

    def run(self, ref: ActionRef, params: Mapping[str, Any]) -> LocalServeHandle:
        return LocalServeHandle(self.server(ref, params).start(), timeout=self.timeout)


class ServeExecutor:
    """``mode='serve'``: the embedded server, or Ray Serve (``serve_ray``) when a Ray address is given."""

    def __init__(self, **options: Any) -> None:
        self.options = options

    def run(self, ref: ActionRef, params: Mapping[str, Any]) -> Any:
        if ray_address_given(self.options):
            return get_executor('serve_ray')(**self.options).run(ref, params)
        options = {k: v for k, v in self.options.items() if k not in ('address', 'ray_address')}
        return LocalServeExecutor(**options).run(ref, params)


__all__ = ['LocalServeExecutor', 'LocalServeHandle', 'LocalServer', 'ServeExecutor']
