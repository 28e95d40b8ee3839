"""A format from another package: installed through its entry points in a throw-away venv, it passes
the shipped contract suite and converts from the CLI, with no edit to the SDK, its tests or its docs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ['synapse-sdk-core', 'synapse-sdk-converters', 'synapse-sdk-plugins', 'synapse-sdk-cli']

MODULE = '''
"""``boxes.jsonl`` (one ``{"image", "width", "height", "boxes": [[label, x, y, w, h]]}`` a line) + images."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterator

from synapse_sdk.utils.converters import (
    Box,
    DatasetFormatError,
    DatasetLayoutError,
    Item,
    Losses,
    Reader,
    Writer,
    place_image,
    safe_join,
)


class BoxesReader(Reader):
    def count(self) -> None:
        return None

    def items(self) -> Iterator[Item]:
        path = self.root / "boxes.jsonl"
        if not path.is_file():
            raise DatasetLayoutError("boxes.jsonl is missing", file=path)
        with open(path, "rb") as handle:
            for line, raw in enumerate(handle, 1):
                try:
                    yield self._item(raw, path, line)
                except DatasetFormatError as error:
                    self.problem(error, item=f"line {line}")

    def _item(self, raw: bytes, path: Path, line: int) -> Item:
        try:
            row = json.loads(raw)
            name = row["image"]
            boxes = [Box(str(l), float(x), float(y), float(w), float(h)) for l, x, y, w, h in row["boxes"]]
            width, height = int(row["width"]), int(row["height"])
        except (ValueError, KeyError, TypeError, OverflowError) as error:
            raise DatasetFormatError(f"bad row ({error})", file=path, line=line) from None
        if not isinstance(name, str) or not all(math.isfinite(v) for b in boxes for v in (b.x, b.y, b.w, b.h)):
            raise DatasetFormatError("bad row", file=path, line=line)
        image = safe_join(self.root, name, file=path)
        return Item(image.stem, "", image if image.is_file() else None, width or None, height or None, boxes)


class BoxesWriter(Writer):
    holds = frozenset({"bbox"})

    def __init__(self, out: Path, **kwargs: Any) -> None:
        super().__init__(out, **kwargs)
        self.losses = Losses("boxes.jsonl")
        self.handle = open(out / "boxes.jsonl", "w", encoding="utf-8")

    def write(self, item: Item) -> None:
        if not self.ensure_size(item):
            return
        boxes = []
        for ann in item.annotations:
            if isinstance(ann, Box):
                self.losses.attrs(ann)
                boxes.append([ann.label, ann.x, ann.y, ann.w, ann.h])
                self.classes.id(ann.label)
                self.counted(item.split, "bbox")
            else:
                self.losses.cannot_hold(ann)
        name = item.name + (item.image.suffix if item.image else ".jpg")
        row = {"image": name, "width": item.width, "height": item.height, "boxes": boxes}
        self.handle.write(json.dumps(row) + "\\n")
        if item.image is not None and self.images != "none":
            place_image(item.image, self.out / name, self.images)
        self.summary.images["all"] = self.summary.images.get("all", 0) + 1
        self.losses.flush(self.report, item)

    def close(self) -> None:
        self.handle.close()
'''

PYPROJECT = """
[project]
name = "myfmt"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["synapse-sdk-converters"]

[project.entry-points."synapse_sdk.dataset_readers"]
myfmt = "myfmt:BoxesReader"

[project.entry-points."synapse_sdk.dataset_writers"]
myfmt = "myfmt:BoxesWriter"

[build-system]
requires = ["uv_build>=0.8,<0.14"]
build-backend = "uv_build"

[tool.uv.build-backend]
module-root = ""
"""

CONTRACT = """
from synapse_sdk.utils.converters.testing import FormatContract


class TestMyFormat(FormatContract):
    format = "myfmt"
    fuzz_examples = 25
"""


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, f'{args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}'
    return result


@pytest.fixture(scope='module')
def venv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    uv = shutil.which('uv')
    if uv is None:
        pytest.fail('uv is not on PATH: the peer tools run in throw-away uv environments')
    base = tmp_path_factory.mktemp('out_of_tree')
    package = base / 'myfmt'
    (package / 'myfmt').mkdir(parents=True)
    (package / 'myfmt' / '__init__.py').write_text(textwrap.dedent(MODULE), encoding='utf-8')
    (package / 'pyproject.toml').write_text(textwrap.dedent(PYPROJECT), encoding='utf-8')
    (package / 'tests').mkdir()
    (package / 'tests' / 'test_myfmt.py').write_text(textwrap.dedent(CONTRACT), encoding='utf-8')
    env = {k: v for k, v in os.environ.items() if not k.startswith(('VIRTUAL_ENV', 'UV_PROJECT', 'PYTHONPATH'))}
    env['UV_PYTHON_DOWNLOADS'] = 'never'
    python = base / 'venv' / 'bin' / 'python'
    _run([uv, 'venv', '-q', '--python', sys.executable, str(base / 'venv')], base, env)
    sources = [str(ROOT / 'packages' / name) for name in PACKAGES]
    _run(
        [uv, 'pip', 'install', '-q', '--python', str(python), *sources, str(package), 'pytest', 'hypothesis'], base, env
    )
    return python, package, env


def test_an_installed_format_passes_the_contract_suite(venv: tuple[Path, Path, dict[str, str]]) -> None:
    python, package, env = venv
    result = _run([str(python), '-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests'], package, env)
    assert '5 passed' in result.stdout, result.stdout


def test_an_installed_format_converts_from_the_cli(venv: tuple[Path, Path, dict[str, str]], dm_flat: Path) -> None:
    python, package, env = venv
    synapse = str(python.parent / 'synapse')
    work = package.parent
    _run([synapse, 'dataset', 'convert', '-q', '--to', 'myfmt', '--from', 'dm_v2', str(dm_flat), 'mine'], work, env)
    assert (work / 'mine' / 'boxes.jsonl').read_text().count('\n') == 2
    out = _run([synapse, 'dataset', 'convert', '-q', '--from', 'myfmt', '--to', 'cvat', 'mine', 'cvat'], work, env)
    assert 'myfmt -> cvat' in out.stderr + out.stdout
    assert (work / 'cvat' / 'annotations.xml').read_text().count('<box ') == 3
    listed = _run([synapse, 'dataset', 'formats'], work, env)
    assert 'myfmt' in listed.stdout
    shown = _run(
        [python.as_posix(), '-c', 'from synapse_sdk.utils.converters import support_matrix as m; print(m())'],
        work,
        env,
    )
    assert '| `myfmt` | yes | yes | yes |' in shown.stdout
