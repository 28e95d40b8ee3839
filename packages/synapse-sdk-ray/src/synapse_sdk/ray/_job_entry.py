"""Entrypoint of a Ray job submitted by ``RayJobsApiExecutor``: ``python -m synapse_sdk.ray._job_entry``.

The command line is fixed; everything else arrives through the payload package. Events are
printed in the requested language (that is what ``follow()`` shows) and written as JSON lines next
to the result record. Exit code 0 on success, 1 when the action failed.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

from synapse_sdk.ray._side_channel import (
    ERROR_FILE,
    EVENTS_FILE,
    RESULT_FILE,
    job_dir,
    logs_dir,
    read_payload,
    write_json,
)


class LogLineSink:
    """Events as plain ``LEVEL    text`` lines on stderr: the job log has no terminal, so no rich."""

    def __init__(self, language: str | None) -> None:
        from synapse_sdk.plugins._events import ProgressThrottle

        self.language = language
        self._throttle = ProgressThrottle()

    def emit(self, event: Any) -> None:
        if not self._throttle.due(event):
            return
        sys.stderr.write(f'{event.level.value.upper():<8} {event.render(self.language)}\n')
        sys.stderr.flush()

    def close(self) -> None:
        pass


def main() -> int:
    try:
        request: dict[str, Any] = read_payload()
        base = logs_dir()
        if base is None:
            raise RuntimeError('cannot find the Ray logs folder of this node to write the result record')
        out = job_dir(base, str(request['job_id']))
    except Exception:
        traceback.print_exc()
        return 2

    from synapse_sdk.plugins._events import JsonlSink
    from synapse_sdk.ray._worker import run_request

    events = JsonlSink(out / EVENTS_FILE)
    try:
        envelope = run_request(request, [LogLineSink(request.get('language')), events])
    finally:
        events.close()
    sys.stdout.flush()
    if envelope['ok']:
        write_json(out / RESULT_FILE, {'result': envelope['result']})
        return 0
    write_json(out / ERROR_FILE, envelope['error'])
    print(envelope['error'].get('traceback', ''), file=sys.stderr)
    return 1


if __name__ == '__main__':
    sys.exit(main())
