"""A config.yaml key one slip away from a real one is an error with a did-you-mean; platform keys are kept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from synapse_sdk.plugins._config import load_plugin_config
from synapse_sdk.plugins.errors import PluginConfigError

SYNAPSE = Path(sys.executable).parent / 'synapse'


def write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / 'config.yaml').write_text(text, encoding='utf-8')
    return folder


def test_misspelled_top_level_key(tmp_path: Path) -> None:
    plugin = write(tmp_path / 'p', 'name: P\ncode: p\npakage_manager: uv\nactions: {}\n')
    with pytest.raises(PluginConfigError) as info:
        load_plugin_config(plugin)
    assert str(info.value).endswith("config.yaml: unknown key 'pakage_manager' (did you mean 'package_manager'?)")


def test_misspelled_action_key_names_the_action(tmp_path: Path) -> None:
    plugin = write(tmp_path / 'p', 'name: P\ncode: p\nactions:\n  train:\n    entrypiont: plugin.train.Train\n')
    with pytest.raises(
        PluginConfigError, match=r"actions\.train: unknown key 'entrypiont' \(did you mean 'entrypoint'\?\)"
    ):
        load_plugin_config(plugin)


def test_platform_keys_and_far_away_extras_are_kept(tmp_path: Path) -> None:
    plugin = write(
        tmp_path / 'p',
        'name: P\ncode: p\nannotation_type: bbox\nsmart_tool: interactive\n'
        'actions:\n  train:\n    entrypoint: plugin.train.Train\n    visible: true\n',
    )
    config, _ = load_plugin_config(plugin)
    assert config.model_extra == {'annotation_type': 'bbox', 'smart_tool': 'interactive'}
    assert config.actions['train'].model_extra == {'visible': True}


def test_cli_shows_the_typo_in_one_line(tmp_path: Path) -> None:
    plugin = write(tmp_path / 'p', 'name: P\ncode: p\nactions:\n  train:\n    entrypiont: plugin.train.Train\n')
    done = subprocess.run([str(SYNAPSE), 'plugin', 'list', '--path', str(plugin)], capture_output=True, text=True)
    assert done.returncode == 1
    assert 'Traceback' not in done.stderr
    assert "did you mean 'entrypoint'?" in done.stderr
