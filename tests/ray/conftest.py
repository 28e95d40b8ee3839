"""One real Ray head for the whole session (loopback ports, temp dir, 2 CPUs), stopped by PID.

Every test here is marked ``ray``. A head that does not start is a failure, never a skip.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from synapse_sdk.ray.testing import LocalHead

pytestmark = pytest.mark.ray


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.ray)


@pytest.fixture(scope='session')
def ray_head() -> Iterator[LocalHead]:
    # Set explicitly: a token written by an earlier ray.init() must not switch the head to token auth,
    # and the `uv run` hook must not make workers re-resolve the project.
    os.environ['RAY_AUTH_MODE'] = 'disabled'
    os.environ['RAY_ENABLE_UV_RUN_RUNTIME_ENV'] = '0'
    os.environ.pop('RAY_ADDRESS', None)
    # One fake GPU (Ray only counts it): GPU requests can be tested for acceptance and refusal.
    head = LocalHead(num_cpus=2, num_gpus=1)
    head.start()
    try:
        yield head
    finally:
        try:
            import ray

            if ray.is_initialized():
                ray.shutdown()
        finally:
            head.stop()


@pytest.fixture(scope='session')
def connected(ray_head: LocalHead) -> LocalHead:
    """This test process as a driver of the session head."""
    from synapse_sdk.ray._connection import connect

    connect(ray_head.address, timeout=30)
    return ray_head


@pytest.fixture(scope='session')
def serve_http(connected: LocalHead) -> tuple[str, int]:
    """Ray Serve on the session head, its HTTP proxy on a free loopback port (one per session)."""
    from synapse_sdk.ray._serve.admin import ensure_serve
    from synapse_sdk.ray.testing import free_port

    return ensure_serve('127.0.0.1', free_port())


PLUGIN_CONFIG = """\
name: Echo plugin
code: echo
version: 0.1.0
category: custom
package_manager: pip
actions:
  echo:
    entrypoint: echo_plugin.actions:EchoAction
    method: task
  shout:
    entrypoint: echo_plugin.actions:shout
    method: job
  fail:
    entrypoint: echo_plugin.actions:fail
  sleep:
    entrypoint: echo_plugin.actions:sleep
  greet:
    entrypoint: echo_plugin.actions:greet
  files:
    entrypoint: echo_plugin.actions:files
  gpu:
    entrypoint: echo_plugin.actions:gpu
  ticker:
    entrypoint: echo_plugin.actions:ticker
"""

PLUGIN_CODE = """\
import os
import time

from pydantic import BaseModel

from synapse_sdk.i18n import LogLevel, LogMessageCode
from synapse_sdk.plugins.action import BaseAction
from synapse_sdk.plugins.decorators import action


class EchoParams(BaseModel):
    text: str
    repeat: int = 1


class EchoAction(BaseAction[EchoParams]):
    action_name = 'echo'
    params_model = EchoParams

    def execute(self):
        for i in range(self.params.repeat):
            self.set_progress(i + 1, self.params.repeat, category='echo')
        self.set_metrics({'length': len(self.params.text)}, category='echo')
        return {
            'text': self.params.text,
            'pid': os.getpid(),
            'secret_seen': os.environ.get('API_TOKEN'),
            'env_seen': self.ctx.env.get('API_TOKEN'),
            'public_seen': os.environ.get('PLAIN_SETTING'),
        }


@action(name='shout', params=EchoParams)
def shout(params, ctx):
    ctx.log('shouting', {'n': params.repeat})
    return {'text': params.text.upper()}


class PluginFailure(Exception):
    pass


@action(name='fail')
def fail(params, ctx):
    raise PluginFailure(f'bad input: {params.get("why", "?")}')


@action(name='sleep')
def sleep(params, ctx):
    print('sleeping', flush=True)
    time.sleep(float(params.get('seconds', 60)))
    return 'woke'


@action(name='greet')
def greet(params, ctx):
    ctx.log_message(LogMessageCode.CUSTOM_MESSAGE, message={'en': 'Hello {name}', 'ko': '안녕하세요 {name}'},
                    name=params.get('name', 'x'), level=LogLevel.INFO)
    for i in range(1, 4):
        ctx.set_progress(i, 3, category='greet')
    return 'greeted'


@action(name='files')
def files(params, ctx):
    return sorted(os.listdir(os.getcwd()))


@action(name='ticker')
def ticker(params, ctx):
    ctx.set_progress(1, 2, category='tick')
    time.sleep(float(params.get('pause', 1.5)))
    ctx.set_progress(2, 2, category='tick')
    return 'ticked'


@action(name='gpu')
def gpu(params, ctx):
    import ray

    return [str(i) for i in ray.get_gpu_ids()]
"""


@pytest.fixture(scope='session')
def echo_plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp('echo-plugin')
    (root / 'config.yaml').write_text(PLUGIN_CONFIG, encoding='utf-8')
    package = root / 'echo_plugin'
    package.mkdir()
    (package / '__init__.py').write_text('', encoding='utf-8')
    (package / 'actions.py').write_text(textwrap.dedent(PLUGIN_CODE), encoding='utf-8')
    # Clutter that must not travel to the cluster.
    (root / '.gitignore').write_text('big_data/\n', encoding='utf-8')
    (root / 'big_data').mkdir()
    (root / 'big_data' / 'blob.bin').write_bytes(b'0' * 1024)
    (root / '.synapseignore').write_text('notes.txt\n', encoding='utf-8')
    (root / 'notes.txt').write_text('private notes', encoding='utf-8')
    return root
