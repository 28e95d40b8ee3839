"""Serving an action on the embedded loopback server: the same HTTP API as Ray Serve, no Ray."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.clients._local import LocalBackend
from synapse_sdk.plugins._events import MemorySink
from synapse_sdk.plugins._serving import ServeHandle
from synapse_sdk.plugins.errors import PluginError, ServeActionError, ServeRequestError, ServeUnavailableError
from synapse_sdk.plugins.runner import run_plugin

REPO = Path(__file__).resolve().parents[2]
INFERENCE_PLUGIN = REPO / 'examples' / 'inference_plugin'
FIXTURE_PLUGIN = Path(__file__).resolve().parent / 'fixture_plugin'
BLOBS_IMAGE = REPO / 'examples' / 'data' / 'blobs' / 'red_blue.png'
RED = [[4, 5, 16, 10], [40, 30, 6, 10]]
BLUE = [[25, 20, 12, 8]]


@pytest.fixture
def served(backend: LocalBackend) -> Iterator[Any]:
    handles: list[Any] = []

    def serve(plugin: Path, action: str, **options: Any) -> Any:
        handle = run_plugin(plugin, action, {}, mode='serve', client=backend, **options)
        handles.append(handle)
        return handle

    yield serve
    for handle in handles:
        handle.delete()


def boxes(result: dict[str, Any]) -> list[list[int]]:
    return [d['bbox'] for d in result['detections']]


def test_deploy_predict_health_delete(http: Any, served: Any) -> None:
    handle = served(INFERENCE_PLUGIN, 'inference')
    assert isinstance(handle, ServeHandle)
    assert handle.url.startswith('http://127.0.0.1:') and handle.url.endswith('/inference')
    assert http('GET', handle.url + '/health') == (200, {'status': 'ok', 'action': 'inference', 'models': []})

    result = handle.predict({'image_path': str(BLOBS_IMAGE)})
    assert result['model'] == 'red' and result['size'] == [64, 48] and boxes(result) == RED
    status, raw = http('POST', handle.url, json.dumps({'image_path': str(BLOBS_IMAGE), 'max_detections': 1}).encode())
    assert status == 200 and boxes(raw) == RED[:1]  # a plain HTTP client gets the same answer
    assert handle.status()['status'] == 'RUNNING' and handle.status()['models'] == ['default']

    handle.delete()
    assert handle.status()['status'] == 'DELETED'
    with pytest.raises(ServeUnavailableError):
        handle.predict({'image_path': str(BLOBS_IMAGE)})
    with pytest.raises(OSError):
        http('GET', handle.url + '/health')


def test_two_models_in_one_deployment_with_lru_eviction(
    http: Any, served: Any, backend: LocalBackend, tmp_path: Path
) -> None:
    red = backend.create_model(INFERENCE_PLUGIN / 'models' / 'red.json', name='red')
    blue = backend.create_model(INFERENCE_PLUGIN / 'models' / 'blue.json', name='blue')
    green_file = tmp_path / 'green.json'
    green_file.write_text(json.dumps({'name': 'green', 'label': 'g', 'color': [0, 255, 0], 'tolerance': 10}))
    green = backend.create_model(green_file, name='green')
    ids = {name: str(model['id']) for name, model in (('red', red), ('blue', blue), ('green', green))}
    sink = MemorySink()
    handle = served(INFERENCE_PLUGIN, 'inference', max_models_per_replica=2, sinks=[sink])

    def loads() -> list[str]:
        return [str(e.params['model_id']) for e in sink.events if e.code == 'MODEL_LOADED']

    image = {'image_path': str(BLOBS_IMAGE)}
    assert boxes(handle.predict(image, model_id=ids['red'])) == RED
    assert boxes(handle.predict(image, model_id=ids['blue'])) == BLUE
    status, raw = http('POST', handle.url, json.dumps(image).encode(), {'serve_multiplexed_model_id': ids['red']})
    assert status == 200 and boxes(raw) == RED  # Ray Serve's own header selects the model
    assert loads() == [ids['red'], ids['blue']]  # loaded once each, kept across requests
    assert handle.status()['models'] == [ids['blue'], ids['red']]  # least recently used first

    assert handle.predict(image, model_id=ids['green'])['detections'] == []
    assert handle.status()['models'] == [ids['red'], ids['green']]  # blue was evicted
    assert boxes(handle.predict(image, model_id=ids['blue'])) == BLUE
    assert loads() == [ids['red'], ids['blue'], ids['green'], ids['blue']]  # so it loads again


def test_bad_params_are_422_with_every_field(http: Any, served: Any) -> None:
    handle = served(INFERENCE_PLUGIN, 'inference')
    with pytest.raises(ServeRequestError) as caught:
        handle.predict({'max_detections': 0, 'model': ['not', 'a', 'string']})
    error = caught.value
    assert error.status == 422 and error.error_type == 'ParamsValidationError'
    assert sorted(tuple(e['loc']) for e in error.errors) == [('image_path',), ('max_detections',), ('model',)]
    assert all(set(e) == {'loc', 'msg', 'type'} for e in error.errors)

    status, raw = http('POST', handle.url, b'{"max_detections": "lots"}')
    assert status == 422 and raw['error']['type'] == 'ParamsValidationError'
    assert {tuple(e['loc']) for e in raw['error']['errors']} == {('image_path',), ('max_detections',)}
    assert http('POST', handle.url, b'[1, 2]')[0] == 400
    assert http('POST', handle.url, b'{not json')[0] == 400


def test_action_error_is_a_typed_500_without_secrets(http: Any, served: Any) -> None:
    token = 'tok-4f9a-very-secret-0042'
    handle = served(FIXTURE_PLUGIN, 'fail', env={'API_TOKEN': token})
    with pytest.raises(ServeActionError) as caught:
        handle.predict({'user': 'kim'})
    assert caught.value.status == 500 and caught.value.error_type == 'RuntimeError'
    assert token not in str(caught.value) and 'user kim' in str(caught.value)
    status, raw = http('POST', handle.url, b'{"user": "kim"}')
    assert status == 500 and raw == {
        'error': {'type': 'RuntimeError', 'message': 'backend refused token *** for user kim'}
    }
    assert 'Traceback' not in json.dumps(raw)


def test_transient_action_failure_is_503(http: Any, served: Any, count_file: Path) -> None:
    handle = served(FIXTURE_PLUGIN, 'flaky', env={'COUNT_FILE': str(count_file)})
    with pytest.raises(ServeUnavailableError) as caught:
        handle.predict({'image_path': 'a.png'})
    assert caught.value.status == 503 and caught.value.error_type == 'ConnectionError'
    assert handle.predict({'image_path': 'a.png'})['detections'][0]['label'] == 'flaky'


def test_unknown_route_and_unknown_mode(http: Any, served: Any) -> None:
    handle = served(INFERENCE_PLUGIN, 'inference')
    assert http('GET', handle.url.rsplit('/', 1)[0] + '/other/health')[0] == 404
    with pytest.raises(PluginError, match='use one of: local, task, job, serve'):
        run_plugin(INFERENCE_PLUGIN, 'inference', {}, mode='sevre')


def test_default_params_and_a_function_action(http: Any, count_file: Path) -> None:
    """``params`` of run_plugin are every request's defaults; function actions serve too."""
    handle = run_plugin(
        FIXTURE_PLUGIN, 'count', {'image_path': 'default.png'}, mode='serve_local', env={'COUNT_FILE': str(count_file)}
    )
    try:
        handle.predict({})
        handle.predict({'image_path': 'given.png'})
    finally:
        handle.delete()
    assert count_file.read_text().split() == ['default.png', 'given.png']


def test_concurrent_first_requests_load_a_model_once(http: Any, served: Any, backend: LocalBackend) -> None:
    from concurrent.futures import ThreadPoolExecutor

    blue = str(backend.create_model(INFERENCE_PLUGIN / 'models' / 'blue.json', name='blue')['id'])
    sink = MemorySink()
    handle = served(INFERENCE_PLUGIN, 'inference', sinks=[sink])
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: handle.predict({'image_path': str(BLOBS_IMAGE)}, model_id=blue), range(16)))
    assert all(boxes(r) == BLUE for r in results)
    assert [e.params['model_id'] for e in sink.events if e.code == 'MODEL_LOADED'] == [blue]
