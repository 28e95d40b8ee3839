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
        help='Require this token in the Authorization header (default: SYNAPSE_AGENT_TOKEN; '
        'none given: a fresh one is generated and shown once on stderr).',
        show_default=False,
    ),
    no_auth: bool = typer.Option(
        False, '--no-auth', help="Serve without a token: loopback only, for this machine's own use."
    ),
    allow_host: list[str] = typer.Option(
        [], '--allow-host', help='Another name clients reach the agent by (Host header); repeatable.'
    ),
    allow_origin: list[str] = typer.Option(
        [], '--allow-origin', help='A browser origin allowed to call the agent (https://app.example.com); repeatable.'
    ),
    max_tail_bytes: int = typer.Option(100_000_000, '--max-tail-bytes', help='Most log bytes one tail forwards.'),
    max_tail_lines: int = typer.Option(1_000_000, '--max-tail-lines', help='Most log lines one tail forwards.'),
    max_tail_seconds: float = typer.Option(21_600.0, '--max-tail-seconds', help='Longest a tail stays open.'),
    max_tails: int = typer.Option(16, '--max-tails', help='Most log tails open at once (more get 429).'),
    websocket: bool = typer.Option(True, '--websocket/--no-websocket', help='Offer WebSocket log tailing.'),
) -> None:
    """Serve the agent API until interrupted."""
    try:
        from synapse_sdk.ray._agent_server import TailLimits
        from synapse_sdk.ray._agent_server import serve as run_server
    except ImportError:
        raise fail('the agent needs synapse-sdk-ray; install it with: pip install "synapse-sdk[ray]"') from None
    if no_auth and token:
        raise fail('give either --token (or SYNAPSE_AGENT_TOKEN) or --no-auth, not both')
    limits = TailLimits(
        max_bytes=max_tail_bytes, max_lines=max_tail_lines, max_seconds=max_tail_seconds, max_tails=max_tails
    )
    run_server(
        host,
        port,
        dashboard_address=dashboard_address,
        token=token,
        no_auth=no_auth,
        websocket=websocket,
        allow_hosts=allow_host,
        allow_origins=allow_origin,
        limits=limits,
        print_fn=typer.echo,
    )
