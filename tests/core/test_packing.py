"""Packing a folder never ships secrets or outside files (synapse_sdk.core._packing, create_archive*).

The plugin folder (tests/conftest.py ``secret_plugin``) holds every secret file the security
review found shipped, a symlink to a file and one to a folder outside it, and a nested
``.gitignore``. Every archive is opened and every member read back.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.core._packing import DEFAULT_EXCLUDES, SecretFileError, plan_folder, secret_content
from synapse_sdk.utils.file import ArchiveFilter, create_archive, create_archive_from_git


@pytest.fixture
def facts(secret_plugin_facts: dict[str, Any]) -> dict[str, Any]:
    return secret_plugin_facts


def _members(archive: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(archive) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _assert_nothing_secret(members: dict[str, bytes]) -> None:
    """Every secret text in the fixture starts with ``leak-``, the outside file's too."""
    blob = b'\n'.join(members.values())
    assert b'leak-' not in blob, [n for n, data in members.items() if b'leak-' in data]
    assert not [n for n in members if n.startswith(('.env', '.ssh', '.aws', 'id_', '.docker', '.kube', '.synapse/'))]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ['git', '-C', str(repo), '-c', 'user.email=a@b', '-c', 'user.name=a', *args], check=True, capture_output=True
    )


def test_create_archive_ships_no_secret_file_and_follows_no_link_out(
    secret_plugin: Path, tmp_path: Path, facts: dict[str, Any]
) -> None:
    members = _members(create_archive(secret_plugin, tmp_path / 'out.zip'))
    assert sorted(members) == facts['shipped']
    _assert_nothing_secret(members)
    assert members['secret_plugin/alias.py'] == b''  # a link inside the folder ships its target's content


def test_create_archive_from_git_ships_no_untracked_or_tracked_secret(
    secret_plugin: Path, tmp_path: Path, facts: dict[str, Any]
) -> None:
    _git(secret_plugin, 'init', '-q')
    _git(secret_plugin, 'add', 'config.yaml', 'secret_plugin/actions.py')
    _git(secret_plugin, 'add', '-f', '.env.production', 'tls.key')  # committed by mistake: still never shipped
    _git(secret_plugin, 'commit', '-qm', 'x')
    members = _members(create_archive_from_git(secret_plugin, tmp_path / 'git.zip'))
    assert sorted(members) == facts['shipped']
    _assert_nothing_secret(members)
    tracked_only = _members(create_archive_from_git(secret_plugin, tmp_path / 'tracked.zip', include_untracked=False))
    assert sorted(tracked_only) == ['config.yaml', 'secret_plugin/actions.py']


def test_the_plan_says_why_each_path_is_left_out(secret_plugin: Path, facts: dict[str, Any]) -> None:
    plan = plan_folder(secret_plugin)
    reasons = {s.path: s.reason for s in plan.excluded}
    assert reasons['.env.local'] == 'default exclude: .env.*'
    assert reasons['.ssh/'] == 'default exclude: .ssh/'
    assert reasons['nested/pkg/.env.staging'] == 'default exclude: .env.*'
    assert reasons['data/scratch.tmp'] == 'data/.gitignore: *.tmp'
    assert reasons['leak.txt'] == 'symlink to outside the folder (not followed)'
    assert reasons['leak_dir'] == 'symlink to outside the folder (not followed)'
    assert plan.files == facts['shipped'] and plan.refused == []
    assert {'/.env.local', '/.ssh/', '/leak.txt', '/leak_dir', '/data/scratch.tmp'} <= set(plan.ray_excludes())


def test_default_excludes_cover_the_secret_files_of_the_issue() -> None:
    for pattern in ('.env', '.env.*', 'id_rsa*', 'id_ed25519*', '.ssh/', '*.pem', '*.key', '.aws/', '.netrc'):
        assert pattern in DEFAULT_EXCLUDES
    for pattern in ('.git-credentials', '.pypirc', '.npmrc', 'credentials.json', '.synapse/', '.kube/', '.docker/'):
        assert pattern in DEFAULT_EXCLUDES


