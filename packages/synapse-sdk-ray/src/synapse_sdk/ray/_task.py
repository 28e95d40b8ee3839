"""``RayActorExecutor`` (mode ``task``): run actions in warm Ray actors.

One actor per (plugin code, runtime_env, resources) stays alive across calls and executors, so a
call costs about a bare actor method call. Actions are never retried: a worker that dies
mid-action is reported as :class:`WorkerCrashedError`, not run twice.
"""

from __future__ import annotations

import inspect
import json
import os
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from synapse_sdk.core._atomic import scratch as scratch_space
from synapse_sdk.core.errors import SynapseError
from synapse_sdk.plugins.errors import ExecutionError
from synapse_sdk.ray._connection import DEFAULT_CONNECT_TIMEOUT, cluster_resources, connect
from synapse_sdk.ray._executor_base import RayExecutorBase
from synapse_sdk.ray._remote_errors import rebuild_exception
from synapse_sdk.ray.errors import ActionTimeoutError, EnvironmentSetupError, WorkerCrashedError

_pool_lock = threading.Lock()
_warm_actors: dict[tuple[str, str, str], Any] = {}


def _upload_directory(path: str, excludes: Sequence[str], *, as_module: bool = False) -> str:
    """Pack ``path`` into Ray's object store once; returns its ``gcs://`` URI (content-addressed).

    ``as_module`` keeps the folder itself in the package (a ``py_modules`` entry), where a
    ``working_dir`` ships only its contents.
    """
    from ray._private.runtime_env.packaging import get_uri_for_directory, upload_package_if_needed

    options: dict[str, Any] = {'excludes': list(excludes)}
    if 'include_gitignore' in inspect.signature(get_uri_for_directory).parameters:  # newer Ray versions ask for it
        options['include_gitignore'] = os.environ.get('RAY_RUNTIME_ENV_IGNORE_GITIGNORE', '0') != '1'
    uri = get_uri_for_directory(path, **options)
    with scratch_space('pkg') as scratch:
        upload_package_if_needed(uri, str(scratch), path, include_parent_dir=as_module, **options)
    return str(uri)


def _upload_wheel(path: str) -> str:
    from ray._private.runtime_env.packaging import get_uri_for_package, package_exists, upload_package_to_gcs

    uri = str(get_uri_for_package(Path(path)))
    if not package_exists(uri):
        upload_package_to_gcs(uri, Path(path).read_bytes())
    return uri


def _sdk_version() -> str:
    from synapse_sdk.core._version import sdk_version

    return sdk_version()


def actor_runtime_env(local_env: Mapping[str, Any]) -> dict[str, Any]:
    """A per-actor runtime_env: local folders and wheels become uploaded ``gcs://`` packages."""
    env = dict(local_env)
    excludes = env.pop('excludes', [])
    working_dir = env.get('working_dir')
    if working_dir and '://' not in str(working_dir):
        env['working_dir'] = _upload_directory(str(working_dir), excludes)
    modules = []
    for module in env.get('py_modules', []):
        text = str(module)
        if '://' in text:
            modules.append(text)
        elif text.endswith('.whl'):
            modules.append(_upload_wheel(text))
        else:
            modules.append(_upload_directory(text, excludes, as_module=True))
    if modules:
        env['py_modules'] = modules
    return env


