"""``RayServeExecutor`` (mode ``serve_ray``; ``serve`` with a Ray address): deploy an action on Ray Serve.

One application per (plugin, action), route ``/<plugin>-<action>``, whose ingress deployment
(:class:`~synapse_sdk.ray._serve.replica.SynapseServeIngress`) wraps the transport-neutral
``ServedAction``. The runtime_env follows task mode's rules (plugin folder uploaded minus
excludes, requirements, ``include_sdk``, public env vars); secret env values travel as a
constructor argument and never appear in the Serve config the dashboard shows. Requests the
cluster can never satisfy are refused before anything is deployed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from synapse_sdk.core.errors import ConfigError
from synapse_sdk.plugins._remote.secrets import redact_values
from synapse_sdk.ray._connection import DEFAULT_CONNECT_TIMEOUT, cluster_resources, connect
from synapse_sdk.ray._executor_base import RayExecutorBase, action_name_of, refuse_unsatisfiable
from synapse_sdk.ray._runtime_env import read_plugin_settings
from synapse_sdk.ray._serve.admin import ensure_serve, proxy_base_url
from synapse_sdk.ray._serve.handle import RayServeHandle
from synapse_sdk.ray._serve.replica import SealedEnv, SynapseServeIngress
from synapse_sdk.ray.errors import DeploymentFailedError, DeploymentTimeoutError

if TYPE_CHECKING:
    from synapse_sdk.plugins.executors._registry import ActionRef

INGRESS_DEPLOYMENT = 'ingress'
SERVE_DEFAULT_CPUS = 1.0  # what Serve reserves per replica when num_cpus is not given
_NAME_CHARS = re.compile(r'[^a-z0-9]+')
# Deployment options the executor sets itself; anything else of serve.deployment goes in serve_options.
_SET_HERE = frozenset({'name', 'num_replicas', 'autoscaling_config', 'ray_actor_options', 'max_ongoing_requests'})
_FAILED = frozenset({'DEPLOY_FAILED', 'UNHEALTHY'})


def application_name(plugin: str | None, action: str) -> str:
    """``<plugin>-<action>`` in lower case letters, digits and dashes (also the route prefix)."""
    parts = [_NAME_CHARS.sub('-', str(p).lower()).strip('-') for p in (plugin, action) if p]
    name = '-'.join(p for p in parts if p)
    if not name:
        raise ConfigError(f'cannot name a Serve application after plugin {plugin!r} and action {action!r}')
    return name


class RayServeExecutor(RayExecutorBase):
    """Deploy actions on Ray Serve; ``deploy`` returns a :class:`RayServeHandle`.

    ``address`` is the cluster's GCS address (default ``RAY_ADDRESS``). ``num_replicas`` or
    ``autoscaling_config`` size the deployment; ``num_cpus``/``num_gpus``/``memory`` are per
    replica. ``host``/``port`` place Serve's HTTP proxy when this call starts Serve (a running
    Serve keeps its own). ``serve_options`` passes any other ``serve.deployment`` option
    (``health_check_period_s``, ``max_queued_requests``, ``max_constructor_retry_count``...).
    """

    def __init__(
        self,
        env: Mapping[str, Any] | Any | None = None,
        job_id: str | None = None,
        *,
        address: str | None = None,
        ray_address: str | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        num_replicas: int | None = None,
        replicas: int | None = None,
        autoscaling_config: Mapping[str, Any] | None = None,
        max_ongoing_requests: int | None = None,
        max_models_per_replica: int = 3,
        host: str | None = None,
        port: int | None = None,
        route_prefix: str | None = None,
        name: str | None = None,
        app_name: str | None = None,
        serve_options: Mapping[str, Any] | None = None,
        threaded_requests: bool = False,
        deploy_timeout: float = 300.0,
        timeout: float = 60.0,
        blocking: bool = True,
        sinks: Any = None,
        client: Any = None,
        **options: Any,
    ) -> None:
        given = dict(locals())  # first statement: exactly the keywords this executor was built with
        self._init_options = {k: v for k, v in given.items() if k not in ('self', 'options', '__class__')}
        self._init_options.update(options)
        super().__init__(env, job_id=job_id, sinks=sinks, **options)
        self.address = address or ray_address
        self.connect_timeout = connect_timeout
        self.num_replicas = num_replicas if num_replicas is not None else replicas
        self.autoscaling_config = dict(autoscaling_config) if autoscaling_config else None
        if self.num_replicas is not None and self.autoscaling_config is not None:
            raise ConfigError('give num_replicas or autoscaling_config, not both')
        if self.num_replicas is not None and self.num_replicas < 1:
            raise ConfigError(f'num_replicas must be at least 1, not {self.num_replicas}')
        if max_models_per_replica < 1:
            raise ConfigError(f'max_models_per_replica must be at least 1, not {max_models_per_replica}')
        self.max_ongoing_requests = max_ongoing_requests
        self.max_models_per_replica = max_models_per_replica
        self.http_host = host
        self.http_port = port or None  # 0 (the local server's "any free port") means Serve's default here
        self.route_prefix = route_prefix
        self.app_name = app_name or name
        self.serve_options = dict(serve_options or {})
        self.threaded_requests = threaded_requests
        reserved = set(self.serve_options) & _SET_HERE
        if reserved:
            raise ConfigError(
                f'serve_options cannot set {", ".join(sorted(reserved))}: use the executor keywords '
                '(num_replicas, autoscaling_config, num_cpus, num_gpus, memory, runtime_env, max_ongoing_requests)',
                details={'options': sorted(reserved)},
            )
        self.deploy_timeout = deploy_timeout
        self.request_timeout = timeout
        self.wait = blocking
        if client is not None:
            raise ConfigError(
                'client= cannot travel to Ray Serve replicas; they build their backend client from '
                'SYNAPSE_HOST/SYNAPSE_ACCESS_TOKEN in env (or the saved credentials)'
            )

    # -- sizing --------------------------------------------------------------------------------
    def _min_replicas(self) -> int:
        if self.autoscaling_config is not None:
            scaling = self.autoscaling_config
            return int(scaling.get('initial_replicas') or scaling.get('min_replicas') or 1)
        return self.num_replicas or 1

    def check_serve_resources(self, total: Mapping[str, float], *, where: str) -> None:
        """One replica must fit the cluster, and so must all the replicas it starts with."""
        self.check_resources(total, where=where)
        count = self._min_replicas()
        if count > 1:
            wanted = {
                'GPU': (self.num_gpus or 0) * count,
                'CPU': (self.num_cpus if self.num_cpus is not None else SERVE_DEFAULT_CPUS) * count,
                'memory': (self.memory or 0) * count,
            }
            refuse_unsatisfiable(wanted, total, where=f'{where} (for {count} replicas)')

    def _actor_options(self, runtime_env: Mapping[str, Any]) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if runtime_env:
            options['runtime_env'] = dict(runtime_env)
        if self.num_cpus is not None:
            options['num_cpus'] = self.num_cpus
        if self.num_gpus:
            options['num_gpus'] = self.num_gpus
        if self.memory:
            options['memory'] = int(self.memory)
        return options

    def _deployment_options(self, runtime_env: Mapping[str, Any]) -> dict[str, Any]:
        options: dict[str, Any] = {
            **self.serve_options,
            'name': INGRESS_DEPLOYMENT,
            'ray_actor_options': self._actor_options(runtime_env),
        }
        if self.autoscaling_config is not None:
            options['autoscaling_config'] = dict(self.autoscaling_config)
        else:
            options['num_replicas'] = self.num_replicas or 1
        if self.max_ongoing_requests is not None:
            options['max_ongoing_requests'] = self.max_ongoing_requests
        return options

    # -- deploying -----------------------------------------------------------------------------
    def _entrypoint(self, action: str) -> str:
        if ':' in action or self.working_dir is None:
            return action
        from synapse_sdk.plugins.discovery import PluginDiscovery

        return PluginDiscovery.from_path(self.working_dir).get_action_entrypoint(action)

    def deploy(
        self,
        action: str,
        *,
        entrypoint: str | None = None,
        defaults: Mapping[str, Any] | None = None,
        plugin: str | None = None,
    ) -> RayServeHandle:
        """Deploy ``action`` of the plugin at ``working_dir`` and wait until it serves; its handle.

        ``entrypoint`` (``pkg.mod:Attr``) defaults to the action's entry in config.yaml;
        ``defaults`` are params every request starts from. The application is named
        ``<plugin>-<action>`` (``plugin`` defaults to the config's ``code``) and routed at
        ``/<name>``; deploying the same name again updates it in place.
        """
        from ray import serve

        action_name = action_name_of(action) or str(action)
        if plugin is None:
            plugin = read_plugin_settings(self.working_dir).name
        app = self.app_name or application_name(plugin, action_name)
        route_prefix = '/' + (self.route_prefix or app).strip('/')
        spec = {
            'entrypoint': entrypoint or self._entrypoint(action),
            'action': action_name,
            'env': self.public_env,
            'language': self.language,
            'max_models_per_replica': self.max_models_per_replica,
            'defaults': dict(defaults or {}),
            'threaded_requests': self.threaded_requests,
        }

        gcs = connect(self.address, timeout=self.connect_timeout)
        self.check_serve_resources(cluster_resources(), where=gcs)
        from synapse_sdk.ray._task import actor_runtime_env

        runtime_env = actor_runtime_env(self.build_runtime_env())
        host, port = ensure_serve(self.http_host, self.http_port)
        deployment = serve.deployment(**self._deployment_options(runtime_env))(SynapseServeIngress)
        bound = deployment.bind(spec, SealedEnv(self.secret_env))
        serve.run_many(
            [serve.RunTarget(target=bound, name=app, route_prefix=route_prefix)], wait_for_applications_running=False
        )
        if self.wait:
            self._wait_running(app)
        return RayServeHandle(
            app,
            f'{proxy_base_url(host, port, gcs)}{route_prefix}',
            address=self.address,
            timeout=self.request_timeout,
            connect_timeout=self.connect_timeout,
        )

    def _wait_running(self, app: str) -> None:
        from ray import serve

        deadline = time.monotonic() + self.deploy_timeout
        while True:
            overview = serve.status().applications.get(app)
            status = str(getattr(getattr(overview, 'status', None), 'value', getattr(overview, 'status', '')))
            if status == 'RUNNING':
                return
            if status in _FAILED:
                text = self._failure_message(overview)
                what = (
                    "Ray could not set up the replicas' runtime_env (requirements, wheels, working_dir)"
                    if 'RuntimeEnvSetupError' in text or 'runtime env' in text.lower()
                    else 'its replicas failed to start'
                )
                raise DeploymentFailedError(
                    f'Ray Serve could not start application {app!r}: {what}: {telling_line(text)}',
                    details={'application': app, 'status': status, 'serve_message': text[-4000:]},
                )
            if time.monotonic() >= deadline:
                raise DeploymentTimeoutError(
                    f'Serve application {app!r} was not running after {self.deploy_timeout:g}s (status {status}); '
                    'check `synapse serve status` and the replica logs, or raise deploy_timeout.',
                    details={'application': app, 'status': status},
                )
            time.sleep(0.25)

    def _failure_message(self, overview: Any) -> str:
        parts = [str(getattr(overview, 'message', '') or '')]
        for dep in (getattr(overview, 'deployments', None) or {}).values():
            parts.append(str(getattr(dep, 'message', '') or ''))
        return redact_values('\n'.join(p for p in parts if p), self.secret_env.values())

    # -- the executor protocol -------------------------------------------------------------------
    def run(self, ref: ActionRef, params: Mapping[str, Any]) -> RayServeHandle:
        """Deploy the action ``ref`` names; ``params`` become the defaults of every request."""
        executor = self
        if ref.plugin_path is not None and self.working_dir is None:
            # The plugin folder is the working_dir, and its config.yaml env is part of the env.
            executor = type(self)(**{**self._init_options, 'working_dir': str(ref.plugin_path)})
        return executor.deploy(ref.name, entrypoint=ref.entrypoint(), defaults=params)


def telling_line(text: str, limit: int = 400) -> str:
    """The most telling line of a Serve failure: an installer's ``ERROR`` line, else the last exception line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return 'no reason given'
    installer = [line for line in lines if re.match(r'^(ERROR|error)\b', line)]
    errors = [
        line
        for line in lines
        if re.match(r'^[A-Za-z_][\w.]*(Error|Exception)\b', line) and not line.endswith('following details.')
    ]
    chosen = installer[-1] if installer else errors[-1] if errors else lines[0]
    return chosen[:limit]


__all__ = ['RayServeExecutor', 'application_name']
