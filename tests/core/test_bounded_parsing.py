"""Small hostile inputs (alias bombs, deep nesting, odd encodings, folders) end in one typed error.

The dangerous cases run in a subprocess whose address space is capped at 1 GiB: on the old code
they ended in MemoryError, RecursionError or a kill; now each is a one-line error and a quick exit.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synapse_sdk.core._parsing import NestingGuard, check_json_depth, load_json, load_yaml
from synapse_sdk.core.errors import ConfigError, CredentialsError, ParseError

SYNAPSE = Path(sys.executable).parent / 'synapse'
CAP = 1 << 30  # 1 GiB of address space for every capped subprocess
DEEP_JSON = '[' * 100_000 + ']' * 100_000
DEEP_YAML = 'a: ' + '[' * 5_000 + ']' * 5_000 + '\n'


def alias_bomb() -> str:
    """The classic "billion laughs", under 600 bytes, in the ``env:`` of a plugin config."""
    lines = ['  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = 'a'
    for name in 'bcdefghi':
        lines.append(f'  {name}: &{name} [' + ','.join([f'*{previous}'] * 9) + ']')
        previous = name
    return 'env:\n' + '\n'.join(lines) + '\n'


PLUGIN_HEAD = 'name: Bomb\ncode: bomb\nversion: 1.0.0\ncategory: neural_net\nactions:\n  train:\n    entrypoint: p.t\n'


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))


def capped(
    args: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith('SYNAPSE_')}
    clean.update({'NO_COLOR': '1', 'COLUMNS': '200', **(env or {})})
    return subprocess.run(args, capture_output=True, text=True, env=clean, cwd=cwd, timeout=60, preexec_fn=_cap)


def capped_python(code: str, **kwargs: object) -> str:
    """Run ``code`` (which must raise) under the cap; returns ``"ErrorType: message"``."""
    wrapper = textwrap.dedent(
        """
        import sys
        try:
        {body}
        except Exception as error:
            print(f'{{type(error).__name__}}: {{error}}')
            sys.exit(0)
        print('no error')
        sys.exit(3)
        """
    ).format(body=textwrap.indent(textwrap.dedent(code), '    '))
    done = capped([sys.executable, '-c', wrapper], **kwargs)  # type: ignore[arg-type]
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr[-2000:])
    assert 'Traceback' not in done.stderr
    return done.stdout.strip()


def assert_one_line_error(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr[-2000:])
    assert 'Traceback' not in done.stderr and 'MemoryError' not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def plugin(folder: Path, extra: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / 'config.yaml').write_text(PLUGIN_HEAD + extra)
    return folder


# --------------------------------------------------------------- API, under the memory cap
def test_alias_bomb_in_env_is_refused_under_a_memory_cap(tmp_path: Path) -> None:
    folder = plugin(tmp_path / 'p', alias_bomb())
    assert len((folder / 'config.yaml').read_bytes()) < 600
    out = capped_python(
        f'from synapse_sdk.plugins._config import load_plugin_config\nload_plugin_config({str(folder)!r})'
    )
    assert out.startswith('PluginConfigParseError: ') and 'config.yaml:' in out and 'aliases expand' in out


def test_ray_settings_read_config_yaml_within_the_bounds(tmp_path: Path) -> None:
    folder = plugin(tmp_path / 'p', alias_bomb())
    out = capped_python(
        f'from synapse_sdk.ray._runtime_env import read_plugin_settings\nread_plugin_settings({str(folder)!r})'
    )
    assert out.startswith('PluginConfigParseError: ') and 'aliases expand' in out
    (folder / 'config.yaml').write_text(PLUGIN_HEAD + DEEP_YAML)
    out = capped_python(
        f'from synapse_sdk.ray._runtime_env import read_plugin_settings\nread_plugin_settings({str(folder)!r})'
    )
    assert out.startswith('PluginConfigParseError: ') and 'nested deeper than 100' in out


def test_deep_yaml_config_is_a_typed_error(tmp_path: Path) -> None:
    folder = plugin(tmp_path / 'p', DEEP_YAML)
    out = capped_python(
        f'from synapse_sdk.plugins._config import load_plugin_config\nload_plugin_config({str(folder)!r})'
    )
    assert out.startswith('PluginConfigParseError: ') and 'config.yaml:8: YAML nested deeper than 100' in out


def test_deep_json_credentials_file_is_a_typed_error(tmp_path: Path) -> None:
    (tmp_path / 'config.json').write_text(DEEP_JSON)
    out = capped_python(
        'from synapse_sdk.core._credentials import load_credentials\nload_credentials()',
        env={'SYNAPSE_HOME': str(tmp_path)},
    )
    assert out.startswith('CredentialsError: ') and 'config.json: arrays/objects nested deeper than 100' in out


def test_nested_array_coco_is_refused_under_a_memory_cap(tmp_path: Path) -> None:
    """200 KB of nested arrays once grew a process to 24 GB (ijson builds a prefix per level)."""
    for key in ('images', 'annotations'):
        root = tmp_path / key
        root.mkdir()
        other = 'annotations' if key == 'images' else 'images'
        nested = '[' * 100_000 + ']' * 100_000
        (root / 'annotations.json').write_text(f'{{"{other}": [], "{key}": {nested}, "categories": []}}')
        out = capped_python(
            'from synapse_sdk.utils.converters import get_converter\n'
            f'get_converter("coco", "yolo", {str(root)!r}).save_to_folder({str(tmp_path / (key + "-out"))!r})'
        )
        assert out.startswith('DatasetFormatError: ') and 'nested deeper than 100 levels' in out, out
        assert not (tmp_path / (key + '-out')).exists()


# --------------------------------------------------------------- CLI, under the memory cap
def test_publish_refuses_the_alias_bomb_and_writes_no_row(tmp_path: Path) -> None:
    folder = plugin(tmp_path / 'p', alias_bomb())
    (folder / 'p.py').write_text('def t(params):\n    return 1\n')
    home = tmp_path / 'home'
    done = capped(
        [str(SYNAPSE), 'plugin', 'publish', '--path', str(folder), '--no-git'],
        env={'SYNAPSE_HOME': str(home), 'SYNAPSE_HOST': '', 'SYNAPSE_ACCESS_TOKEN': ''},
    )
    assert_one_line_error(done, 'config.yaml:', 'aliases expand')
    stored = sum(f.stat().st_size for f in home.rglob('*') if f.is_file()) if home.exists() else 0
    assert stored < 1 << 20


def test_run_with_deep_yaml_config_is_one_line(tmp_path: Path) -> None:
    folder = plugin(tmp_path / 'p', DEEP_YAML)
    done = capped([str(SYNAPSE), 'plugin', 'run', 'train', '--path', str(folder)], env={'SYNAPSE_HOME': str(tmp_path)})
    assert_one_line_error(done, 'config.yaml:8: YAML nested deeper than 100 levels')


def test_params_file_deep_json_and_non_utf8_are_one_line(tmp_path: Path) -> None:
    folder = plugin(tmp_path / 'p', '')
    deep = tmp_path / 'deep.json'
    deep.write_text(DEEP_JSON)
    done = capped(
        [str(SYNAPSE), 'plugin', 'run', 'train', '--path', str(folder), '--params', f'@{deep}'],
        env={'SYNAPSE_HOME': str(tmp_path)},
    )
    assert_one_line_error(done, 'deep.json: arrays/objects nested deeper than 100 levels')
    inline = capped(
        [str(SYNAPSE), 'plugin', 'run', 'train', '--path', str(folder), '--params', '[' * 20_000],
        env={'SYNAPSE_HOME': str(tmp_path)},
    )
    assert_one_line_error(inline, '--params: arrays/objects nested deeper than 100 levels')
    latin = tmp_path / 'latin.json'
    latin.write_bytes(b'{\n "name": "caf\xe9"\n}')
    done = capped(
        [str(SYNAPSE), 'plugin', 'run', 'train', '--path', str(folder), '--params', f'@{latin}'],
        env={'SYNAPSE_HOME': str(tmp_path)},
    )
    assert_one_line_error(done, 'latin.json:2: not UTF-8 text (byte 0xe9)')
    folder_param = capped(
        [str(SYNAPSE), 'plugin', 'run', 'train', '--path', str(folder), '--params', f'@{tmp_path}'],
        env={'SYNAPSE_HOME': str(tmp_path)},
    )
    assert_one_line_error(folder_param, 'is a folder, not a file')


def test_dataset_register_with_a_deep_dm_file_is_one_line(tmp_path: Path) -> None:
    root = tmp_path / 'dm'
    (root / 'json').mkdir(parents=True)
    (root / 'original_files').mkdir()
    (root / 'original_files' / 'a.png').write_bytes(b'\x89PNG')
    (root / 'json' / 'a.json').write_text(DEEP_JSON)
    done = capped(
        [str(SYNAPSE), 'dataset', 'register', 'deep', str(root)],
        env={'SYNAPSE_HOME': str(tmp_path / 'home'), 'SYNAPSE_HOST': '', 'SYNAPSE_ACCESS_TOKEN': ''},
    )
    assert_one_line_error(done, 'a.json: arrays/objects nested deeper than 100 levels')


@pytest.mark.parametrize(
    ('content', 'needle'),
    [
        (DEEP_JSON.encode(), 'config.json: arrays/objects nested deeper than 100 levels'),
        (b'{"host": "caf\xe9"}', 'config.json:1: not UTF-8 text'),
        (b'{"host": 5, "access_token": "t"}', "'host' must be a string, not int"),
        (b'{"host": "https://h", "access_token": ["t"]}', "'access_token' must be a string, not list"),
        (None, 'config.json is a folder, not a file'),
    ],
    ids=['deep', 'latin-1', 'number-host', 'list-token', 'folder'],
)
def test_broken_credentials_file_is_one_line(tmp_path: Path, content: bytes | None, needle: str) -> None:
    if content is None:
        (tmp_path / 'config.json').mkdir()
    else:
        (tmp_path / 'config.json').write_bytes(content)
    done = capped([str(SYNAPSE), 'config', 'show'], env={'SYNAPSE_HOME': str(tmp_path)})
    assert_one_line_error(done, needle)


def test_non_utf8_config_yaml_names_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / 'p'
    folder.mkdir()
    (folder / 'config.yaml').write_bytes(PLUGIN_HEAD.encode() + b'description: caf\xe9\n')
    done = capped([str(SYNAPSE), 'plugin', 'run', 'train', '--path', str(folder)], env={'SYNAPSE_HOME': str(tmp_path)})
    assert_one_line_error(done, 'config.yaml:8: not UTF-8 text (byte 0xe9)')


# --------------------------------------------------------------- the parser itself
def test_ordinary_documents_still_parse() -> None:
    text = 'base: &base {image: x, gpus: 1}\ntrain: {<<: *base, gpus: 2}\nlist: ["[[", "\\"]]"]\n'
    assert load_yaml(text) == {
        'base': {'image': 'x', 'gpus': 1},
        'train': {'image': 'x', 'gpus': 2},
        'list': ['[[', '"]]'],
    }
    assert load_json('{"a": "[[[\\\\", "b": [[[1]]], "c": "\\"{"}') == {'a': '[[[\\', 'b': [[[1]]], 'c': '"{'}
    assert load_json(b'\xef\xbb\xbf{"bom": true}') == {'bom': True}


def test_limits_can_be_raised_and_lowered(monkeypatch: pytest.MonkeyPatch) -> None:
    nested = '[' * 150 + ']' * 150
    with pytest.raises(ParseError, match='nested deeper than 100'):
        load_json(nested)
    monkeypatch.setenv('SYNAPSE_PARSE_MAX_DEPTH', '200')
    assert load_json(nested) == load_json(nested, max_depth=151)
    with pytest.raises(ParseError, match='larger than the 10 bytes limit; set SYNAPSE_PARSE_MAX_BYTES'):
        load_json('{"a": "0123456789"}', max_bytes=10)
    with pytest.raises(ParseError, match='expand by'):
        load_yaml('a: &a [1, 2, 3]\nb: [*a, *a, *a, *a]\n', max_alias_expansion=10)


def test_recursive_alias_and_syntax_errors_are_parse_errors() -> None:
    with pytest.raises(ParseError, match='recursive alias'):
        load_yaml('a: &a [1, *a]\n')
    with pytest.raises(ParseError, match=r'<input>:2:\d+: invalid YAML'):
        load_yaml('a: 1\nb: [1, }\n')
    with pytest.raises(ParseError, match=r'not valid JSON \(line 1, column 12\)'):
        load_json('{"a": [1, 2}')
    assert issubclass(ParseError, ConfigError) and issubclass(CredentialsError, ConfigError)


@pytest.mark.parametrize('block', [1, 2, 3, 7, 64])
def test_nesting_guard_fed_in_blocks_agrees_with_the_real_depth(block: int) -> None:
    """Strings with brackets, escaped quotes and backslashes cut anywhere between blocks."""
    deep_ok = json.dumps({'a': [[['x\\"]]]', {'b': '\\\\'}]]], 'c': '{{{{', 'd': '\\"[[[['}).encode()
    too_deep = json.dumps({'s': ']]]]\\"', 'x': [[[[[1]]]]]}).encode()
    for data, limit, fails in ((deep_ok, 5, False), (deep_ok, 4, True), (too_deep, 5, True), (too_deep, 6, False)):
        guard = NestingGuard('doc', limit)
        try:
            for start in range(0, len(data), block):
                guard.feed(data[start : start + block])
            guard.close()
        except ParseError:
            assert fails, (data, limit)
        else:
            assert not fails, (data, limit)
    check_json_depth(deep_ok, 'doc', 5)


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


_tricky_text = st.text(alphabet='[]{}"\\ax', max_size=6)
_documents = st.recursive(
    st.one_of(st.integers(), _tricky_text),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_tricky_text, inner, max_size=3)),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(document=_documents, cuts=st.lists(st.integers(0, 400), max_size=6))
def test_nesting_guard_matches_the_true_depth_wherever_blocks_are_cut(document: object, cuts: list[int]) -> None:
    data = json.dumps(document).encode()
    depth = _depth(document)
    bounds = [0, *sorted(min(c, len(data)) for c in cuts), len(data)]
    for limit, fails in ((max(depth, 1), False), (depth - 1, True)):
        if limit < 1:
            continue
        guard = NestingGuard('doc', limit)
        try:
            for start, end in zip(bounds, bounds[1:], strict=False):
                guard.feed(data[start:end])
            guard.close()
        except ParseError:
            assert fails, (data, limit)
        else:
            assert not fails, (data, limit)


def test_a_small_file_costs_memory_in_proportion_to_its_size_not_to_the_limit(tmp_path: Path) -> None:
    import tracemalloc

    from synapse_sdk.core._parsing import load_yaml

    small = tmp_path / 'config.yaml'
    small.write_text('name: P\ncode: p\n')
    tracemalloc.start()
    try:
        assert load_yaml(small) == {'name': 'P', 'code': 'p'}
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20  # the 64 MiB size limit is a bound, not an allocation
