"""Serve mode: actions deployed as Ray Serve applications on the session head, called over HTTP."""

from __future__ import annotations

import json
import textwrap
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ray import serve
from synapse_sdk.cli._main import app as cli
from synapse_sdk.clients._local import LocalBackend
from synapse_sdk.plugins._serving import ServeHandle
from synapse_sdk.plugins.errors import ServeActionError, ServeRequestError, ServeUnavailableError
from synapse_sdk.plugins.runner import run_plugin
from synapse_sdk.ray._secrets import Secret
from synapse_sdk.ray._serve.admin import application_status, list_applications
from synapse_sdk.ray._serve.executor import RayServeExecutor
from synapse_sdk.ray._serve.handle import RayServeHandle
from synapse_sdk.ray.errors import ApplicationNotFoundError, DeploymentFailedError, ResourceUnavailableError
from synapse_sdk.ray.testing import LocalHead

EXAMPLE = Path(__file__).resolve().parents[2] / 'examples' / 'inference_plugin'
RED_BOXES = [[4, 5, 16, 10], [40, 30, 6, 10]]
BLUE_BOXES = [[25, 20, 12, 8]]
SERVE_SECRET = 'serve-secret-5d1e7a90'
runner = CliRunner()

CONFIG = """\
name: Served echo
code: served-echo
version: 0.1.0
category: custom
actions:
  predict:
    entrypoint: served_echo.actions:predict
"""

CODE = """\
import os

from pydantic import BaseModel

from synapse_sdk.plugins.decorators import action


class PredictParams(BaseModel):
    text: str
    times: int = 1
    fail: bool = False


class ModelFailure(Exception):
    pass


LOADS = []


def load(model_id):
    LOADS.append(model_id)
    return {'name': model_id or 'default', 'scale': len(model_id or '')}


@action(name='predict', params=PredictParams)
def predict(params, ctx):
    if params.fail:
        raise ModelFailure('the model broke on purpose')
    from ray import serve

    model = ctx.models.get(ctx.model_id, lambda: load(ctx.model_id))
    return {
        'text': params.text * params.times,
        'model': model['name'],
        'loads': list(LOADS),
        'replica': serve.get_replica_context().replica_id.unique_id,
        'secret_seen': os.environ.get('API_TOKEN'),
        'env_seen': ctx.env.get('API_TOKEN'),
        'public_seen': os.environ.get('PLAIN_SETTING'),
    }
"""


@pytest.fixture(scope='module')
def serve_plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp('served-echo')
    (root / 'config.yaml').write_text(CONFIG, encoding='utf-8')
    (root / 'served_echo').mkdir()
    (root / 'served_echo' / '__init__.py').write_text('', encoding='utf-8')
    (root / 'served_echo' / 'actions.py').write_text(textwrap.dedent(CODE), encoding='utf-8')
    return root


def _executor(head: LocalHead, plugin: Path, **options: object) -> RayServeExecutor:
    options.setdefault('num_cpus', 0.1)
    return RayServeExecutor(address=head.address, working_dir=plugin, include_credentials=False, **options)  # type: ignore[arg-type]


@pytest.fixture(scope='module')
def served(connected: LocalHead, serve_http: tuple[str, int], serve_plugin: Path) -> Iterator[RayServeHandle]:
    executor = _executor(
        connected,
        serve_plugin,
        num_replicas=2,
        env={'API_TOKEN': Secret(SERVE_SECRET), 'PLAIN_SETTING': 'plain-value'},
    )
    handle = executor.deploy('predict')
    yield handle
    handle.delete()


def _post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, data=body, method='POST', headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw.startswith(b'{') else {'raw': raw.decode('utf-8', 'replace')}


def test_deploy_then_predict_and_health(served: RayServeHandle, serve_http: tuple[str, int]):
    host, port = serve_http
    assert served.url == f'http://{host}:{port}/served-echo-predict'
    assert served.predict({'text': 'ab', 'times': 2})['text'] == 'abab'
    with urllib.request.urlopen(served.url + '/health', timeout=30) as response:
        health = json.loads(response.read())
    assert response.status == 200 and health['status'] == 'ok'
    status = served.status()
    assert status['status'] == 'RUNNING' and status['url'] == served.url
    assert status['deployments']['ingress']['replicas'] == {'RUNNING': 2}


