"""Send a run's events to a backend's job log in batches, off the run's thread.

One blocking request per log line slows a training loop and a backend error could crash it; here
``emit`` only appends to a queue, a background thread sends batches with ``create_logs``, and a
failing backend costs log lines (counted and reported once), never the run.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any, Protocol

logger = logging.getLogger(__name__)


class _LogsClient(Protocol):
    def create_logs(self, job_id: str, entries: Any) -> int: ...


class BackendLogSink:
    """An event sink (``emit``/``close``) writing to ``client.create_logs(job_id, batch)``."""

    def __init__(
        self,
        client: _LogsClient,
        job_id: str,
        *,
        flush_interval: float = 1.0,
        max_batch: int = 500,
        max_pending: int = 100_000,
    ) -> None:
        self.client = client
        self.job_id = job_id
        self.flush_interval = flush_interval
        self.max_batch = max_batch
        self.sent = 0
        self.dropped = 0
        self._pending: deque[dict[str, Any]] = deque(maxlen=max_pending)
        self._wake = threading.Event()
        self._closed = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name=f'synapse-logs-{job_id}', daemon=True)
        self._thread.start()

    def emit(self, event: Any) -> None:
        entry = event.to_dict() if hasattr(event, 'to_dict') else dict(event)
        if len(self._pending) == self._pending.maxlen:
            self.dropped += 1  # the oldest line is pushed out
        self._pending.append(entry)
        if len(self._pending) >= self.max_batch:
            self._wake.set()

    def _send(self, *, partial: bool = True) -> None:
        """Send full batches; with ``partial`` also the rest (on the interval, on flush and close)."""
        with self._lock:
            while len(self._pending) >= self.max_batch or (partial and self._pending):
                batch = [self._pending.popleft() for _ in range(min(self.max_batch, len(self._pending)))]
                try:
                    self.client.create_logs(self.job_id, batch)
                    self.sent += len(batch)
                except Exception as error:  # a logging failure must never end the run
                    if not self.dropped:
                        logger.warning('could not send %d log lines of job %s: %s', len(batch), self.job_id, error)
                    self.dropped += len(batch)

    def _loop(self) -> None:
        while not self._closed:
            woken = self._wake.wait(self.flush_interval)
            self._wake.clear()
            self._send(partial=not woken or self._closed)

    def flush(self) -> None:
        self._send()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._wake.set()
        self._thread.join(timeout=max(5.0, self.flush_interval * 2))
        self._send()
        if self.dropped:
            logger.warning('%d log lines of job %s were not delivered', self.dropped, self.job_id)
