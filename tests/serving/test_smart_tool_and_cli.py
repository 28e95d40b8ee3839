"""The smart tool on a served model (or the detector run here), ``synapse plugin serve`` and the mode registry."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.clients._local import LocalBackend
from synapse_sdk.core.errors import ConfigError
from synapse_sdk.plugins.errors import ExecutionError
from synapse_sdk.plugins.executors._registry import EXECUTORS, available_modes
from synapse_sdk.plugins.runner import run_plugin

REPO = Path(__file__).resolve().parents[2]
INFERENCE_PLUGIN = REPO / 'examples' / 'inference_plugin'
BLOBS_IMAGE = REPO / 'examples' / 'data' / 'blobs' / 'red_blue.png'
SYNAPSE = Path(sys.executable).parent / 'synapse'


def dm_boxes(annotation: dict[str, Any]) -> list[tuple[str, list[float]]]:
    return [(b['classification'], b['data']) for b in annotation['images'][0]['bounding_box']]


def test_smart_tool_calls_the_served_model_and_returns_dm_v2(backend: LocalBackend) -> None:
    blue = backend.create_model(INFERENCE_PLUGIN / 'models' / 'blue.json', name='blue')
    handle = run_plugin(INFERENCE_PLUGIN, 'inference', {}, mode='serve', client=backend)
    try:
        params = {'image_path': str(BLOBS_IMAGE), 'inference_url': handle.url}
        red = run_plugin(INFERENCE_PLUGIN, 'auto_label', params, client=backend, sinks=[])
        assert red['classification'] == {'bounding_box': ['red_blob']}
        assert dm_boxes(red) == [('red_blob', [4, 5, 16, 10]), ('red_blob', [40, 30, 6, 10])]
        assert all(
            len(b['id']) == 10 and b['attrs'] == [{'name': 'score', 'value': 1.0}]
            for b in red['images'][0]['bounding_box']
        )
        by_model = run_plugin(INFERENCE_PLUGIN, 'auto_label', {**params, 'model': blue['id']}, client=backend, sinks=[])
        assert dm_boxes(by_model) == [('blue_blob', [25, 20, 12, 8])]
        assert handle.status()['models'] == ['default', str(blue['id'])]
    finally:
        handle.delete()


def test_smart_tool_without_a_url_runs_the_inference_action_here(backend: LocalBackend) -> None:
    result = run_plugin(INFERENCE_PLUGIN, 'auto_label', {'image_path': str(BLOBS_IMAGE)}, client=backend, sinks=[])
    assert dm_boxes(result) == [('red_blob', [4, 5, 16, 10]), ('red_blob', [40, 30, 6, 10])]
    with pytest.raises(ExecutionError, match='no image at'):
        run_plugin(INFERENCE_PLUGIN, 'auto_label', {'image_path': '/nope.png'}, client=backend, sinks=[])


def test_cli_serve_in_the_foreground_until_ctrl_c(tmp_path: Path) -> None:
    env = {**os.environ, 'SYNAPSE_HOME': str(tmp_path / 'home'), 'NO_COLOR': '1'}
    env.pop('RAY_ADDRESS', None)
    server = subprocess.Popen(
        [str(SYNAPSE), 'plugin', 'serve', 'inference', '--path', str(INFERENCE_PLUGIN), '--port', '0', '-l', 'ko'],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        assert url.startswith('http://127.0.0.1:') and url.endswith('/inference'), server.stderr
        import urllib.request

        body = json.dumps({'image_path': str(BLOBS_IMAGE)}).encode()
        with urllib.request.urlopen(urllib.request.Request(url, data=body, method='POST'), timeout=30) as answer:
            assert [d['bbox'] for d in json.loads(answer.read())['detections']] == [[4, 5, 16, 10], [40, 30, 6, 10]]
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert 'Ctrl-C' in err and 'Stopped.' in err and 'Traceback' not in err
    assert '모델 default을(를)' in err  # the model-load message, in Korean


def test_cli_serve_user_errors_are_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(SYNAPSE), 'plugin', 'serve', 'nope', '--path', str(INFERENCE_PLUGIN)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and 'Traceback' not in done.stderr and "Action 'nope' not found" in done.stderr


def test_modes_come_from_the_registry() -> None:
    assert available_modes()[:4] == ['local', 'task', 'job', 'serve']
    assert {'serve_local', 'serve_ray'} <= set(EXECUTORS.names())  # serve_ray: synapse-sdk-ray's entry point
    assert EXECUTORS.entry('task').target == 'synapse_sdk.ray._modes:TaskMode'
    with pytest.raises(ConfigError, match=r"unknown serve option 'replcas' \(did you mean 'replicas'\?\)"):
        run_plugin(INFERENCE_PLUGIN, 'inference', {}, mode='serve_local', replcas=2)


@pytest.mark.parametrize('category', ['neural_net', 'smart_tool'])
def test_scaffolded_inference_serves_and_its_smart_tool_runs(tmp_path: Path, category: str) -> None:
    from synapse_sdk.plugins._scaffold import create_plugin

    root = create_plugin(tmp_path / category, name=f'My {category}', category=category)
    config = (root / 'config.yaml').read_text()
    assert 'inference:\n    entrypoint: plugin.inference.InferenceAction\n    method: serve' in config
    handle = run_plugin(root, 'inference', {}, mode='serve')
    try:
        assert handle.predict({'values': [0.1, 0.6, 0.9]}) == {'label': 'positive', 'hits': [1, 2]}
        if category == 'smart_tool':
            result = run_plugin(root, 'auto_label', {'values': [0.9], 'inference_url': handle.url}, sinks=[])
            assert [t['classification'] for t in result['images'][0]['classification']] == ['positive']
    finally:
        handle.delete()
