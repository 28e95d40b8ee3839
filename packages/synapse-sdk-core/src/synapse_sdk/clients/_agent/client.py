"""``AgentClient``: the synchronous face of :class:`AsyncAgentClient`.

Calls run on a private event loop in a daemon thread, so the client works the same inside
scripts, notebooks (which already run a loop) and worker threads.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, TypeVar

from synapse_sdk.clients._agent.async_client import AsyncAgentClient
from synapse_sdk.clients._agent.limits import StreamLimits

T = TypeVar('T')


class _LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name='synapse-agent-client', daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def iterate(self, stream: AsyncIterator[T]) -> Iterator[T]:
        try:
            while True:
                try:
                    yield self.run(stream.__anext__())  # type: ignore[arg-type]
                except StopAsyncIteration:
                    return
        finally:
            aclose = getattr(stream, 'aclose', None)
            if aclose is not None and self.loop.is_running():
                self.run(aclose())

    def stop(self) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=5)
        self.loop.close()


class AgentClient:
    """``AgentClient(url, token).list_jobs()``; ``for line in client.tail_job_logs(job_id): ...``."""

    def __init__(
        self,
        base_url: str,
        agent_token: str | None = None,
        *,
        user_token: str | None = None,
        tenant: str | None = None,
        timeout: float | None = None,
        stream_limits: StreamLimits | None = None,
    ) -> None:
        self._async = AsyncAgentClient(
            base_url,
            agent_token,
            user_token=user_token,
            tenant=tenant,
            timeout=timeout if timeout is not None else 30.0,
            stream_limits=stream_limits,
        )
        self._loop: _LoopThread | None = None

    def __repr__(self) -> str:
        return f'AgentClient({self._async.base_url!r})'

    @property
    def base_url(self) -> str:
        return self._async.base_url

    @property
    def stream_limits(self) -> StreamLimits:
        return self._async.stream_limits

    @stream_limits.setter
    def stream_limits(self, value: StreamLimits) -> None:
        self._async.stream_limits = value

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            self._loop = _LoopThread()
        return self._loop.run(coro)

    def close(self) -> None:
        if self._loop is not None:
            self._loop.run(self._async.close())
            self._loop.stop()
            self._loop = None

    def __enter__(self) -> AgentClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def health_check(self) -> Any:
        return self._run(self._async.health_check())

    def list_jobs(self) -> Any:
        return self._run(self._async.list_jobs())

    def get_job(self, job_id: str) -> Any:
        return self._run(self._async.get_job(job_id))

    def get_job_logs(self, job_id: str) -> str:
        return self._run(self._async.get_job_logs(job_id))

    def stop_job(self, job_id: str) -> Any:
        return self._run(self._async.stop_job(job_id))

    def list_nodes(self) -> Any:
        return self._run(self._async.list_nodes())

    def get_node(self, node_id: str) -> Any:
        return self._run(self._async.get_node(node_id))

    def list_tasks(self) -> Any:
        return self._run(self._async.list_tasks())

    def get_task(self, task_id: str) -> Any:
        return self._run(self._async.get_task(task_id))

    def tail_job_logs(self, job_id: str, timeout: float | None = None, *, protocol: str = 'auto') -> Iterator[str]:
        """Yield log lines until the job ends (see :meth:`AsyncAgentClient.tail_job_logs`)."""
        stream = self._async.tail_job_logs(job_id, timeout, protocol=protocol)  # validates before the first line
        if self._loop is None:
            self._loop = _LoopThread()
        return self._loop.iterate(stream)

    def websocket_tail_job_logs(self, job_id: str, timeout: float | None = None) -> Iterator[str]:
        return self.tail_job_logs(job_id, timeout, protocol='websocket')

    def stream_tail_job_logs(self, job_id: str, timeout: float | None = None) -> Iterator[str]:
        return self.tail_job_logs(job_id, timeout, protocol='http')
