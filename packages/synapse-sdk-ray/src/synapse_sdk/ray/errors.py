"""Errors of Ray execution. Each derives from the SDK's base and from the closest builtin."""

from __future__ import annotations

from synapse_sdk.core.errors import ClientError, ConfigError, NotFoundError, SynapseError
from synapse_sdk.plugins.errors import ExecutionError, RemoteError


class ClusterUnreachableError(ClientError):
    """No Ray cluster answered at the address within the connect timeout."""


class AddressError(ConfigError):
    """The address has the wrong form for the mode (a dashboard URL in task mode, a GCS address in job mode)."""


class ResourceUnavailableError(ConfigError):
    """The request asks for resources (GPUs, CPUs, memory) the cluster does not have at all."""


class WorkerCrashedError(ExecutionError):
    """The Ray worker running the action died (killed, out of memory, node lost). Never retried."""


class EnvironmentSetupError(ExecutionError):
    """Ray could not build the runtime_env (a requirement failed to install, the package is too big...)."""


class JobFailedError(ExecutionError):
    """A Ray job ended in FAILED without an error record from the action (setup or crash)."""


class JobStoppedError(ExecutionError):
    """A Ray job was stopped before it finished."""


class JobNotFoundError(NotFoundError):
    """No job with this id exists on the cluster."""


class DeploymentFailedError(ExecutionError):
    """Ray Serve could not bring the application up (its replicas failed to start)."""


class DeploymentTimeoutError(SynapseError, TimeoutError):
    """The Serve application was not running within the deploy timeout (it may still be starting)."""


class ApplicationNotFoundError(NotFoundError):
    """No Serve application of that name runs on the cluster."""


class ActionTimeoutError(SynapseError, TimeoutError):
    """Waiting for a result ran out of time; a job keeps running (stop it with ``stop()``)."""


JobTimeoutError = ActionTimeoutError


__all__ = [
    'ActionTimeoutError',
    'ApplicationNotFoundError',
    'ClusterUnreachableError',
    'DeploymentFailedError',
    'DeploymentTimeoutError',
    'EnvironmentSetupError',
    'ExecutionError',
    'JobFailedError',
    'JobNotFoundError',
    'JobStoppedError',
    'JobTimeoutError',
    'RemoteError',
    'ResourceUnavailableError',
    'WorkerCrashedError',
]
