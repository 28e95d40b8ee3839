"""``ToTaskAction``: pre-annotate tasks from files or from an inference action (DM v2 annotations).

Subclass it, implement ``convert_data_from_file`` and/or ``convert_data_from_inference``, and point
the ``to_task`` entrypoint in ``config.yaml`` at the subclass. One failing task is counted and
reported; the others still get their annotations.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, model_validator

from synapse_sdk.core.errors import NotFoundError
from synapse_sdk.i18n import LogLevel, LogMessageCode
from synapse_sdk.plugins.actions.base import CategoryAction
from synapse_sdk.plugins.actions.datasets import primary_file
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

    @model_validator(mode='after')
    def _method_needs(self) -> ToTaskParams:
        if self.method == 'file' and not self.target_specification_name:
            raise ValueError(
                "method 'file' needs target_specification_name (the file specification holding the labels)"
            )
        if self.method == 'inference' and not self.pre_processor:
            raise ValueError("method 'inference' needs pre_processor (the plugin whose inference action to run)")
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
    failures: list[ToTaskFailure] = Field(default_factory=list)


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
    def run_inference(self, primary_url: str, task: Mapping[str, Any]) -> Any:
        """Run the pre-processor plugin's inference action on the task's primary file."""
        params = {**self.params.pre_processor_params, 'image_path': primary_url}
        if self.params.model is not None:
            params['model'] = self.params.model
        assert self.params.pre_processor is not None
        return self.backend.run_plugin(self.params.pre_processor, self.params.inference_action, params)

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
        return self.convert_data_from_inference(self.run_inference(str(primary['url']), task), task_data=task)

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
        category = self.progress.ANNOTATE_TASK_DATA
        self.log_message(LogMessageCode.DATASET_CONVERSION_STARTED, count=total, format=self.params.method)
        success, failures = 0, []
        self.set_progress(0, total, category)
        for index, task in enumerate(tasks, 1):
            try:
                annotation = self.annotate(task)
                if not isinstance(annotation, Mapping) or not (set(annotation) & DM_V2_KEYS):
                    raise ValueError(
                        f'the converter returned {type(annotation).__name__}, not a DM v2 annotation '
                        f'(a dict with one of {", ".join(sorted(DM_V2_KEYS))})'
                    )
                client.annotate_task_data(task['id'], {'action': 'submit', 'data': dict(annotation)})
                success += 1
                self.log_message(LogMessageCode.TASK_ANNOTATED, level=LogLevel.DEBUG, task_id=task['id'])
            except Exception as error:
                failures.append(ToTaskFailure(task_id=task['id'], error=f'{type(error).__name__}: {error}'))
                self.log_message(
                    LogMessageCode.TASK_ANNOTATION_FAILED, level=LogLevel.WARNING, task_id=task['id'], error=str(error)
                )
            self.set_progress(index, total, category)
            self.set_metrics({'success': success, 'failed': len(failures), 'stand_by': total - index}, category)
        failed = len(failures)
        status: Literal['succeeded', 'partially_failed', 'failed'] = (
            'succeeded' if not failed else ('failed' if not success else 'partially_failed')
        )
        return ToTaskResult(
            status=status,
            message=f'annotated {success} of {total} tasks' + (f', {failed} failed' if failed else ''),
            total_tasks=total,
            success_count=success,
            failed_count=failed,
            failures=failures,
        ).model_dump()
