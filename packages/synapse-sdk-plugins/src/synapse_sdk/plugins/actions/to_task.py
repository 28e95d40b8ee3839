"""``ToTaskAction``: pre-annotate tasks from files, an inference action, or a served model (DM v2 annotations).

Subclass it, implement ``convert_data_from_file`` and/or ``convert_data_from_inference``, and point
the ``to_task`` entrypoint in ``config.yaml`` at the subclass. One failing task is counted and
reported; the others still get their annotations.

With ``inference_url`` (a served deployment: the embedded server or Ray Serve) tasks are sent to
the model ``concurrency`` at a time; transient failures (no answer, 429, 502-504) are retried with
the SDK's backoff (:class:`synapse_sdk.clients._backend.http.RetryPolicy`). Every task's state
(queued / done / failed with the reason) is recorded on the backend under a run id derived from the
params, so running the same params again after a crash or a kill processes only the tasks not done.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, model_validator

from synapse_sdk.core.errors import NotFoundError
from synapse_sdk.i18n import LogLevel, LogMessageCode
from synapse_sdk.plugins.actions._base import CategoryAction
from synapse_sdk.plugins.actions._datasets import primary_file
from synapse_sdk.plugins.actions._item_state import DONE, FAILED, QUEUED, ItemStates, run_key
from synapse_sdk.plugins.enums import PluginCategory

DM_V2_KEYS = frozenset({'classification', 'images', 'videos', 'pcds', 'texts', 'audios', 'prompts'})


class ToTaskProgressCategories:
    ANNOTATE_TASK_DATA = 'annotate_task_data'


class ToTaskParams(BaseModel):
    name: str = Field(default='to_task', min_length=1)
    description: str = ''
    project: int | str
    agent: int | None = None
    task_filters: dict[str, Any] = Field(default_factory=dict)
    method: Literal['file', 'inference'] = 'file'
    target_specification_name: str | None = None
    model: int | str | None = None
    pre_processor: str | None = None
    inference_action: str = 'inference'
    pre_processor_params: dict[str, Any] = Field(default_factory=dict)
    inference_url: str | None = Field(default=None, description='URL of a served inference deployment')
    concurrency: int = Field(default=4, ge=1, le=64, description='Tasks sent to the model at once')
    retries: int = Field(default=3, ge=0, le=10, description='Retries of a transient model failure')
    retry_backoff: float = Field(default=0.5, ge=0, le=30)
    resume: bool = Field(default=True, description='Skip tasks an earlier run with the same params finished')

    @model_validator(mode='after')
    def _method_needs(self) -> ToTaskParams:
        if self.method == 'file' and not self.target_specification_name:
            raise ValueError(
                "method 'file' needs target_specification_name (the file specification holding the labels)"
            )
        if self.method == 'inference' and not (self.pre_processor or self.inference_url):
            raise ValueError(
                "method 'inference' needs inference_url (a served deployment) or pre_processor "
                '(the plugin whose inference action to run)'
            )
        return self


class ToTaskFailure(BaseModel):
    task_id: int | str
    error: str


class ToTaskResult(BaseModel):
    status: Literal['succeeded', 'partially_failed', 'failed']
    message: str
    total_tasks: int
    success_count: int
    failed_count: int
    skipped_count: int = 0
    run_id: str | None = None
    failures: list[ToTaskFailure] = Field(default_factory=list)


TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})


def is_transient(error: BaseException) -> bool:
    """A failure worth retrying: no answer from the model, or an overloaded / restarting deployment."""
    from synapse_sdk.plugins.errors import ServeError

    if isinstance(error, ServeError):
        return error.status is None or error.status in TRANSIENT_STATUSES
    return isinstance(error, (ConnectionError, TimeoutError))


class ToTaskAction(CategoryAction[ToTaskParams]):
    """Base for ``pre_annotation`` actions that write annotations to the tasks of a project."""

    action_name: ClassVar[str | None] = 'to_task'
    category = PluginCategory.PRE_ANNOTATION
    params_model = ToTaskParams
    result_model = ToTaskResult
    progress: ClassVar[type[ToTaskProgressCategories]] = ToTaskProgressCategories

    # -- hooks a plugin implements
    def convert_data_from_file(
        self,
        primary_file_url: str,
        primary_file_original_name: str,
        data_file_url: str,
        data_file_original_name: str,
        task_data: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Turn a task's label file into a DM v2 annotation."""
        raise NotImplementedError(f'{type(self).__name__} must implement convert_data_from_file() for method "file"')

    def convert_data_from_inference(
        self, inference_data: Any, task_data: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Turn an inference result into a DM v2 annotation."""
        raise NotImplementedError(
            f'{type(self).__name__} must implement convert_data_from_inference() for method "inference"'
        )

    # -- overridable plumbing
    def inference_payload(self, primary_url: str, task: Mapping[str, Any]) -> dict[str, Any]:
        """The params the model gets for one task (default: ``pre_processor_params`` + ``image_path``)."""
        return {**self.params.pre_processor_params, 'image_path': primary_url}

    def run_inference(self, primary_url: str, task: Mapping[str, Any]) -> Any:
        """Call the served deployment (``inference_url``), else run the pre-processor plugin's inference action."""
        params = self.inference_payload(primary_url, task)
        if self.params.inference_url:
            return self._serve_client().predict(
                params, model_id=None if self.params.model is None else str(self.params.model)
            )
        if self.params.model is not None:
            params['model'] = self.params.model
        assert self.params.pre_processor is not None
        return self.backend.run_plugin(self.params.pre_processor, self.params.inference_action, params)

    def _serve_client(self) -> Any:
        client = self.__dict__.get('_serve_client_obj')
        if client is None:
            from synapse_sdk.plugins._serving.client import ServeClient

            assert self.params.inference_url is not None
            client = self.__dict__['_serve_client_obj'] = ServeClient(self.params.inference_url)
        return client

    def run_inference_with_retry(self, primary_url: str, task: Mapping[str, Any]) -> tuple[Any, int]:
        """``(result, attempts)``; transient failures are retried with the SDK's backoff."""
        from synapse_sdk.clients._backend.http import RetryPolicy

        policy = RetryPolicy(attempts=self.params.retries + 1, backoff=self.params.retry_backoff)
        attempt = 0
        while True:
            try:
                return self.run_inference(primary_url, task), attempt + 1
            except Exception as error:
                if not is_transient(error) or attempt + 1 >= policy.attempts:
                    raise
                time.sleep(policy.delay(attempt))
                attempt += 1

    def annotate(self, task: Mapping[str, Any]) -> dict[str, Any]:
        """The DM v2 annotation for one task."""
        unit = task.get('data_unit') or {}
        files = unit.get('files') or {}
        found = primary_file(files)
        if found is None:
            raise NotFoundError(f'task {task.get("id")} has no files')
        primary = found[1]
        primary_name = str(primary.get('name') or primary.get('url', '').rsplit('/', 1)[-1])
        if self.params.method == 'file':
            spec = self.params.target_specification_name
            data_file = files.get(spec)
            if not isinstance(data_file, Mapping):
                raise NotFoundError(
                    f'task {task.get("id")} has no file for specification {spec!r}; '
                    f'it has: {", ".join(files) or "none"}'
                )
            return self.convert_data_from_file(
                str(primary['url']),
                primary_name,
                str(data_file['url']),
                str(data_file.get('name') or ''),
                task_data=task,
            )
        inference, _ = self.run_inference_with_retry(str(primary['url']), task)
        return self.convert_data_from_inference(inference, task_data=task)

    def run_id(self, project_id: Any) -> str:
        """The id earlier attempts of this same run recorded their task states under."""
        p = self.params
        identity = {
            'project': project_id,
            'filters': p.task_filters,
            'method': p.method,
            'spec': p.target_specification_name,
            'pre_processor': p.pre_processor,
            'inference_url': p.inference_url,
            'inference_action': p.inference_action,
            'model': p.model,
            'pre_processor_params': p.pre_processor_params,
            'name': p.name,
        }
        return run_key(f'to_task-{project_id}', identity)

    def execute(self) -> dict[str, Any]:
        client = self.backend
        project = client.get_project(self.params.project)
        tasks = list(client.list_tasks({**self.params.task_filters, 'project': project['id']}))
        total = len(tasks)
        if not total:
            raise NotFoundError(
                f'no tasks to annotate in project {project["id"]} with filters {self.params.task_filters}',
                details={'project': project['id']},
            )
        run_id = self.run_id(project['id'])
        states = ItemStates(client, run_id)
        earlier = states.load() if self.params.resume else {}
        finished = {key for key, record in earlier.items() if record.get('state') == DONE}
        todo = [task for task in tasks if str(task['id']) not in finished]
        skipped = total - len(todo)
        category = self.progress.ANNOTATE_TASK_DATA
        self.log_message(LogMessageCode.DATASET_CONVERSION_STARTED, count=len(todo), format=self.params.method)
        if skipped:
            self.log_message(LogMessageCode.PRE_ANNOTATION_RESUMED, done=skipped, total=total, todo=len(todo))
        lock = threading.Lock()  # backend writes and counters: one at a time; model calls run in parallel
        counts = {'success': 0, 'handled': skipped}
        failures: dict[Any, ToTaskFailure] = {}
        self.set_progress(skipped, total, category)

        def one(task: Mapping[str, Any]) -> None:
            task_id = task['id']
            with lock:
                states.mark(task_id, QUEUED)
            try:
                annotation = self.annotate(task)
                if not isinstance(annotation, Mapping) or not (set(annotation) & DM_V2_KEYS):
                    raise ValueError(
                        f'the converter returned {type(annotation).__name__}, not a DM v2 annotation '
                        f'(a dict with one of {", ".join(sorted(DM_V2_KEYS))})'
                    )
                with lock:
                    client.annotate_task_data(task_id, {'action': 'submit', 'data': dict(annotation)})
                    states.mark(task_id, DONE, attempts=1)
                    counts['success'] += 1
                self.log_message(LogMessageCode.TASK_ANNOTATED, level=LogLevel.DEBUG, task_id=task_id)
            except Exception as error:
                reason = f'{type(error).__name__}: {error}'
                with lock:
                    states.mark(task_id, FAILED, reason[:1000], attempts=1)
                    failures[task_id] = ToTaskFailure(task_id=task_id, error=reason)
                self.log_message(
                    LogMessageCode.TASK_ANNOTATION_FAILED, level=LogLevel.WARNING, task_id=task_id, error=str(error)
                )
            with lock:
                counts['handled'] += 1
                handled, success = counts['handled'], counts['success']
                self.set_progress(handled, total, category)
                self.set_metrics(
                    {'success': success, 'failed': len(failures), 'skipped': skipped, 'stand_by': total - handled},
                    category,
                )

        workers = self.params.concurrency if self.params.method == 'inference' else 1
        if workers == 1:
            for task in todo:
                one(task)
        else:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix='to-task') as pool:
                list(pool.map(one, todo))
        success, failed = counts['success'], len(failures)
        self.log_message(LogMessageCode.PRE_ANNOTATION_SUMMARY, done=success, failed=failed, skipped=skipped)
        status: Literal['succeeded', 'partially_failed', 'failed'] = (
            'succeeded' if not failed else ('failed' if not (success + skipped) else 'partially_failed')
        )
        order = {task['id']: index for index, task in enumerate(tasks)}
        return ToTaskResult(
            status=status,
            message=f'annotated {success} of {total} tasks'
            + (f', {failed} failed' if failed else '')
            + (f', {skipped} done before' if skipped else ''),
            total_tasks=total,
            success_count=success,
            failed_count=failed,
            skipped_count=skipped,
            run_id=run_id,
            failures=sorted(failures.values(), key=lambda f: order.get(f.task_id, 0)),
        ).model_dump()
