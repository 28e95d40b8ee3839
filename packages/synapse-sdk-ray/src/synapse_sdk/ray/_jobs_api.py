"""``RayJobsApiExecutor`` (mode ``job``): submit actions as Ray jobs through the dashboard.

``submit`` returns a job id at once; ``status``, ``logs``, ``follow``, ``stop`` and
``wait(timeout) -> result`` work from any machine that reaches the dashboard. Params, secrets and
results use side channels (:mod:`synapse_sdk.ray._side_channel`): the entrypoint is always the same
fixed command, and nothing secret is placed in the runtime_env or job metadata.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Iterator, Mapping
from typing import Any

from synapse_sdk.core.errors import ClientError
from synapse_sdk.plugins.errors import ExecutionError
from synapse_sdk.ray._dashboard import TERMINAL, Dashboard
from synapse_sdk.ray._executor_base import RayExecutorBase, entrypoint_of
from synapse_sdk.ray._remote_errors import rebuild_exception
from synapse_sdk.ray._side_channel import (
    ENV_PAYLOAD_MODULE,
    ERROR_FILE,
    EVENTS_FILE,
    RESULT_FILE,
    PayloadPackage,
    check_job_id,
    new_job_id,
    relative_file,
)
from synapse_sdk.ray.errors import (
    ActionTimeoutError,
    EnvironmentSetupError,
    JobFailedError,
    JobNotFoundError,
    JobStoppedError,
)

ENTRYPOINT_MODULE = 'synapse_sdk.ray._job_entry'


def parse_events(raw: bytes | None) -> list[dict[str, Any]]:
    """Complete JSON lines only: a running job may be half-way through writing the last one."""
    lines = [line for line in (raw or b'').decode('utf-8', 'replace').splitlines() if line.strip()]
    events = []
    for index, line in enumerate(lines):
        try:
            events.append(json.loads(line))
        except ValueError:
            if index == len(lines) - 1:
                break  # still being written
            raise
    return events


class RayJobsApiExecutor(RayExecutorBase):
    """Run actions as Ray jobs. ``dashboard_address`` defaults to ``RAY_DASHBOARD_ADDRESS`` or localhost:8265."""

    def __init__(
        self,
        env: Mapping[str, Any] | Any | None = None,
        *,
        dashboard_address: str | None = None,
        address: str | None = None,
        ray_address: str | None = None,
        python: str = 'python',
        sinks: Any = None,
        events_window: int = 200,
        **options: Any,
    ) -> None:
        connect_timeout = float(options.pop('connect_timeout', 15.0))
        # Job events already appear, rendered, in the job's log; replay them only into given sinks.
        super().__init__(env, sinks=list(sinks) if sinks is not None else [], **options)
        del ray_address  # a job runs on the cluster behind the dashboard; a GCS address is not needed
        self.dashboard = Dashboard(dashboard_address or address, timeout=connect_timeout)
        self.python = python
        self._submitter: Any = None
        self._delivered: dict[str, int] = {}  # job id -> seq of the last event handed to our sinks
        self.events_window = events_window  # lines fetched per events poll (see deliver_events)

    @property
    def dashboard_address(self) -> str:
        return self.dashboard.address

    def _client(self) -> Any:
        if self._submitter is None:
            self.dashboard.ensure_reachable()
            self.dashboard.request('GET', '/api/version')  # a GCS port or a stranger: one typed line, not Ray's trace
            from ray.job_submission import JobSubmissionClient

            try:
                self._submitter = JobSubmissionClient(self.dashboard.address, headers=self.dashboard.headers or None)
            except ConnectionError as error:
                raise ClientError(
                    f'Ray dashboard {self.dashboard.address} did not accept the Jobs API: {str(error).splitlines()[0]}',
                    details={'address': self.dashboard.address},
                ) from None
        return self._submitter

    # -- submit ------------------------------------------------------------------------------
    def submit(self, action: Any, params: Any = None, *, job_id: str | None = None) -> str:
        """Start ``action`` (class, function or ``'pkg.mod:Attr'``) as a Ray job; returns its id."""
        job_id = check_job_id(job_id or self.job_id or new_job_id())
        entrypoint = entrypoint_of(action)
        self.validate_locally(action, params)
        request = self.make_request(entrypoint, params, job_id=job_id)
        if self.num_gpus or self.num_cpus or self.memory:
            self.check_resources(self.dashboard.total_resources(), where=self.dashboard.address)
        runtime_env = self.build_runtime_env()
        runtime_env.setdefault('env_vars', {})
        client = self._client()
        with PayloadPackage(request) as payload:
            runtime_env['py_modules'] = [*runtime_env.get('py_modules', []), str(payload.path)]
            runtime_env['env_vars'][ENV_PAYLOAD_MODULE] = payload.module
            runtime_env['env_vars'].setdefault('SYNAPSE_JOB_ID', job_id)
            resources: dict[str, Any] = {}
            if self.num_cpus is not None:
                resources['entrypoint_num_cpus'] = self.num_cpus
            if self.num_gpus:
                resources['entrypoint_num_gpus'] = self.num_gpus
            if self.memory:
                resources['entrypoint_memory'] = int(self.memory)
            self._submit_with_retry(
                client,
                entrypoint=self.entrypoint_command(runtime_env),
                runtime_env=runtime_env,
                submission_id=job_id,
                metadata={'synapse_action': str(request['action_name'] or '')},
                **resources,
            )
        return job_id

    def validate_locally(self, action: Any, params: Any) -> None:
        """Refuse params the action's model rejects before anything is submitted.

        Only when the action imports here: its own dependencies may exist on the cluster alone, and
        then the worker validates as before.
        """
        from synapse_sdk.plugins._context import RuntimeContext
        from synapse_sdk.plugins._dispatch import action_spec, load_entrypoint, validate_params

        try:
            target = load_entrypoint(action, plugin_path=self.working_dir) if isinstance(action, str) else action
            spec = action_spec(target)
        except Exception:
            return
        validate_params(spec, params, RuntimeContext(env={}, action_name=spec.name))

    def entrypoint_command(self, runtime_env: Mapping[str, Any]) -> str:
        """The fixed job command; a ``py_executable`` in the runtime_env also runs the entrypoint."""
        python = self.python
        if python == 'python' and runtime_env.get('py_executable'):
            return f'{runtime_env["py_executable"]} -m {ENTRYPOINT_MODULE}'  # may carry its own arguments
        return f'{shlex.quote(python)} -m {ENTRYPOINT_MODULE}'

    def _submit_with_retry(self, client: Any, **kwargs: Any) -> None:
        """Submit, riding out the head's transient refusals (agent not registered yet, dropped connection)."""
        job_id = kwargs['submission_id']
        deadline = time.monotonic() + max(self.dashboard.timeout, 90.0)
        while True:
            try:
                client.submit_job(**kwargs)
                return
            except RuntimeError as error:
                transient = 'No available agent' in str(error)
                if 'already exists' in str(error) and self._exists(job_id):
                    return  # an earlier attempt got through before its answer was lost
                if not transient or time.monotonic() >= deadline:
                    raise ClientError(f'Ray refused the job: {error}', details={'job_id': job_id}) from None
            except OSError as error:  # requests' ConnectionError: the dashboard dropped the request
                if self._exists(job_id):
                    return
                if time.monotonic() >= deadline:
                    raise ClientError(f'Ray dashboard dropped the job submission: {error}', status=503) from None
            time.sleep(0.5)

    def _exists(self, job_id: str) -> bool:
        try:
            self.dashboard.job(job_id)
        except (JobNotFoundError, ClientError):
            return False
        return True

    # -- inspect -----------------------------------------------------------------------------
    def status(self, job_id: str) -> str:
        """``PENDING``, ``RUNNING``, ``STOPPED``, ``SUCCEEDED`` or ``FAILED``."""
        return str(self.dashboard.job(job_id).get('status', 'PENDING'))

    get_status = status

    def info(self, job_id: str) -> dict[str, Any]:
        return self.dashboard.job(job_id)

    def logs(self, job_id: str) -> str:
        return self.dashboard.job_logs(job_id)

    get_logs = logs

    def follow(self, job_id: str, *, poll_interval: float = 0.25, timeout: float | None = None) -> Iterator[str]:
        """Yield the job's log lines as they appear, until the job has ended and every line is out.

        Meanwhile the job's events (progress, metrics, messages) go to this executor's sinks as
        they are written, in order.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        sent = 0
        pending = ''
        while True:
            info = self.dashboard.job(job_id)
            finished = str(info.get('status')) in TERMINAL
            text = self.logs(job_id)
            if len(text) < sent:  # the log was rotated or replaced: start over
                sent = 0
            fresh, sent = text[sent:], len(text)
            pending += fresh
            *lines, pending = pending.split('\n')
            self.deliver_events(job_id, info)
            yield from lines
            if finished:
                if pending:
                    yield pending
                return
            if deadline is not None and time.monotonic() > deadline:
                raise ActionTimeoutError(f'job {job_id} still running after {timeout:g}s of following')
            time.sleep(poll_interval)

    stream_logs = follow

    def stop(self, job_id: str) -> bool:
        return self.dashboard.stop_job(job_id)

    def delete(self, job_id: str) -> bool:
        return self.dashboard.delete_job(job_id)

    # -- results -----------------------------------------------------------------------------
    def _record(self, info: Mapping[str, Any], job_id: str, name: str, *, lines: int = -1) -> bytes | None:
        node_id = info.get('driver_node_id')
        if not node_id:
            return None
        return self.dashboard.node_file(str(node_id), relative_file(job_id, name), lines=lines)

    def events_of(self, job_id: str) -> list[dict[str, Any]]:
        """The events the action has emitted so far, in order."""
        raw = self._record(self.dashboard.job(job_id), job_id, EVENTS_FILE)
        return parse_events(raw)

    def deliver_events(self, job_id: str, info: Mapping[str, Any] | None = None) -> int:
        """Hand the job's events not delivered yet to this executor's sinks; returns how many.

        Polls fetch only the file's last ``events_window`` lines; the whole file only when more than
        that arrived since the last poll. Every event carries its ``seq`` (1, 2, ...), so none is
        handed over twice or skipped.
        """
        if not self._sinks:
            return 0
        info = info if info is not None else self.dashboard.job(job_id)
        done = self._delivered.get(job_id, 0)
        events = parse_events(self._record(info, job_id, EVENTS_FILE, lines=self.events_window))
        if events and int(events[0].get('seq', 1)) > done + 1:  # the window starts past what we have
            events = parse_events(self._record(info, job_id, EVENTS_FILE))
        fresh = [event for event in events if int(event.get('seq', 0)) > done]
        self.replay_events(fresh)
        if fresh:
            self._delivered[job_id] = int(fresh[-1]['seq'])
        return len(fresh)

    def wait(self, job_id: str, timeout: float | None = None, *, event_interval: float = 0.5) -> Any:
        """Block until the job ends; return the action's result or raise its (typed) error.

        While waiting, the job's events reach this executor's sinks every ``event_interval`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        interval = 0.05
        next_events = time.monotonic() + event_interval
        while True:
            info = self.dashboard.job(job_id)
            status = str(info.get('status'))
            if status in TERMINAL:
                break
            if deadline is not None and time.monotonic() >= deadline:
                raise ActionTimeoutError(
                    f'job {job_id} is still {status} after {timeout:g}s; it keeps running (stop it with stop())',
                    details={'job_id': job_id, 'status': status},
                )
            if self._sinks and time.monotonic() >= next_events:
                self.deliver_events(job_id, info)
                next_events = time.monotonic() + event_interval
            time.sleep(interval if deadline is None else max(0.0, min(interval, deadline - time.monotonic())))
            interval = min(interval * 1.5, 0.2)
        return self._outcome(job_id, info, status)

    get_result = wait

    def _outcome(self, job_id: str, info: Mapping[str, Any], status: str) -> Any:
        self.deliver_events(job_id, info)
        if status == 'SUCCEEDED':
            raw = self._record(info, job_id, RESULT_FILE)
            if not raw:
                raise ExecutionError(f'job {job_id} succeeded but left no result record')
            return json.loads(raw.decode('utf-8'))['result']
        if status == 'STOPPED':
            raise JobStoppedError(f'job {job_id} was stopped before it finished', details={'job_id': job_id})
        raw = self._record(info, job_id, ERROR_FILE)
        if raw:  # the dashboard answers b'' for a record the job never wrote (seen on a busy head)
            raise rebuild_exception(json.loads(raw.decode('utf-8')))
        tail = '\n'.join(self.logs(job_id).splitlines()[-20:])
        if "No module named 'synapse_sdk" in tail:
            raise EnvironmentSetupError(
                f"job {job_id} failed: the job's Python cannot import synapse_sdk. Pass include_sdk=True to ship "
                'the SDK with the job, or install synapse-sdk (same version as here) on the cluster.',
                details={'job_id': job_id},
            )
        raise JobFailedError(
            f'job {job_id} failed: {info.get("message") or "no message"}\n--- last log lines ---\n{tail}',
            details={'job_id': job_id, 'error_type': info.get('error_type')},
        )


__all__ = ['RayJobsApiExecutor']
