"""Client for the Synapse platform's REST API (the same :class:`BackendProtocol` as the local backend)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from synapse_sdk.clients._backend.http import HttpSession, Multipart, Response, RetryPolicy, file_slices
from synapse_sdk.clients._protocol import PathLike, Record, UnsupportedOperationError
from synapse_sdk.core._atomic import scratch
from synapse_sdk.core._credentials import redact
from synapse_sdk.core._secrets import redact_url
from synapse_sdk.core.errors import ClientError, MissingFileError
from synapse_sdk.utils.file import calculate_checksum, create_archive

CHUNK_SIZE = 50 * 1024 * 1024
SPLIT_NAMES = {'validation': 'valid'}


class BackendClient:
    """Talks to ``base_url`` with ``Synapse-Access-Token`` and ``Synapse-Tenant`` headers.

    Lists follow the API's ``next`` links page by page; every request has a timeout; connection
    errors and 5xx answers are retried with backoff; errors and ``repr`` never show a token.
    """

    def __init__(
        self,
        base_url: str,
        access_token: str | None = None,
        *,
        tenant: str | None = None,
        authorization_token: str | None = None,
        agent_token: str | None = None,
        timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 0.5,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self.base_url = base_url.rstrip('/')
        self.tenant = tenant
        self.chunk_size = chunk_size
        self._tokens = (access_token, authorization_token, agent_token)
        headers: dict[str, str] = {'User-Agent': 'synapse-sdk/2'}
        if access_token:
            headers['Synapse-Access-Token'] = f'Token {access_token}'
        if authorization_token:
            headers['Authorization'] = f'Token {authorization_token}'
        if tenant:
            headers['Synapse-Tenant'] = f'Token {tenant}'
        if agent_token:
            headers['SYNAPSE-Agent'] = f'Token {agent_token}'
        self._http = HttpSession(
            self.base_url,
            headers,
            secrets=[t for t in self._tokens if t],
            timeout=timeout,
            retry=RetryPolicy(attempts=max(1, retries), backoff=backoff),
        )

    def __repr__(self) -> str:
        url = redact_url(self.base_url)
        return f'BackendClient({url!r}, access_token={redact(self._tokens[0])}, tenant={self.tenant!r})'

    __str__ = __repr__

    def __getstate__(self) -> dict[str, Any]:
        return {
            'args': (self.base_url, self._tokens, self.tenant, self._http.timeout, self._http.retry, self.chunk_size)
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        base_url, tokens, tenant, timeout, retry, chunk = state['args']
        self.__init__(  # type: ignore[misc]
            base_url,
            tokens[0],
            tenant=tenant,
            authorization_token=tokens[1],
            agent_token=tokens[2],
            timeout=timeout,
            retries=retry.attempts,
            backoff=retry.backoff,
            chunk_size=chunk,
        )

    def __enter__(self) -> BackendClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to release: every request opens and closes its own connection."""

    # ------------------------------------------------------------------ plumbing
    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        response: Response = self._http.request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise ClientError(
                f'{method} {path} answered HTTP {response.status} with a body that is not JSON; '
                'is SYNAPSE_HOST the API address?',
                status=response.status,
            ) from None

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._request('GET', path, params=params)

    def _list(self, path: str, params: Mapping[str, Any] | None = None, *, page_size: int = 100) -> Iterator[Record]:
        """Every item of a paginated list, following ``next`` links one page at a time."""
        url: str | None = path
        query: dict[str, Any] | None = {**(params or {}), 'page_size': page_size}
        while url:
            page = self._get(url, query)
            query = None  # the ``next`` link carries the query
            if isinstance(page, list):
                yield from page
                return
            yield from page.get('results', [])
            url = page.get('next')
            if url and not self._http.same_origin(url):
                raise ClientError(f'the API returned a next link to another host ({url}); refusing to follow it')

    def _count(self, path: str, params: Mapping[str, Any] | None = None) -> int:
        page = self._get(path, {**(params or {}), 'page_size': 1})
        return len(page) if isinstance(page, list) else int(page.get('count', 0))

    # ------------------------------------------------------------------ datasets
    def get_dataset(self, dataset_id: int | str) -> Record:
        """A ground-truth dataset version (what training reads)."""
        data = self._get(f'ground_truth_dataset_versions/{dataset_id}/')
        return {'format': 'dm_v2', 'is_categorized': False, 'path': None, **data}

    def list_datasets(self) -> list[Record]:
        return list(self._list('ground_truth_dataset_versions/'))

    def register_dataset(self, name: str, path: PathLike, **_: Any) -> Record:
        raise UnsupportedOperationError(
            'the platform does not register local folders; upload the data with an upload plugin, '
            'or unset SYNAPSE_HOST to use the local backend'
        )

    def list_data_units(
        self, dataset_id: int | str, *, filters: Mapping[str, Any] | None = None, page_size: int = 100
    ) -> Iterator[Record]:
        """Ground-truth events of a dataset version, in the same shape as local data units."""
        params = {'ground_truth_dataset_versions': dataset_id, 'expand': 'data', **(filters or {})}
        if params.get('split'):
            params['category'] = {'valid': 'validation'}.get(params['split'], params['split'])
            del params['split']
        for event in self._list('sdk/ground_truth_events/', params, page_size=page_size):
            yield _event_to_unit(event, dataset_id)

    def create_data_units(self, dataset_id: int | str, units: Sequence[Mapping[str, Any]]) -> list[Record]:
        body = [{'data_collection': dataset_id, **dict(u)} for u in units]
        result = self._request('POST', 'data_units/', json_body=body)
        return list(result) if isinstance(result, list) else [result]

    def delete_data_units(self, unit_ids: Sequence[int | str]) -> None:
        for unit_id in unit_ids:
            self._request('DELETE', f'data_units/{unit_id}/')

    def get_data_unit(self, unit_id: int | str) -> Record:
        return dict(self._get(f'data_units/{unit_id}/', {'expand': 'files'}))

    # ------------------------------------------------------------------ files
    def _chunked_upload(self, path: Path) -> str:
        """Upload ``path`` in chunks (Content-Range), then confirm with its MD5; returns the upload id."""
        total = path.stat().st_size
        upload_id: str | None = None
        for offset, block in file_slices(path, self.chunk_size):
            end = offset + len(block) - 1
            target = f'chunked_upload/{upload_id}/' if upload_id else 'chunked_upload/'
            answer = self._request(
                'PUT',
                target,
                multipart=Multipart(files={'file': (path.name, block)}),
                headers={'Content-Range': f'bytes {offset}-{end}/{total}'},
            )
            upload_id = str(answer['id'])
        if upload_id is None:  # empty file
            answer = self._request(
                'PUT',
                'chunked_upload/',
                multipart=Multipart(files={'file': (path.name, b'')}),
                headers={'Content-Range': 'bytes 0-0/0'},
            )
            upload_id = str(answer['id'])
        self._request('POST', f'chunked_upload/{upload_id}/', json_body={'md5': calculate_checksum(path)})
        return upload_id

    def upload_file(self, path: PathLike, key: str) -> str:
        upload_id = self._chunked_upload(Path(path))
        answer = self._request('POST', 'data_files/', json_body={'chunked_upload': upload_id, 'path': key})
        return str(answer.get('file') or answer.get('url') or answer['id'])

    def delete_file(self, url_or_key: str) -> None:
        self._request('DELETE', 'data_files/', params={'path': url_or_key})

    def download_file(self, url: str, destination: PathLike) -> Path:
        """Stream ``url`` to ``destination``; the token is sent only to the platform's own host."""
        target = Path(destination)
        self._http.request(
            'GET', url, stream_to=target, headers={'Accept': '*/*'}, timeout=max(60.0, self._http.timeout)
        )
        return target

    # ------------------------------------------------------------------ models
    def create_model(self, file: PathLike, *, name: str, **meta: Any) -> Record:
        """Upload the weights (a folder is zipped) in chunks, then register the model with them."""
        source = Path(file)
        if not source.exists():
            raise MissingFileError(f'model file {source} does not exist', details={'path': str(source)})
        with scratch('model') as tmp:
            if source.is_dir():
                source = create_archive(source, Path(tmp) / f'{source.name}.zip')
            upload_id = self._chunked_upload(source)
        return dict(self._request('POST', 'models/', json_body={'name': name, **meta, 'chunked_upload': upload_id}))

    def get_model(self, model_id: int | str) -> Record:
        data = dict(self._get(f'models/{model_id}/'))
        file = data.get('file')
        if isinstance(file, str):
            data['file'] = {'url': file, 'name': file.rsplit('/', 1)[-1].split('?')[0]}
        return data

    def list_models(self, filters: Mapping[str, Any] | None = None) -> list[Record]:
        return list(self._list('models/', filters))

    def download_model(self, model_id: int | str, destination: PathLike) -> Path:
        model = self.get_model(model_id)
        target = Path(destination)
        if target.is_dir():
            target = target / (model['file'].get('name') or f'model-{model_id}')
        return self.download_file(model['file']['url'], target)

    # ------------------------------------------------------------------ projects, tasks, assignments
    def get_project(self, project_id: int | str) -> Record:
        return dict(self._get(f'projects/{project_id}/'))

    def list_tasks(self, filters: Mapping[str, Any] | None = None, *, page_size: int = 100) -> Iterator[Record]:
        return self._list('tasks/', {'expand': 'data_unit', **(filters or {})}, page_size=page_size)

    def get_task(self, task_id: int | str) -> Record:
        return dict(self._get(f'tasks/{task_id}/', {'expand': 'data_unit'}))

    def get_assignments(
        self, filters: Mapping[str, Any] | None = None, *, page_size: int = 100
    ) -> tuple[Iterator[Record], int]:
        params = {'expand': 'data', **(filters or {})}
        return self._list('assignments/', params, page_size=page_size), self._count('assignments/', params)

    def annotate_task_data(self, task_id: int | str, data: Mapping[str, Any]) -> Record:
        return dict(self._request('PUT', f'tasks/{task_id}/annotate_task_data/', json_body=dict(data)))

    # ------------------------------------------------------------------ jobs and logs
    def create_job(self, action: str, params: Mapping[str, Any] | None = None, *, job_id: str | None = None) -> Record:
        body = {'action': action, 'params': dict(params or {}), **({'id': job_id} if job_id else {})}
        return dict(self._request('POST', 'jobs/', json_body=body))

    def get_job(self, job_id: str) -> Record:
        return dict(self._get(f'jobs/{job_id}/'))

    def list_jobs(self, filters: Mapping[str, Any] | None = None) -> list[Record]:
        return list(self._list('jobs/', filters))

    def update_job(self, job_id: str, **fields: Any) -> Record:
        return dict(self._request('PATCH', f'jobs/{job_id}/', json_body=fields))

    def create_logs(self, job_id: str, entries: Sequence[Mapping[str, Any]]) -> int:
        """Send log entries in one request (the platform takes a list)."""
        if entries:
            self._request('POST', 'logs/', json_body=[{'job': job_id, **dict(e)} for e in entries])
        return len(entries)

    def list_logs(self, job_id: str) -> list[Record]:
        return list(self._list(f'jobs/{job_id}/console_logs/'))

    def get_storage(self, storage_id: int | str) -> Record:
        """A storage registered on the platform, as a ``get_storage()`` config dict."""
        data = dict(self._get(f'storages/{storage_id}/', {'with_configuration': 'true'}))
        return {
            'provider': data.get('provider'),
            'configuration': data.get('configuration') or {},
            'id': data.get('id'),
        }

    # ------------------------------------------------------------------ plugins
    def run_plugin(self, plugin: str, action: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._request(
            'POST', f'plugins/{plugin}/run/', json_body={'action': action, 'params': dict(params or {})}
        )

    def find_plugin_release(
        self, plugin: str, *, version: str | None = None, checksum: str | None = None
    ) -> Record | None:
        params = {'plugin': plugin, 'version': version, 'checksum': checksum}
        for release in self._list('plugin_releases/', params):
            return dict(release)
        return None

    def create_plugin_release(
        self, plugin: str, version: str, file: PathLike, *, config: Mapping[str, Any] | None = None
    ) -> Record:
        source = Path(file)
        checksum = calculate_checksum(source)
        found = self.find_plugin_release(plugin, version=version, checksum=checksum)
        if found:
            return {**found, 'is_cached': True}
        body = Multipart(
            fields={'plugin': plugin, 'version': version, 'checksum': checksum, 'config': dict(config or {})},
            files={'file': source},
        )
        return {**self._request('POST', 'plugin_releases/', multipart=body), 'is_cached': False}


def _event_to_unit(event: Mapping[str, Any], dataset_id: int | str) -> Record:
    files: dict[str, Any] = {}
    raw_files = event.get('files') or {}
    items = (
        raw_files.items()
        if isinstance(raw_files, Mapping)
        else ((f.get('name', str(i)), f) for i, f in enumerate(raw_files))
    )
    for spec, info in items:
        info = info if isinstance(info, Mapping) else {'url': str(info)}
        url = str(info.get('url') or info.get('file') or '')
        files[str(spec)] = {
            'url': url,
            'name': info.get('file_name_original') or info.get('name') or url.rsplit('/', 1)[-1].split('?')[0],
            'is_primary': bool(info.get('is_primary')),
        }
    category = event.get('category')
    return {
        'id': event.get('id'),
        'dataset': dataset_id,
        'name': str(event.get('name') or event.get('id')),
        'split': SPLIT_NAMES.get(str(category), category) if category else None,
        'files': files,
        'data': event.get('data'),
        'meta': {},
    }
