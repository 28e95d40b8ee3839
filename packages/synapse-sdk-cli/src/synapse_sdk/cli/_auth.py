"""``synapse login`` and ``synapse config``: where the SDK finds the platform. Secrets are never printed.

Neither the token nor a password that is part of the host URL (``https://user:pw@host``).
"""

from __future__ import annotations

import typer

from synapse_sdk.cli.errors import fail, user_errors

app = typer.Typer(help='Platform credentials (host, token, tenant).', no_args_is_help=True)


@app.command('login')
@user_errors
def login(
    host: str = typer.Option(..., '--host', help='Platform URL, e.g. https://api.example.com'),
    token: str = typer.Option(
        ..., '--token', '-t', help='Access token (or set SYNAPSE_ACCESS_TOKEN).', envvar='SYNAPSE_ACCESS_TOKEN'
    ),
    tenant: str | None = typer.Option(None, '--tenant', help='Tenant code, for multi-tenant platforms.'),
) -> None:
    """Save host, token and tenant to ~/.synapse/config.json (mode 600)."""
    from synapse_sdk.core._credentials import Credentials, save_credentials

    if not token.strip():
        raise fail('the token must not be empty')
    if not host.startswith(('http://', 'https://')):
        raise fail(f'--host must start with http:// or https://, got {host!r}')
    from synapse_sdk.core._secrets import redact_url

    path = save_credentials(Credentials(host=host.rstrip('/'), access_token=token.strip(), tenant=tenant))
    typer.echo(f'Saved credentials for {redact_url(host)} to {path}')


@app.command('show')
@user_errors
def show() -> None:
    """Show the effective settings and where they come from (the token only as set / not set)."""
    from synapse_sdk.core._credentials import config_path, load_credentials, redact
    from synapse_sdk.core._secrets import redact_url

    creds = load_credentials()
    typer.echo(f'config file:  {config_path()}')
    host = redact_url(creds.host) if creds.host else '<not set: the embedded local backend is used>'
    typer.echo(f'host:         {host}')
    typer.echo(f'access token: {redact(creds.access_token)}')
    typer.echo(f'tenant:       {creds.tenant or "<not set>"}')
