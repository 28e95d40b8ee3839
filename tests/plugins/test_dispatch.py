"""The one dispatch path: params validation, errors, result checks, reporting that never crashes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field, ValidationInfo, field_validator

from synapse_sdk.plugins._context import PluginEnvironment, RuntimeContext
from synapse_sdk.plugins._dispatch import run_action
from synapse_sdk.plugins._events import Event, JsonlSink, MemorySink
from synapse_sdk.plugins.action import BaseAction
from synapse_sdk.plugins.decorators import action
from synapse_sdk.plugins.errors import ExecutionError, ParamsValidationError
from synapse_sdk.plugins.executors.local import LocalExecutor


class Params(BaseModel):
    epochs: int = Field(ge=1)
    rate: float
    name: str = 'x'


class Result(BaseModel):
    accuracy: float


class Train(BaseAction[Params]):
    action_name = 'train'
    result_model = Result

    def execute(self) -> Any:
        return {'accuracy': 0.9} if self.params.name != 'bad' else {'accuracy': 'high'}


@action(name='fn_train', params=Params, result=Result)
def fn_train(params: Params, ctx: RuntimeContext) -> dict[str, float]:
    return {'accuracy': params.rate}


def run(target: Any, params: Any, **kw: Any) -> tuple[Any, MemorySink]:
    sink = MemorySink()
    return LocalExecutor(sinks=[sink], **kw).execute(target, params), sink


def test_params_model_comes_from_the_generic_argument() -> None:
    assert Train.params_model is Params


@pytest.mark.parametrize('target', [Train, fn_train])
def test_every_bad_field_is_listed(target: Any) -> None:
    with pytest.raises(ParamsValidationError) as info:
        run(target, {'epochs': 0, 'rate': 'fast'})
    error = info.value
    assert isinstance(error, ValueError)
    assert {tuple(e['loc']) for e in error.errors} == {('epochs',), ('rate',)}
    assert 'epochs' in error.message and 'rate' in error.message


@pytest.mark.parametrize('target', [Train, fn_train])
def test_params_must_be_an_object(target: Any) -> None:
    with pytest.raises(ParamsValidationError, match='must be a JSON object'):
        run(target, ['epochs', 1])


def test_class_and_function_actions_take_the_same_path() -> None:
    result, sink = run(Train, {'epochs': 1, 'rate': 0.5})
    assert result == {'accuracy': 0.9}
    result, fn_sink = run(fn_train, {'epochs': 1, 'rate': 0.5})
    assert result == {'accuracy': 0.5}
    assert (
        [e.code for e in sink.events]
        == [e.code for e in fn_sink.events]
        == ['PLUGIN_RUN_STARTED', 'PLUGIN_RUN_COMPLETE']
    )


def test_action_exception_becomes_execution_error_with_cause() -> None:
    class Boom(BaseAction[Params]):
        action_name = 'boom'

        def execute(self) -> Any:
            raise KeyError('missing-thing')

    with pytest.raises(ExecutionError, match="Action 'boom' failed: KeyError") as info:
        run(Boom, {'epochs': 1, 'rate': 1})
    assert isinstance(info.value.__cause__, KeyError)
    assert info.value.original is info.value.__cause__
    assert info.value.__cause__.__traceback__ is not None


def test_result_model_mismatch_is_a_warning_not_a_failure() -> None:
    result, sink = run(Train, {'epochs': 1, 'rate': 1, 'name': 'bad'})
    assert result == {'accuracy': 'high'}
    warning = [e for e in sink.events if e.code == 'RESULT_VALIDATION_FAILED']
    assert warning and 'accuracy' in warning[0].render('en') and warning[0].level.value == 'warning'


def test_bad_progress_and_metrics_warn_but_never_crash() -> None:
    class Sloppy(BaseAction[Params]):
        action_name = 'sloppy'

        def execute(self) -> Any:
            self.set_progress(5, 3, 'train')
            self.set_progress(1, 0)
            self.set_progress('a', 3)  # type: ignore[arg-type]
            self.set_metrics({'loss': float('nan')}, 'train')
            self.set_metrics('not a dict', 'train')  # type: ignore[arg-type]
            self.set_progress(1, 2, 'train')
            self.set_metrics({'loss': 0.5}, 'train')
            return dict(self.ctx.progress)

    result, sink = run(Sloppy, {'epochs': 1, 'rate': 1})
    assert result == {'train': {'current': 1, 'total': 2, 'percent': 50.0}}
    codes = [e.code for e in sink.events if e.level.value == 'warning']
    assert codes.count('PROGRESS_INVALID') == 3 and codes.count('METRICS_INVALID') == 2
    assert [e.data for e in sink.events if e.kind == 'metrics'] == [{'category': 'train', 'values': {'loss': 0.5}}]


def test_validators_can_reach_the_client_lazily() -> None:
    class Checked(BaseModel):
        dataset: int

        @field_validator('dataset')
        @classmethod
        def exists(cls, value: int, info: ValidationInfo) -> int:
            client = info.context.get('client') if info.context else None
            if client is None or value not in client['datasets']:
                raise ValueError(f'dataset {value} does not exist')
            return value

    @action(name='uses_client', params=Checked)
    def uses_client(params: Checked, ctx: RuntimeContext) -> int:
        return params.dataset

    client = {'datasets': {7}}
    assert run(uses_client, {'dataset': 7}, client=client)[0] == 7
    with pytest.raises(ParamsValidationError, match='dataset 8 does not exist'):
        run(uses_client, {'dataset': 8}, client=client)


def test_env_is_typed_and_visible_in_os_environ_only_during_the_run() -> None:
    @action(name='env')
    def show(params: Any, ctx: RuntimeContext) -> dict[str, Any]:
        return {
            'debug': ctx.env.get_bool('DEBUG'),
            'workers': ctx.env.get_int('WORKERS'),
            'os': os.environ.get('SYNAPSE_TEST_ONLY_VAR'),
        }

    assert 'SYNAPSE_TEST_ONLY_VAR' not in os.environ
    result, _ = run(show, {}, env={'DEBUG': 'true', 'WORKERS': '4', 'SYNAPSE_TEST_ONLY_VAR': 'v'})
    assert result == {'debug': True, 'workers': 4, 'os': 'v'}
    assert 'SYNAPSE_TEST_ONLY_VAR' not in os.environ


def test_plugin_environment_from_file_and_repr_hides_values(tmp_path: Path) -> None:
    file = tmp_path / '.env'
    file.write_text('# comment\nexport TOKEN="s3cr3t-value"\nDEBUG=1\n')
    env = PluginEnvironment.from_file(file, base={'DEBUG': '0', 'KEEP': 'k'})
    assert env.to_dict() == {'DEBUG': '1', 'KEEP': 'k', 'TOKEN': 's3cr3t-value'}
    assert 's3cr3t-value' not in repr(env)


def test_events_roundtrip_and_render_in_any_language() -> None:
    sink = MemorySink()
    ctx = RuntimeContext(events=sink, language='ko', job_id='job-1')
    ctx.log_message({'en': 'Processing {count} files', 'ko': '{count}개의 파일을 처리 중'}, count=2)
    event = Event.from_dict(json.loads(json.dumps(sink.events[0].to_dict())))
    assert event.job_id == 'job-1'
    assert event.render('ko') == '2개의 파일을 처리 중' and event.render('en') == 'Processing 2 files'


def test_jsonl_sink_records_code_params_and_text(tmp_path: Path) -> None:
    path = tmp_path / 'events.jsonl'
    sink = JsonlSink(path, language='ko')
    LocalExecutor(sinks=[sink], language='ko').execute(Train, {'epochs': 1, 'rate': 1})
    sink.close()
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert records[0]['code'] == 'PLUGIN_RUN_STARTED' and records[0]['params'] == {'action': 'train'}
    assert records[0]['text'] == "'train' 액션을 실행합니다"
    assert records[-1]['text'] == '플러그인 실행이 완료되었습니다.'


def test_a_failing_sink_does_not_break_the_run(capsys: pytest.CaptureFixture[str]) -> None:
    class Broken:
        def emit(self, event: Event) -> None:
            raise OSError('disk full')

        def close(self) -> None:
            pass

    assert LocalExecutor(sinks=[Broken()]).execute(Train, {'epochs': 1, 'rate': 1}) == {'accuracy': 0.9}
    assert 'disk full' in capsys.readouterr().err


def test_logger_records_become_events() -> None:
    @action(name='logs')
    def logs(params: Any, ctx: RuntimeContext) -> None:
        ctx.logger.info('loaded %d images', 12)
        ctx.logger.warning('slow disk')
        ctx.log('checkpoint', {'epoch': 3})

    _, sink = run(logs, {})
    rendered = sink.rendered('en')
    assert 'loaded 12 images' in rendered and 'slow disk' in rendered
    assert 'checkpoint {"epoch": 3}' in rendered


def test_language_falls_back_to_english_never_crashes() -> None:
    sink = MemorySink()
    LocalExecutor(sinks=[sink], language='fr').execute(Train, {'epochs': 1, 'rate': 1})
    assert sink.rendered()[-1] == 'Plugin run is complete.'


def test_run_action_directly_with_a_context() -> None:
    ctx = RuntimeContext(events=MemorySink(), job_id='j')
    assert run_action(fn_train, Params(epochs=1, rate=0.25), ctx) == {'accuracy': 0.25}
    assert ctx.action_name == 'fn_train'
