"""What runs in a Ray Serve replica: the HTTP ingress around the transport-neutral ``ServedAction``.

Serve's proxy hands each request to :class:`SynapseServeIngress` as a Starlette request; the
ingress answers ``GET <route>/health`` itself and passes ``POST <route>`` bodies to
``ServedAction.handle``, so the API (422 with every bad field, typed 500, JSON results) is the
one the embedded local server speaks. Model ids arrive in Serve's ``serve_multiplexed_model_id``
header; loading goes through ``@serve.multiplexed`` so Serve routes a model's requests to the
replicas that already hold it.

Secret env values never enter the deployment's runtime_env (the dashboard shows it): they reach
the replica as a pickled :class:`SealedEnv` constructor argument, as task mode passes them in
the actor call, and are put into the replica's ``os.environ`` before the action is loaded.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Mapping
from typing import Any

from synapse_sdk.plugins._models import model_key

HEALTH_SUFFIX = '/health'
JSON = 'application/json'


class SealedEnv:
    """Env values that must not show up in a repr, a log line or the Serve config."""

    __slots__ = ('_values',)

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self._values = {str(k): str(v) for k, v in (values or {}).items()}

    def reveal(self) -> dict[str, str]:
        return dict(self._values)

    def names(self) -> list[str]:
        return sorted(self._values)

    def __repr__(self) -> str:
        return f'SealedEnv({", ".join(self.names())})'

    def __getstate__(self) -> dict[str, str]:
        return self._values

    def __setstate__(self, state: dict[str, str]) -> None:
        self._values = dict(state)


def _json_response(status: int, data: Any, headers: Mapping[str, str] | None = None) -> Any:
    from starlette.responses import Response

    body = json.dumps(data, ensure_ascii=False).encode('utf-8')
    return Response(content=body, status_code=status, headers=dict(headers or {}), media_type=JSON)


def _replica_id() -> str | None:
    try:
        from ray import serve

        return str(serve.get_replica_context().replica_id.unique_id)
    except Exception:  # outside a replica (unit use)
        return None


class SynapseServeIngress:
    """The ingress deployment of a served action (wrapped with ``serve.deployment`` when deployed).

    ``spec`` holds what the dashboard may show (plugin folder, action, language, model cache
    size); ``secrets`` holds what it may not.
    """

    def __init__(self, spec: Mapping[str, Any], secrets: SealedEnv | None = None) -> None:
        from ray import serve

        cwd = os.getcwd()
        if cwd not in sys.path:  # the uploaded working_dir is the replica's cwd
            sys.path.insert(0, cwd)
        env = {**{str(k): str(v) for k, v in (spec.get('env') or {}).items()}, **(secrets or SealedEnv()).reveal()}
        os.environ.update(env)  # one replica process serves one action: its env is the action's env
        from synapse_sdk.plugins._serving.served import ServedAction

        self.max_models = int(spec.get('max_models_per_replica') or 3)
        self.served = ServedAction(
            str(spec['entrypoint']),
            plugin_path=cwd,
            action_name=str(spec['action']),
            env=env,
            language=spec.get('language'),
            max_models_per_replica=self.max_models,
            defaults=spec.get('defaults') or {},
        )
        self.served.load()  # an import error fails the replica's start, which Serve reports

        async def load_model(model_id: str) -> str:
            # The model itself is loaded by the action into ServedAction's LRU (same size, same
            # order of use); Serve's multiplexer only tracks which ids this replica holds, to route by them.
            return model_id

        self._multiplexed = serve.multiplexed(max_num_models_per_replica=self.max_models)(load_model)
        self.threaded = bool(spec.get('threaded_requests'))
        self._warm: set[str] = set()  # model keys a request has completed for
        self._with_model: set[str] = set()  # ... of which the action loaded a model

    def _runs_inline(self, key: str) -> bool:
        """Whether a request runs on the event loop instead of a worker thread.

        Handing a request to a thread costs up to the GIL switch interval (5 ms) on a busy
        replica, more than the action itself for most models; but a request that may load a
        model (the first for its id, or one evicted since) runs in a thread, so a long load
        never stalls the replica's loop. ``threaded_requests`` sends every request to a thread
        (for actions that release the GIL and should overlap).
        """
        if self.threaded or key not in self._warm:
            return False
        return key not in self._with_model or key in self.served.models

    async def __call__(self, request: Any) -> Any:
        from ray import serve

        path = request.url.path.rstrip('/')
        if path.endswith(HEALTH_SUFFIX):
            if request.method not in ('GET', 'HEAD'):
                return _json_response(405, _method_error(request.method, 'GET'), {'Allow': 'GET'})
            return _json_response(200, {**self.served.health(), 'replica': _replica_id()})
        if request.method != 'POST':
            return _json_response(405, _method_error(request.method, 'POST'), {'Allow': 'POST'})
        model_id = serve.get_multiplexed_model_id() or None
        if model_id is not None:
            await self._multiplexed(model_id)
        body = await request.body()
        key = model_key(model_id)
        if self._runs_inline(key):
            response = self.served.handle(body, model_id)
        else:
            response = await asyncio.get_running_loop().run_in_executor(None, self.served.handle, body, model_id)
            if key in self.served.models:
                self._with_model.add(key)
        self._warm.add(key)
        from starlette.responses import Response

        skip = ('content-length', 'content-type')  # Starlette sets both from the body and media type
        headers = {k: v for k, v in (response.headers or {}).items() if k.lower() not in skip}
        return Response(content=response.body, status_code=response.status, headers=headers, media_type=JSON)

    def check_health(self) -> None:
        """Serve's periodic replica health check: a replica whose action cannot answer is replaced."""
        health = self.served.health()
        if health.get('status') not in ('ok', None):
            raise RuntimeError(f'served action is not healthy: {health.get("status")}')


def _method_error(method: str, allowed: str) -> dict[str, Any]:
    return {'error': {'type': 'MethodNotAllowed', 'message': f'{method} is not allowed here; use {allowed}'}}
