"""``synapse agent serve``: host your own agent (jobs, logs, log tailing) in front of a Ray cluster."""

from __future__ import annotations

import typer

from synapse_sdk.cli.errors import fail, user_errors

app = typer.Typer(help='Run a Synapse agent in front of a Ray cluster.', no_args_is_help=True)


@app.command('serve')
@user_errors
def serve(
    host: str = typer.Option('127.0.0.1', '--host', help='Interface to listen on (0.0.0.0 for every one).'),
    port: int = typer.Option(8000, '--port', '-p', help='Port to listen on.'),
    dashboard_address: str | None = typer.Option(
        None,
        '--dashboard-address',
        '-a',
        envvar='RAY_DASHBOARD_ADDRESS',
        help='Ray dashboard URL (default: RAY_DASHBOARD_ADDRESS or http://127.0.0.1:8265).',
    ),
    token: str | None = typer.Option(
        None,
        '--token',
        envvar='SYNAPSE_AGENT_TOKEN',
        help='Require this token in the Authorization header (default: SYNAPSE_AGENT_TOKEN).',
        show_default=False,
    ),
    websocket: bool = typer.Option(True, '--websocket/--no-websocket', help='Offer WebSocket log tailing.'),
) -> None:
    """Serve the agent API until interrupted."""
    try:
        from synapse_sdk.ray.agent_server import serve as run_server
    except ImportError:
        raise fail('the agent needs synapse-sdk-ray; install it with: pip install "synapse-sdk[ray]"') from None
    if host not in ('127.0.0.1', 'localhost', '::1') and not token:
        typer.secho('Warning: serving without a token on a non-loopback interface.', fg='yellow', err=True)
    run_server(host, port, dashboard_address=dashboard_address, token=token, websocket=websocket, print_fn=typer.echo)