def test_secrets_reach_the_replica_but_not_the_serve_config(served: RayServeHandle, connected: LocalHead):
    result = served.predict({'text': 'x'})
    assert result['secret_seen'] == SERVE_SECRET and result['env_seen'] == SERVE_SECRET
    assert result['public_seen'] == 'plain-value'
    with urllib.request.urlopen(connected.dashboard_address + '/api/serve/applications/', timeout=30) as response:
        config = response.read().decode('utf-8')
    app = json.loads(config)['applications']['served-echo-predict']
    runtime_env = app['deployments']['ingress']['deployment_config']['ray_actor_options']['runtime_env']
    assert runtime_env['env_vars']['PLAIN_SETTING'] == 'plain-value'  # this is the config that carries env
    assert 'API_TOKEN' not in runtime_env['env_vars']
    assert SERVE_SECRET not in config
    for path in ('/api/v0/actors?detail=1', '/api/v0/tasks?detail=1'):
        with urllib.request.urlopen(connected.dashboard_address + path, timeout=30) as response:
            assert SERVE_SECRET not in response.read().decode('utf-8'), path


def test_requests_reach_both_replicas(served: RayServeHandle):
    with ThreadPoolExecutor(8) as pool:
        replicas = set(pool.map(lambda i: served.predict({'text': str(i)})['replica'], range(48)))
    assert len(replicas) == 2


def test_two_models_multiplexed_in_one_deployment(served: RayServeHandle):
    tag = uuid.uuid4().hex[:6]
    model_a, model_b = f'a-{tag}', f'b-{tag}'
    first = served.predict({'text': 'x'}, model_id=model_a)
    assert first['model'] == model_a and first['loads'].count(model_a) == 1
    # Once the replica has told Serve it holds model a, a's requests go to it and reuse the loaded model.
    time.sleep(2)
    again = [served.predict({'text': 'x'}, model_id=model_a) for _ in range(6)]
    assert {r['replica'] for r in again} == {first['replica']}
    assert all(r['model'] == model_a and r['loads'].count(model_a) == 1 for r in again)
    # Model b is routed to the replica with the fewest models: the other one.
    second = served.predict({'text': 'y'}, model_id=model_b)
    assert second['model'] == model_b and second['replica'] != first['replica']
    health = served.health()
    assert health['status'] == 'ok'


def test_example_plugin_serves_two_models_from_its_backend_on_ray(
    connected: LocalHead, serve_http: tuple[str, int], tmp_path: Path
):
    backend = LocalBackend(tmp_path / 'home' / 'local')  # where SYNAPSE_HOME=home puts it
    red = backend.create_model(EXAMPLE / 'models' / 'red.json', name='red')
    blue = backend.create_model(EXAMPLE / 'models' / 'blue.json', name='blue')
    # The replicas run on this machine, so they reach the same embedded backend through SYNAPSE_HOME;
    # the example's requirements.txt (numpy, pillow) is installed by Ray with uv, as in task mode.
    handle = RayServeExecutor(
        address=connected.address, working_dir=EXAMPLE, num_cpus=0.1, include_credentials=False,
        env={'SYNAPSE_HOME': str(tmp_path / 'home')}, max_models_per_replica=2, package_manager='uv',
    ).deploy('inference')  # fmt: skip
    try:
        assert handle.url.endswith('/inference-example-inference')
        image = {'image_path': str(EXAMPLE.parent / 'data' / 'blobs' / 'red_blue.png')}
        found_red = handle.predict(image, model_id=str(red['id']))
        found_blue = handle.predict(image, model_id=str(blue['id']))
        assert found_red['model'] == 'red' and [d['bbox'] for d in found_red['detections']] == RED_BOXES
        assert found_blue['model'] == 'blue' and [d['bbox'] for d in found_blue['detections']] == BLUE_BOXES
        assert sorted(handle.health()['models']) == sorted([str(red['id']), str(blue['id'])])
    finally:
        handle.delete()


def test_bad_params_answer_422_with_every_bad_field(served: RayServeHandle):
    status, body = _post(served.url, json.dumps({'times': 'many'}).encode())
    assert status == 422
    error = body['error']
    assert isinstance(error, dict) and error['type'] == 'ParamsValidationError'
    assert sorted(tuple(e['loc']) for e in error['errors']) == [('text',), ('times',)]
    with pytest.raises(ServeRequestError) as caught:
        served.predict({'times': 'many'})
    assert caught.value.status == 422
    assert {tuple(e['loc']) for e in caught.value.errors} == {('text',), ('times',)}
    status, body = _post(served.url, b'[1, 2]')
    assert status == 400


