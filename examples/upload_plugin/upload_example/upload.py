"""An upload action: the default steps plus one of its own (a checksum manifest)."""

from __future__ import annotations

import json
from typing import Any

from synapse_sdk.plugins import DefaultUploadAction, StepRegistry, UploadContext, UploadStep
from synapse_sdk.utils.file import calculate_checksum


class ManifestStep(UploadStep):
    """Uploads ``manifest.json`` (file -> sha256). Recorded on the context, so rollback removes it."""

    name = 'manifest'
    progress_weight = 5.0

    def execute(self, context: UploadContext) -> Any:
        manifest = {f['key']: calculate_checksum(f['path'], algorithm='sha256') for f in context.uploaded_files}
        path = context.action.temp_dir('manifest-') / 'manifest.json'
        path.write_text(json.dumps(manifest, indent=2, sort_keys=True))
        return context.upload_file(path, f'{context.params.prefix}/{context.run_id}/manifest.json')


class UploadAction(DefaultUploadAction):
    action_name = 'upload'

    def get_allowed_extensions(self) -> dict[str, list[str]] | None:
        return {'image': ['.png', '.jpg', '.jpeg'], 'annotation': ['.json']}

    def setup_steps(self, registry: StepRegistry[UploadContext]) -> None:
        super().setup_steps(registry)
        registry.insert_after('upload_files', ManifestStep())
