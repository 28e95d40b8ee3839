"""The one definition of a secret (synapse_sdk.core._secrets): by name, by value shape, and redaction."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from synapse_sdk.core._secrets import (
    MASK,
    Secret,
    is_secret_name,
    looks_secret,
    redact_mapping,
    redact_text,
    redact_url,
    split_secret_env,
)

SECRET_NAMES = [
    'DB_PASS',
    'DB_PASSWORD',
    'MYSQL_PWD',
    'SENTRY_DSN',
    'API_KEY',
    'apiKey',
    'APIKEY',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_ACCESS_KEY_ID',
    'GITHUB_TOKEN',
    'HFTOKEN',
    'HF_TOKEN',
    'accessToken',
    'CLIENT_SECRET',
    'GOOGLE_APPLICATION_CREDENTIALS',
    'DOCKER_CREDS',
    'SSH_PRIVATE_KEY',
    'PRIVATE_KEY_PATH',
    'BASIC_AUTH',
    'X-Auth-Token',
    'OAUTH_CLIENT',
    'SSH_PASSPHRASE',
    'SESSION_COOKIE',
    'X-Amz-Signature',
    'secret_key',
    'password',
]
PUBLIC_NAMES = [
    'MONKEY',
    'KEYBOARD_LAYOUT',
    'TOKENIZER_PATH',
    'TOKENIZERS_PARALLELISM',
    'MAX_TOKENS',
    'AUTHOR',
    'AUTHOR_EMAIL',
    'PASSTHROUGH',
    'BYPASS_CACHE',
    'COMPASS_HEADING',
    'HOST',
    'LOG_LEVEL',
    'PLAIN_SETTING',
    'DATABASE_URL',  # by name alone a URL is public: its shape decides (below)
    'KEYWORDS',
    'TURNKEY',
]


@pytest.mark.parametrize('name', SECRET_NAMES)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize('name', PUBLIC_NAMES)
def test_names_that_only_contain_a_secret_word_are_not_secret(name: str) -> None:
    assert not is_secret_name(name)


SECRET_VALUES = {
    'postgres dsn': 'postgresql://app:pw@db.internal:5432/app',
    'redis url with password only': 'redis://:s3cret@cache:6379/0',
    'sentry dsn': 'https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.io/1',
    'git url with token': 'https://ghp_abc@github.com/org/repo.git',
    'presigned url': 'https://bucket.s3.amazonaws.com/k?X-Amz-Credential=AK%2F&X-Amz-Signature=abc123',
    'bearer header': 'Bearer abcdef0123456789',
    'jwt': 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36P',
    'aws access key id': 'AKIAIOSFODNN7EXAMPLE',
    'pem private key': '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----',
    'github token': 'ghp_' + 'A1b2C3d4' * 5,
    'github fine-grained': 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz',
    'slack bot token': 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp',
    'slack webhook': 'https://hooks.slack.com/services/T000/B000/XXXXXXXX',
    'google api key': 'AIza' + 'S' * 35,
    'hugging face': 'hf_' + 'a' * 34,
}
PUBLIC_VALUES = ['debug', 'https://api.example.com/v1', 's3://bucket/prefix', '8080', 'yes-please', '', 'a@b.c']


@pytest.mark.parametrize('value', SECRET_VALUES.values(), ids=list(SECRET_VALUES))
def test_secret_shapes_whatever_the_name(value: str) -> None:
    assert looks_secret(value)
    public, secret = split_secret_env({'SETTING': value})
    assert public == {} and secret == {'SETTING': value}
    assert value not in redact_text(f'run with SETTING={value} now')


@pytest.mark.parametrize('value', PUBLIC_VALUES)
def test_ordinary_values_are_public(value: str) -> None:
    assert not looks_secret(value)


def test_split_secret_env_by_mark_name_and_shape() -> None:
    public, secret = split_secret_env(
        {
            'DB_PASS': 'hunter2',
            'DATABASE_URL': 'postgresql://app:pw@db/app',
            'SENTRY_DSN': 'https://k@o1.ingest.sentry.io/1',
            'MARKED': Secret('m'),
            'PYDANTIC': SecretStr('p'),
            'LOG_LEVEL': 'info',
            'MISSING': None,
        }
    )
    assert public == {'LOG_LEVEL': 'info'}
    assert secret == {
        'DB_PASS': 'hunter2',
        'DATABASE_URL': 'postgresql://app:pw@db/app',
        'SENTRY_DSN': 'https://k@o1.ingest.sentry.io/1',
        'MARKED': 'm',
        'PYDANTIC': 'p',
    }
    assert 'm' not in repr(Secret('m')).replace('Secret', '')


def test_redact_url_keeps_what_helps_and_masks_the_password() -> None:
    assert redact_url('https://deploy:pw-123@api.example.com:8443/x') == f'https://deploy:{MASK}@api.example.com:8443/x'
    assert redact_url('https://key123@o1.ingest.sentry.io/1') == f'https://{MASK}@o1.ingest.sentry.io/1'
    assert redact_url('https://h/x?token=abc&page=2') == f'https://h/x?token={MASK}&page=2'
    assert redact_url('https://api.example.com/x') == 'https://api.example.com/x'


def test_redact_text_masks_known_values_their_encodings_and_assignments() -> None:
    text = 'DB_PASS=hunter2 "password": "pw1" plain=ok token=abcdef sent c2VjcmV0LXZhbHVl and secret-value'
    shown = redact_text(text, known=['secret-value'])
    for leaked in ('hunter2', 'pw1', 'abcdef', 'secret-value', 'c2VjcmV0LXZhbHVl'):
        assert leaked not in shown
    assert 'plain=ok' in shown
    assert redact_text('no such object: Key=models/a.bin') == 'no such object: Key=models/a.bin'


def test_redact_mapping_nested() -> None:
    shown = redact_mapping(
        {
            'endpoint_url': 'http://user:pw@minio:9000',
            'secret_key': 'sk',
            'bucket': 'b',
            'nested': {'password': 'p', 'region': 'r'},
            'headers': {'X': 'y'},
        },
        extra_names=['headers'],
    )
    assert shown == {
        'endpoint_url': f'http://user:{MASK}@minio:9000',
        'secret_key': MASK,
        'bucket': 'b',
        'nested': {'password': MASK, 'region': 'r'},
        'headers': MASK,
    }
