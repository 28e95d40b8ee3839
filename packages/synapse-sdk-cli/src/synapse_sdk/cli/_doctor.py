"""``synapse doctor``: check this environment and say what to fix, one line per problem.

Each check is small and independent, so one failing check never hides the others. Nothing here
prints a secret: credentials are reported as set or not set.
"""

from __future__ import annotations

import os
import stat
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import typer

DISTRIBUTIONS = (
    'synapse-sdk-core',
    'synapse-sdk-plugins',
    'synapse-sdk-storage',
    'synapse-sdk-converters',
    'synapse-sdk-ray',
    'synapse-sdk-cli',
)
OPTIONAL = {'synapse-sdk-ray': 'ray'}
SUPPORTED_PYTHON = ((3, 10), (3, 13))


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # 'ok' | 'warn' | 'fail'
    detail: str
    fix: str = ''


def check_python() -> Check:
    version = sys.version_info[:2]
    text = '.'.join(map(str, version))
    if SUPPORTED_PYTHON[0] <= version <= SUPPORTED_PYTHON[1]:
        return Check('python', 'ok', f'{text} ({sys.executable})')
    return Check('python', 'fail', f'{text} is not supported', 'use Python 3.10 to 3.13')


def check_distributions() -> list[Check]:
    found: dict[str, str] = {}
    checks = []
    for name in DISTRIBUTIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            extra = OPTIONAL.get(name)
            if extra:
                checks.append(Check(name, 'warn', 'not installed (task, job and serve modes need it)',
                                    f'pip install "synapse-sdk[{extra}]"'))  # fmt: skip
            else:
                checks.append(Check(name, 'fail', 'not installed', f'pip install {name}'))
    versions = set(found.values())
    if len(versions) > 1:
        listed = ', '.join(f'{n} {v}' for n, v in found.items())
        checks.append(Check('versions', 'fail', f'distributions differ: {listed}',
                            'pip install -U synapse-sdk (all distributions move in lockstep)'))  # fmt: skip
    elif versions:
        checks.append(Check('versions', 'ok', f'{len(found)} distributions at {versions.pop()}'))
    return checks


def check_home() -> Check:
    from synapse_sdk.core._credentials import synapse_home

    home = synapse_home()
    if not home.exists():
        return Check('SYNAPSE_HOME', 'ok', f'{home} (not created yet)')
    mode = stat.S_IMODE(home.stat().st_mode)
    if mode & 0o077:
        return Check('SYNAPSE_HOME', 'warn', f'{home} is readable by others (mode {mode:o})', f'chmod 700 {home}')
    return Check('SYNAPSE_HOME', 'ok', f'{home} (mode {mode:o})')


def check_credentials(timeout: float) -> Check:
    from synapse_sdk.core._credentials import load_credentials
    from synapse_sdk.core.errors import SynapseError

    try:
        creds = load_credentials()
    except SynapseError as error:
        return Check('credentials', 'fail', str(error), 'fix the file, or run `synapse login --host ... --token ...`')
    if not creds.host:
        return Check('credentials', 'ok', 'no platform configured: the embedded local backend is used')
    if not creds.access_token:
        return Check('credentials', 'fail', f'host {creds.host} has no access token',
                     'set SYNAPSE_ACCESS_TOKEN or run `synapse login --host ... --token ...`')  # fmt: skip
    try:
        with urllib.request.urlopen(urllib.request.Request(creds.host, method='HEAD'), timeout=timeout):
            pass
    except urllib.error.HTTPError:
        pass  # it answered; whether this path needs a token is not the question here
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, 'reason', error)
        return Check('platform', 'fail', f'{creds.host} is unreachable ({reason})',
                     'check SYNAPSE_HOST / `synapse config show` and the network')  # fmt: skip
    return Check('platform', 'ok', f'{creds.host} answers; token set')


def check_ray(address: str | None, timeout: float) -> Check:
    chosen = address or os.environ.get('RAY_ADDRESS')
    if not chosen:
        return Check('ray', 'ok', 'no cluster configured (local mode; pass --address to check one)')
    try:
        from synapse_sdk.ray._addresses import dashboard_url, driver_address
        from synapse_sdk.ray._connection import host_port, probe
        from synapse_sdk.ray.errors import AddressError
    except ModuleNotFoundError:
        return Check('ray', 'fail', f'{chosen} given but synapse-sdk-ray is not installed',
                     'pip install "synapse-sdk[ray]"')  # fmt: skip
    try:
        target = dashboard_url(chosen) if chosen.startswith(('http://', 'https://')) else driver_address(chosen)
    except AddressError as error:
        return Check('ray', 'fail', str(error))
    endpoint = host_port(target or chosen, 8265 if (target or '').startswith('http') else 6379)
    if endpoint is not None and not probe(*endpoint, timeout):
        return Check('ray', 'fail', f'nothing answers at {chosen}', 'start a head with `ray start --head`')
    kind = 'dashboard (job mode)' if (target or '').startswith('http') else 'cluster (task mode)'
    return Check('ray', 'ok', f'{chosen} answers as a {kind} address')


def check_storage(config_file: Path | None) -> Check:
    if config_file is None:
        return Check('storage', 'ok', 'no storage configuration given (pass --storage FILE to check one)')
    import json

    from synapse_sdk.core.errors import SynapseError

    try:
        from synapse_sdk.utils.storage import get_storage
    except ModuleNotFoundError:
        return Check('storage', 'fail', 'synapse-sdk-storage is not installed', 'pip install synapse-sdk-storage')
    try:
        config = json.loads(config_file.read_text(encoding='utf-8'))
        storage = get_storage(config)
        storage.exists('')
    except (OSError, ValueError, SynapseError) as error:
        return Check('storage', 'fail', f'{config_file}: {error}', 'fix the configuration (see docs/storage.md)')
    return Check('storage', 'ok', f'{config_file}: {config.get("provider")} storage reachable')


STYLE = {'ok': ('ok  ', typer.colors.GREEN), 'warn': ('warn', typer.colors.YELLOW), 'fail': ('FAIL', typer.colors.RED)}


def doctor(
    address: str | None = typer.Option(None, '--address', '-a', help='A Ray address to check (default: RAY_ADDRESS).'),
    storage: Path | None = typer.Option(None, '--storage', help='A storage configuration JSON file to check.'),
    timeout: float = typer.Option(3.0, '--timeout', help='Seconds to wait for each remote service.'),
) -> None:
    """Check Python, the installed distributions, credentials, Ray and storage; say what to fix."""
    runs: list[Callable[[], Check | list[Check]]] = [
        check_python,
        check_distributions,
        check_home,
        lambda: check_credentials(timeout),
        lambda: check_ray(address, timeout),
        lambda: check_storage(storage),
    ]
    checks: list[Check] = []
    for run in runs:
        result = run()
        checks.extend(result if isinstance(result, list) else [result])
    for check in checks:
        label, colour = STYLE[check.status]
        typer.secho(f'{label}  {check.name:<24} {check.detail}', fg=colour if check.status != 'ok' else None)
        if check.fix:
            typer.echo(f'      {"":<24} fix: {check.fix}')
    failed = sum(check.status == 'fail' for check in checks)
    if failed:
        typer.secho(f'{failed} problem(s) to fix', fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    typer.echo('everything needed is in place')
