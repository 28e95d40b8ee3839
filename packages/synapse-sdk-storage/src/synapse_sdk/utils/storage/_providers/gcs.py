"""Google Cloud Storage (``gcs`` / ``gs`` / ``gcp``) on gcsfs.

``credentials`` is a service-account JSON file (or its parsed dict). ``endpoint_url`` points at
an emulator (fake-gcs-server); then anonymous access is the default.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pydantic import Field

from synapse_sdk.core._parsing import load_json
from synapse_sdk.core.errors import ParseError
from synapse_sdk.utils.storage._base import FsspecStorage, ProviderConfig
from synapse_sdk.utils.storage._keys import KeyLike, normalise_key
from synapse_sdk.utils.storage.errors import StorageConfigError

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

# gcsfs >= 2025.x probes a gRPC "hierarchical namespace" API per bucket unless this is off;
# emulators lack it and every operation stalls about a minute. Must be set before gcsfs loads.
_HNS_SWITCH = 'GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT'


class GCSConfig(ProviderConfig):
    key_aliases = (('bucket', 'bucket_name'), ('prefix', 'root_path'), ('project_id', 'project'))
    model_config = {'extra': 'ignore', 'frozen': True}

    bucket_name: str = Field(min_length=1)
    credentials: str | dict[str, Any] | None = None
    project: str | None = None
    endpoint_url: str | None = None
    root_path: str = ''
    token: str | None = None
    """gcsfs token mode (``google_default``, ``cloud``, ``anon``); derived when not given."""


class GCSStorage(FsspecStorage):
    """Objects in ``bucket_name`` (under ``root_path``); resumable uploads for large files."""

    provider = 'gcs'
    config_model = GCSConfig
    config: GCSConfig
    outer_retries = False  # gcsfs retries every request itself
    bucket_backed = True

    def _secret_values(self) -> list[str | None]:
        creds = self.config.credentials
        if isinstance(creds, dict):
            return [str(creds.get('private_key') or '') or None, str(creds.get('private_key_id') or '') or None]
        return []

    def _token(self) -> Any:
        c = self.config
        if c.token:
            return c.token
        if isinstance(c.credentials, dict):
            return c.credentials
        if c.credentials:
            path = Path(c.credentials).expanduser()
            if not path.is_file():
                raise StorageConfigError(
                    f'gcs credentials file {str(path)!r} does not exist',
                    details={'provider': self.provider, 'key': 'credentials'},
                )
            try:
                return load_json(path)
            except ParseError as error:
                raise StorageConfigError(
                    f'gcs credentials file {str(path)!r} is not a service-account JSON file ({error.message})',
                    details={'provider': self.provider, 'key': 'credentials'},
                ) from None
        return 'anon' if c.endpoint_url else None

    def _make_fs(self) -> AbstractFileSystem:
        token = self._token()
        if self.config.endpoint_url:
            os.environ.setdefault(_HNS_SWITCH, 'false')
        # The plain class never probes the gRPC layout API, even if gcsfs was imported before
        # the switch above could take effect.
        from gcsfs.core import GCSFileSystem

        return GCSFileSystem(
            project=self.config.project,
            token=token,
            endpoint_url=self.config.endpoint_url,
            skip_instance_cache=True,
            use_listings_cache=False,
        )

    def _root(self) -> str:
        prefix = normalise_key(self.config.root_path)
        return f'{self.config.bucket_name}/{prefix}' if prefix else self.config.bucket_name

    def uri(self, key: KeyLike = '') -> str:
        return f'gs://{self.path(key)}'

    def get_url(self, key: KeyLike, *, expires: int = 3600) -> str:
        """A signed URL when the credentials can sign; else the object's HTTP address."""
        norm = normalise_key(key, allow_root=False)
        bucket, _, name = self.path(norm).partition('/')
        if isinstance(self._token(), dict):
            return self._call('get_url', norm, lambda: str(self.fs.sign(self.path(norm), expiration=expires)))
        if self.config.endpoint_url:
            base = self.config.endpoint_url.rstrip('/')
            return f'{base}/download/storage/v1/b/{bucket}/o/{quote(name, safe="")}?alt=media'
        return f'https://storage.googleapis.com/{bucket}/{quote(name)}'

    def _is_transient(self, error: BaseException) -> bool:
        return False  # gcsfs has already retried
