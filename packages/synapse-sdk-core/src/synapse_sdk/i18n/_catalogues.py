"""English and Korean text for every :class:`LogMessageCode`."""

from __future__ import annotations

from synapse_sdk.i18n._codes import LogMessageCode as C

EN: dict[str, str] = {
    C.CUSTOM_MESSAGE: '{message}',
    C.PLUGIN_RUN_STARTED: "Running action '{action}'",
    C.PLUGIN_RUN_COMPLETE: 'Plugin run is complete.',
    C.PLUGIN_RUN_FAILED: "Action '{action}' failed: {error}",
    C.PROGRESS_INVALID: "Ignored invalid progress {current}/{total} for '{category}'",
    C.METRICS_INVALID: "Ignored invalid metrics for '{category}': {reason}",
    C.RESULT_VALIDATION_FAILED: "The result of '{action}' does not match {model}: {error}",
    C.JOB_SUBMITTED: 'Submitted job {job_id}',
    C.DATASET_DOWNLOAD_STARTING: 'Fetching dataset {dataset_id}',
    C.DATASET_DOWNLOAD_COMPLETED: 'Dataset ready: {count} items',
    C.DATASET_CONVERSION_STARTED: 'Converting {count} items to {format}',
    C.DATASET_CONVERSION_COMPLETED: 'Converted {count} items to {format}',
    C.MODEL_UPLOAD_STARTED: "Uploading model '{name}'",
    C.MODEL_UPLOAD_COMPLETED: 'Model {model_id} uploaded',
    C.EXPORT_STARTED: 'Exporting {count} items',
    C.EXPORT_COMPLETED: 'Exported {count} items',
    C.UPLOAD_STEP_STARTED: "Step '{step}' started",
    C.UPLOAD_STEP_COMPLETED: "Step '{step}' completed",
    C.UPLOAD_STEP_FAILED: "Step '{step}' failed: {error}",
    C.UPLOAD_ROLLBACK_STARTED: "Rolling back step '{step}'",
    C.UPLOAD_ROLLBACK_FAILED: "Rollback of step '{step}' failed: {error}",
    C.TASK_ANNOTATED: 'Annotated task {task_id}',
    C.TASK_ANNOTATION_FAILED: 'Could not annotate task {task_id}: {error}',
    C.PRE_ANNOTATION_RESUMED: 'Resuming pre-annotation: {done} of {total} tasks already done, {todo} to go',
    C.PRE_ANNOTATION_SUMMARY: 'Pre-annotation finished: {done} done, {failed} failed, {skipped} skipped (done before)',
    C.MODEL_LOADED: 'Loaded model {model_id} in {seconds}s',
}

KO: dict[str, str] = {
    C.CUSTOM_MESSAGE: '{message}',
    C.PLUGIN_RUN_STARTED: "'{action}' 액션을 실행합니다",
    C.PLUGIN_RUN_COMPLETE: '플러그인 실행이 완료되었습니다.',
    C.PLUGIN_RUN_FAILED: "'{action}' 액션이 실패했습니다: {error}",
    C.PROGRESS_INVALID: "'{category}'의 잘못된 진행률 {current}/{total}을(를) 무시했습니다",
    C.METRICS_INVALID: "'{category}'의 잘못된 지표를 무시했습니다: {reason}",
    C.RESULT_VALIDATION_FAILED: "'{action}'의 결과가 {model}과(와) 맞지 않습니다: {error}",
    C.JOB_SUBMITTED: '작업 {job_id}을(를) 제출했습니다',
    C.DATASET_DOWNLOAD_STARTING: '데이터셋 {dataset_id}을(를) 가져오는 중',
    C.DATASET_DOWNLOAD_COMPLETED: '데이터셋 준비 완료: {count}개 항목',
    C.DATASET_CONVERSION_STARTED: '{count}개 항목을 {format}(으)로 변환하는 중',
    C.DATASET_CONVERSION_COMPLETED: '{count}개 항목을 {format}(으)로 변환했습니다',
    C.MODEL_UPLOAD_STARTED: "모델 '{name}'을(를) 업로드하는 중",
    C.MODEL_UPLOAD_COMPLETED: '모델 {model_id} 업로드 완료',
    C.EXPORT_STARTED: '{count}개 항목을 내보내는 중',
    C.EXPORT_COMPLETED: '{count}개 항목을 내보냈습니다',
    C.UPLOAD_STEP_STARTED: "'{step}' 단계를 시작합니다",
    C.UPLOAD_STEP_COMPLETED: "'{step}' 단계를 완료했습니다",
    C.UPLOAD_STEP_FAILED: "'{step}' 단계가 실패했습니다: {error}",
    C.UPLOAD_ROLLBACK_STARTED: "'{step}' 단계를 되돌리는 중",
    C.UPLOAD_ROLLBACK_FAILED: "'{step}' 단계 되돌리기에 실패했습니다: {error}",
    C.TASK_ANNOTATED: '작업 {task_id}에 주석을 작성했습니다',
    C.TASK_ANNOTATION_FAILED: '작업 {task_id}에 주석을 작성하지 못했습니다: {error}',
    C.PRE_ANNOTATION_RESUMED: '사전 주석을 이어서 진행합니다: 작업 {total}개 중 {done}개 완료, {todo}개 남음',
    C.PRE_ANNOTATION_SUMMARY: '사전 주석 완료: 성공 {done}개, 실패 {failed}개, 건너뜀 {skipped}개 (이전에 완료)',
    C.MODEL_LOADED: '모델 {model_id}을(를) {seconds}초 만에 불러왔습니다',
}

CATALOGUES: dict[str, dict[str, str]] = {'en': EN, 'ko': KO}
