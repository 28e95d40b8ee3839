"""S3 and S3-compatible servers (``s3`` / ``amazon_s3`` / ``minio``) on s3fs.

Bulk uploads take obstore's Rust client when it is installed (see ``_fast_s3``), which costs far
less client CPU per object than botocore.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pydantic import Field, SecretStr

from synapse_sdk.utils.storage._base import FsspecStorage, ProviderConfig, logger
from synapse_sdk.utils.storage._keys import KeyLike, normalise_key
from synapse_sdk.utils.storage._protocol import Progress

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

# Parts of 8 MiB, 4 in flight: memory per upload stays near 32 MiB whatever the file size.
PART_SIZE = 8 * 1024 * 1024
PARTS_IN_FLIGHT = 4


class S3Config(ProviderConfig):
    key_aliases = (
        ('bucket', 'bucket_name'),
        ('prefix', 'root_path'),
        ('region', 'region_name'),
        ('access_key_id', 'access_key'),
        ('secret_access_key', 'secret_key'),
    )
    model_config = {'extra': 'ignore', 'frozen': True}

    bucket_name: str = Field(min_length=1)
    access_key: str | None = None
    secret_key: SecretStr | None = None
    session_token: SecretStr | None = None
    region_name: str = 'us-east-1'
    endpoint_url: str | None = None
    root_path: str = ''
    addressing_style: str | None = None
    """``path`` or ``virtual``; ``path`` by default when ``endpoint_url`` is set (MinIO, SeaweedFS)."""
    use_obstore: bool | None = None
    """Bulk uploads and counting through obstore: ``None`` = when installed, ``False`` = always s3fs."""
    connect_timeout: float = 10.0
    read_timeout: float = 60.0


class S3Storage(FsspecStorage):
    """Objects in ``bucket_name`` (under ``root_path``); multipart uploads for large files."""

    provider = 's3'
    config_model = S3Config
    config: S3Config
    outer_retries = False  # botocore retries; s3fs's own loop is cut to one pass
    bucket_backed = True

    def _secret_values(self) -> list[str | None]:
        c = self.config
        return [
            c.secret_key.get_secret_value() if c.secret_key else None,
            c.session_token.get_secret_value() if c.session_token else None,
        ]

    def _client_config(self) -> dict[str, Any]:
        c = self.config
        style = c.addressing_style or ('path' if c.endpoint_url else 'auto')
        return {
            # region here (not in client_kwargs): s3fs would send it as a LocationConstraint.
            'region_name': c.region_name,
            'signature_version': 's3v4',
            'retries': {'total_max_attempts': self.options.retries + 1, 'mode': 'standard'},
            'connect_timeout': c.connect_timeout,
            'read_timeout': c.read_timeout,
            's3': {'addressing_style': style},
            'max_pool_connections': max(self.options.max_concurrency, 10),
        }

    def _make_fs(self) -> AbstractFileSystem:
        import s3fs

        c = self.config
        fs = s3fs.S3FileSystem(
            key=c.access_key,
            secret=c.secret_key.get_secret_value() if c.secret_key else None,
            token=c.session_token.get_secret_value() if c.session_token else None,
            endpoint_url=c.endpoint_url,
            config_kwargs=self._client_config(),
            skip_instance_cache=True,
            use_listings_cache=False,
            max_concurrency=PARTS_IN_FLIGHT,
        )
        fs.retries = 1  # one pass of s3fs's own loop: botocore already retries
        return fs

    def _root(self) -> str:
        prefix = normalise_key(self.config.root_path)
        return f'{self.config.bucket_name}/{prefix}' if prefix else self.config.bucket_name

    def uri(self, key: KeyLike = '') -> str:
        return f's3://{self.path(key)}'

    def get_url(self, key: KeyLike, *, expires: int = 3600) -> str:
        """A presigned GET URL valid for ``expires`` seconds."""
        norm = normalise_key(key, allow_root=False)
        path = self.path(norm)
        return self._call('get_url', norm, lambda: str(self.fs.sign(path, expiration=expires)))

    def public_url(self, key: KeyLike) -> str:
        """The unsigned HTTP address of ``key`` (for public buckets)."""
        bucket, _, rest = self.path(key).partition('/')
        base = (self.config.endpoint_url or f'https://s3.{self.config.region_name}.amazonaws.com').rstrip('/')
        return f'{base}/{bucket}/{quote(rest)}'

    def _put_file(self, source: Path, path: str) -> None:
        self.fs.put_file(str(source), path, chunksize=PART_SIZE)

    def _get_file(self, path: str, local: Path) -> None:
        # s3fs's default 50 MiB ranges, fetched in parallel, would hold ~200 MiB per download.
        self.fs.get_file(path, str(local), chunksize=PART_SIZE)

    def _is_transient(self, error: BaseException) -> bool:
        return False  # botocore has already spent the retry budget

    def _stats(self, path: str) -> tuple[int, int]:
        from synapse_sdk.utils.storage._providers import _fast_s3

        if self.config.use_obstore is not False and _fast_s3.available():
            try:
                return _fast_s3.stats(self, self._relative(path))
            except Exception:  # s3fs repeats the listing and reports the error properly
                logger.debug('obstore listing failed; listing with s3fs instead')
        return super()._stats(path)

    def _upload_many(self, pairs: list[tuple[Path, str]], progress: Progress | None, workers: int) -> list[str]:
        from synapse_sdk.utils.storage._providers import _fast_s3

        if self.config.use_obstore is not False and _fast_s3.available():
            return _fast_s3.upload_many(self, pairs, progress, workers)
        return super()._upload_many(pairs, progress, workers)
