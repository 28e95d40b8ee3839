"""Serving fixtures: the example inference plugin, a test plugin whose served actions count their calls."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
INFERENCE_PLUGIN = REPO / 'examples' / 'inference_plugin'
FIXTURE_PLUGIN = Path(__file__).resolve().parent / 'fixture_plugin'
BLOBS_IMAGE = REPO / 'examples' / 'data' / 'blobs' / 'red_blue.png'


def http(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """A raw HTTP call (no SDK client): ``(status, parsed JSON body)``."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def count_file(tmp_path: Path) -> Path:
    path = tmp_path / 'calls.txt'
    path.touch()
    return path


@pytest.fixture(name='http')
def http_fixture() -> Any:
    return http


@pytest.fixture
def inference_plugin() -> Path:
    return INFERENCE_PLUGIN


@pytest.fixture
def fixture_plugin() -> Path:
    return FIXTURE_PLUGIN


@pytest.fixture
def blobs_image() -> Path:
    return BLOBS_IMAGE