def test_action_error_answers_500_typed_without_secrets(served: RayServeHandle):
    status, body = _post(served.url, json.dumps({'text': 'x', 'fail': True}).encode())
    assert status == 500
    error = body['error']
    assert isinstance(error, dict) and error['type'] == 'ModelFailure'
    assert 'the model broke on purpose' in str(error['message'])
    assert SERVE_SECRET not in json.dumps(body)
    with pytest.raises(ServeActionError, match='the model broke on purpose') as caught:
        served.predict({'text': 'x', 'fail': True})
    assert caught.value.error_type == 'ModelFailure' and caught.value.status == 500


def test_unsatisfiable_requests_are_refused_before_deploying(connected: LocalHead, serve_plugin: Path):
    with pytest.raises(ResourceUnavailableError, match='4 GPUs requested'):
        _executor(connected, serve_plugin, num_gpus=4, app_name='never-gpu').deploy('predict')
    with pytest.raises(ResourceUnavailableError, match='for 3 replicas'):
        _executor(connected, serve_plugin, num_cpus=1, num_replicas=3, app_name='never-cpu').deploy('predict')
    names = {info['name'] for info in list_applications(connected.address)}
    assert not names & {'never-gpu', 'never-cpu'}


def test_a_replica_that_cannot_start_is_a_typed_deploy_failure(connected: LocalHead, serve_plugin: Path):
    executor = _executor(
        connected, serve_plugin, app_name='served-echo-broken', serve_options={'max_constructor_retry_count': 1}
    )
    with pytest.raises(DeploymentFailedError, match='served-echo-broken') as caught:
        executor.deploy('predict', entrypoint='served_echo.missing:predict')
    assert '\n' not in caught.value.message and 'served_echo.missing' in caught.value.message
    serve.delete('served-echo-broken')


def test_run_plugin_serve_mode_then_cli_list_status_and_delete(
    connected: LocalHead, serve_http: tuple[str, int], serve_plugin: Path
):
    handle = run_plugin(
        serve_plugin, 'predict', {'times': 2}, mode='serve', address=connected.address,
        num_cpus=0.1, name='served-echo-delete-me', include_credentials=False,
        autoscaling_config={'min_replicas': 1, 'max_replicas': 2}, max_ongoing_requests=7,
    )  # fmt: skip
    assert isinstance(handle, ServeHandle) and isinstance(handle, RayServeHandle)
    with urllib.request.urlopen(connected.dashboard_address + '/api/serve/applications/', timeout=30) as response:
        config = json.loads(response.read())['applications']['served-echo-delete-me']['deployments']['ingress']
    assert config['deployment_config']['autoscaling_config']['max_replicas'] == 2
    assert config['deployment_config']['max_ongoing_requests'] == 7
    assert handle.predict({'text': 'q'})['text'] == 'qq'  # run params are every request's defaults
    assert handle.predict({'text': 'q', 'times': 3})['text'] == 'qqq'

    listed = runner.invoke(cli, ['serve', 'list', '--address', connected.address])
    assert listed.exit_code == 0, listed.output
    line = next(line for line in listed.stdout.splitlines() if line.startswith('served-echo-delete-me\t'))
    assert 'RUNNING' in line and handle.url in line and '1 running' in line

    shown = runner.invoke(cli, ['serve', 'status', 'served-echo-delete-me', '-a', connected.address, '--json'])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)['url'] == handle.url

    deleted = runner.invoke(cli, ['serve', 'delete', 'served-echo-delete-me', '-a', connected.address])
    assert deleted.exit_code == 0 and 'deleted' in deleted.stdout
    with pytest.raises(ApplicationNotFoundError):
        application_status('served-echo-delete-me', connected.address)
    status, _ = _post(handle.url, b'{"text": "q"}')
    assert status == 404
    with pytest.raises(ServeUnavailableError):
        handle.predict({'text': 'q'})

    missing = runner.invoke(cli, ['serve', 'delete', 'served-echo-delete-me', '-a', connected.address])
    assert missing.exit_code == 1
    assert missing.stderr.strip().count('\n') == 0 and 'No Serve application' in missing.stderr