class RayActorExecutor(RayExecutorBase):
    """Run an action in a warm Ray actor and return its result.

    ``address`` is the cluster's GCS address (``host:6379``, ``ray://host:10001``, ``auto``);
    default ``RAY_ADDRESS``, else a local Ray runtime is started.
    """

    def __init__(
        self,
        env: Mapping[str, Any] | Any | None = None,
        job_id: str | None = None,
        *,
        address: str | None = None,
        ray_address: str | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        timeout: float | None = None,
        live_events: bool = True,
        event_interval: float = 0.25,
        **options: Any,
    ) -> None:
        super().__init__(env, job_id=job_id, **options)
        self.live_events = live_events
        self.event_interval = event_interval
        self.address = address or ray_address
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self._actor_key: tuple[str, str, str] | None = None
        self._actor: Any = None
        self._owned: set[tuple[str, str, str]] = set()

    # -- actor lifecycle ---------------------------------------------------------------------
    def _resources(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if self.num_cpus is not None:
            options['num_cpus'] = self.num_cpus
        if self.num_gpus:
            options['num_gpus'] = self.num_gpus
        if self.memory:
            options['memory'] = int(self.memory)
        return options

    def _ensure_actor(self) -> Any:
        if self._actor is not None:
            return self._actor
        import ray

        gcs = connect(self.address, timeout=self.connect_timeout)
        self.check_resources(cluster_resources(), where=gcs)
        runtime_env = actor_runtime_env(self.build_runtime_env())
        resources = self._resources()
        # The driver's job id changes with every ray.init(): handles from an earlier connection are dead.
        connection = f'{gcs}/{ray.get_runtime_context().get_job_id()}'
        key = (connection, json.dumps(runtime_env, sort_keys=True), json.dumps(resources, sort_keys=True))
        with _pool_lock:
            actor = _warm_actors.get(key)
            if actor is None:
                from synapse_sdk.ray._worker import SynapseWorker

                remote_cls = ray.remote(SynapseWorker)
                actor = remote_cls.options(
                    runtime_env=runtime_env or None,
                    max_restarts=0,
                    max_task_retries=0,
                    max_concurrency=2,  # one action at a time, plus event draining
                    **resources,
                ).remote()
                _warm_actors[key] = actor
                self._owned.add(key)
        self._actor_key, self._actor = key, actor
        return actor

    def _forget_actor(self) -> None:
        key, self._actor_key, self._actor = self._actor_key, None, None
        if key is not None:
            with _pool_lock:
                _warm_actors.pop(key, None)

    def shutdown(self) -> None:
        """Kill the actors this executor started (other executors' warm actors stay)."""
        import ray

        with _pool_lock:
            for key in self._owned:
                actor = _warm_actors.pop(key, None)
                if actor is not None and ray.is_initialized():
                    ray.kill(actor, no_restart=True)
            self._owned.clear()
        self._actor_key, self._actor = None, None

    # -- running -----------------------------------------------------------------------------
    def execute(self, action: Any, params: Any = None) -> Any:
        """Run ``action`` (a class, a decorated function or a ``'pkg.mod:Attr'`` entrypoint)."""
        import ray.exceptions as rex

        request = self.make_request(action, params)
        actor = self._ensure_actor()
        try:
            envelope = self._call(actor, request)
        except rex.GetTimeoutError as error:
            raise ActionTimeoutError(
                f'No result from action {request.get("action_name") or ""} within {self.timeout:g}s',
                details={'timeout': self.timeout},
            ) from error
        except rex.RuntimeEnvSetupError as error:
            self._forget_actor()
            raise EnvironmentSetupError(f'Ray could not set up the runtime_env for the action: {error}') from None
        except (rex.RayActorError, rex.WorkerCrashedError, rex.ObjectLostError) as error:
            self._forget_actor()
            if "No module named 'synapse_sdk" in str(error):
                raise EnvironmentSetupError(
                    "The Ray worker's Python cannot import synapse_sdk. Pass include_sdk=True to ship the SDK "
                    'with the action, or install synapse-sdk (same version as here) on the cluster.',
                    details={'sdk_version': _sdk_version()},
                ) from None
            raise WorkerCrashedError(
                'The Ray worker running the action died before it finished (killed, out of memory, '
                'or its node was lost); the action was not retried.',
                details={'reason': type(error).__name__},
            ) from None
        except rex.RayTaskError as error:
            cause = getattr(error, 'cause', None)
            if isinstance(cause, SynapseError):
                raise cause from None
            raise ExecutionError(f'The Ray worker failed outside the action: {cause or error}') from cause
        return self.finish(envelope)

    def _call(self, actor: Any, request: dict[str, Any]) -> Mapping[str, Any]:
        """Call ``run``; while a long action runs, fetch its events every ``event_interval`` seconds."""
        import ray

        if not self.live_events:
            return ray.get(actor.run.remote(request), timeout=self.timeout)  # type: ignore[no-any-return]
        import ray.exceptions as rex

        request['run_id'] = run_id = uuid.uuid4().hex
        ref = actor.run.remote(request)
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while True:
            wait = self.event_interval if deadline is None else min(self.event_interval, deadline - time.monotonic())
            try:  # one round trip when the action is quick, which is most calls
                return ray.get(ref, timeout=max(0.0, wait))  # type: ignore[no-any-return]
            except rex.GetTimeoutError:
                if deadline is not None and time.monotonic() >= deadline:
                    raise
            self.replay_events(ray.get(actor.drain.remote(run_id)))

    def finish(self, envelope: Mapping[str, Any]) -> Any:
        """Replay the worker's events to our sinks in order, then return the result or raise."""
        self.replay_events(envelope.get('events') or [])
        if envelope.get('ok'):
            return envelope.get('result')
        raise rebuild_exception(dict(envelope.get('error') or {}))


RayTaskExecutor = RayActorExecutor

__all__ = ['RayActorExecutor', 'RayTaskExecutor']