def test_synapseignore_at_any_depth_and_gitignore_negation(tmp_path: Path) -> None:
    root = tmp_path / 'p'
    for relative in ('a.py', 'sub/b.py', 'sub/c.bin', 'sub/deep/d.bin', 'sub/deep/keep.bin', 'logs/x.txt'):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(relative)
    (root / '.gitignore').write_text('logs/\n')
    (root / 'sub' / '.synapseignore').write_text('*.bin\n')
    (root / 'sub' / 'deep' / '.gitignore').write_text('!keep.bin\n')  # a deeper file cannot undo .synapseignore
    (root / 'sub' / 'deep' / '.synapseignore').write_text('!keep.bin\n')  # ...but a deeper .synapseignore can
    plan = plan_folder(root)
    assert plan.files == ['.gitignore', 'a.py', 'sub/.synapseignore', 'sub/b.py', 'sub/deep/.gitignore',
                          'sub/deep/.synapseignore', 'sub/deep/keep.bin']  # fmt: skip
    assert {s.path: s.reason for s in plan.excluded}['sub/c.bin'] == 'sub/.synapseignore: *.bin'


PRIVATE_KEY = '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n'
SERVICE_ACCOUNT = {
    'type': 'service_account',
    'project_id': 'p',
    'private_key_id': 'abc',
    'private_key': PRIVATE_KEY,
    'client_email': 'x@p.iam.gserviceaccount.com',
}


@pytest.mark.parametrize(
    ('name', 'content', 'why'),
    [
        ('models/my-project-4f2a1b.json', json.dumps(SERVICE_ACCOUNT), 'private key'),
        ('docs/deploy_notes.txt', f'use this:\n{PRIVATE_KEY}', 'private key'),
        ('conf/gcp.json', json.dumps({**SERVICE_ACCOUNT, 'private_key': 'MIIE...'}), 'service-account'),
        ('conf/profile.ini', '[prod]\naws_access_key_id = AKIA0\naws_secret_access_key = abc\n', 'AWS credentials'),
        ('conf/registry.json', '{"auths": {"ghcr.io": {"auth": "dXNlcjpwdw=="}}}', 'Docker'),
    ],
)
def test_content_check_refuses_secret_looking_files_under_any_name(
    tmp_path: Path, name: str, content: str, why: str
) -> None:
    root = tmp_path / 'p'
    (root / name).parent.mkdir(parents=True)
    (root / name).write_text(content)
    (root / 'main.py').write_text('x = 1\n')
    assert why in (secret_content(root / name) or '')
    with pytest.raises(SecretFileError, match=f'refusing to pack .*{name}') as info:
        create_archive(root, tmp_path / 'out.zip')
    assert f'!{name}' in str(info.value)  # the message says how to ship it on purpose
    assert not (tmp_path / 'out.zip').exists()
    # Allowed on purpose: by exact path in .synapseignore, or by the allow option.
    (root / '.synapseignore').write_text(f'!{name}\n')
    assert name in _members(create_archive(root, tmp_path / 'allowed.zip'))
    (root / '.synapseignore').unlink()
    allowed = create_archive(root, tmp_path / 'opt.zip', filter=ArchiveFilter.from_patterns(allow=[name]))
    assert name in _members(allowed)


def test_a_wildcard_negation_reincludes_by_name_but_keeps_the_content_check(tmp_path: Path) -> None:
    root = tmp_path / 'p'
    (root / 'certs').mkdir(parents=True)
    (root / 'certs' / 'public-ca.pem').write_text('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
    (root / 'certs' / 'server.pem').write_text(PRIVATE_KEY)
    (root / '.synapseignore').write_text('!certs/*.pem\n')
    plan = plan_folder(root)
    assert 'certs/public-ca.pem' in plan.files
    assert [s.path for s in plan.refused] == ['certs/server.pem']
    (root / '.synapseignore').write_text('!certs/*.pem\n!certs/server.pem\n')
    assert 'certs/server.pem' in plan_folder(root).files


def test_secret_files_stay_out_even_without_the_junk_defaults(
    secret_plugin: Path, tmp_path: Path, facts: dict[str, Any]
) -> None:
    (secret_plugin / '__pycache__').mkdir()
    (secret_plugin / '__pycache__' / 'm.pyc').write_bytes(b'')
    members = _members(create_archive(secret_plugin, tmp_path / 'o.zip', filter=ArchiveFilter(use_defaults=False)))
    assert '__pycache__/m.pyc' in members
    _assert_nothing_secret(members)
