"""What each mode needs from ``--address``, and one line saying so when a user pastes the other kind.

Task mode (and serve) connects as a driver: the GCS address (``host:6379``) or a Ray client server
(``ray://host:10001``). Job mode talks to the dashboard's REST API (``http://host:8265``). Users
paste any of these into either mode; we take what fits and refuse what does not with the form the
mode needs, never a Ray traceback.
"""

from __future__ import annotations

from urllib.parse import urlparse

from synapse_sdk.ray.errors import AddressError

GCS_PORT = 6379
CLIENT_PORT = 10001
DASHBOARD_PORT = 8265


def _host(address: str) -> str:
    parsed = urlparse(address if '://' in address else f'tcp://{address}')
    return parsed.hostname or '127.0.0.1'


def _port(address: str) -> int | None:
    try:
        return urlparse(address if '://' in address else f'tcp://{address}').port
    except ValueError:
        raise AddressError(
            f'{address!r} is not an address: use host:port, ray://host:port or http://host:port'
        ) from None


def driver_address(address: str | None) -> str | None:
    """An address ``ray.init`` takes, from what the user gave for task/serve mode."""
    if address is None or address in ('auto', 'local'):
        return address
    text = address.strip()
    port = _port(text)
    if text.startswith(('http://', 'https://')) or port == DASHBOARD_PORT:
        host = _host(text)
        raise AddressError(
            f'{address} is the Ray dashboard, which job mode uses (--mode job). Task mode needs the '
            f'cluster address: {host}:{GCS_PORT} (GCS) or ray://{host}:{CLIENT_PORT} (Ray client).',
            details={'address': address, 'mode': 'task'},
        )
    if '://' in text and not text.startswith('ray://'):
        raise AddressError(
            f'{address}: task mode needs host:port (GCS, e.g. 127.0.0.1:{GCS_PORT}) or ray://host:{CLIENT_PORT}',
            details={'address': address, 'mode': 'task'},
        )
    return text


def dashboard_url(address: str | None) -> str | None:
    """The dashboard URL job mode talks to, from what the user gave."""
    if address is None:
        return None
    text = address.strip().rstrip('/')
    port = _port(text)
    host = _host(text)
    if text.startswith('ray://') or (port in (GCS_PORT, CLIENT_PORT) and '://' not in text):
        raise AddressError(
            f'{address} is the cluster address, which task mode uses (--mode task). Job mode needs the '
            f'Ray dashboard URL, e.g. http://{host}:{DASHBOARD_PORT}.',
            details={'address': address, 'mode': 'job'},
        )
    if '://' not in text:
        return f'http://{text}'
    if not text.startswith(('http://', 'https://')):
        raise AddressError(f'{address}: job mode needs the dashboard URL, e.g. http://{host}:{DASHBOARD_PORT}')
    return text
