"""``synapse job status|logs|stop|wait JOB_ID``: look after Ray jobs started with ``--mode job``.

Ray and the executors are imported inside the commands so ``synapse --help`` stays light.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import typer

from synapse_sdk.cli.errors import user_errors

app = typer.Typer(help='Inspect, follow and stop Ray jobs (plugin runs with --mode job).', no_args_is_help=True)

ADDRESS_OPTION = typer.Option(
    None,
    '--address',
    '-a',
    envvar='RAY_DASHBOARD_ADDRESS',
    help='Ray dashboard URL (default: RAY_DASHBOARD_ADDRESS or http://127.0.0.1:8265).',
)
JOB_ID = typer.Argument(..., help='Job id printed by `synapse plugin run --mode job`.')


def _executor(address: str | None) -> Any:
    from synapse_sdk.ray._jobs_api import RayJobsApiExecutor

    return RayJobsApiExecutor(dashboard_address=address, include_credentials=False)


@app.command('status')
@user_errors
def status(job_id: str = JOB_ID, address: str | None = ADDRESS_OPTION) -> None:
    """Print the job's status (PENDING, RUNNING, SUCCEEDED, FAILED, STOPPED)."""
    typer.echo(_executor(address).status(job_id))


@app.command('logs')
@user_errors
def logs(
    job_id: str = JOB_ID,
    address: str | None = ADDRESS_OPTION,
    follow: bool = typer.Option(False, '--follow', '-f', help='Keep printing new lines until the job ends.'),
) -> None:
    """Print the job's log (with --follow: stream it until the job ends)."""
    executor = _executor(address)
    if follow:
        for line in executor.follow(job_id):
            sys.stdout.write(line + '\n')
            sys.stdout.flush()
    else:
        sys.stdout.write(executor.logs(job_id))


@app.command('stop')
@user_errors
def stop(job_id: str = JOB_ID, address: str | None = ADDRESS_OPTION) -> None:
    """Ask Ray to stop the job."""
    stopped = _executor(address).stop(job_id)
    typer.echo(f'{job_id}: stop requested' if stopped else f'{job_id}: already finished')


@app.command('wait')
@user_errors
def wait(
    job_id: str = JOB_ID,
    address: str | None = ADDRESS_OPTION,
    timeout: float | None = typer.Option(None, '--timeout', help='Give up after this many seconds.'),
) -> None:
    """Wait for the job to end and print the action's result as JSON."""
    result = _executor(address).wait(job_id, timeout=timeout)
    typer.echo(json.dumps(result, indent=2, ensure_ascii=False, default=str))
