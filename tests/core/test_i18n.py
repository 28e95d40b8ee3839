from __future__ import annotations

import pytest

from synapse_sdk.i18n import (
    CATALOGUES,
    LocalizedMessage,
    LogLevel,
    LogMessageCode,
    render,
    resolve_language,
)


def test_seed_example_localized_message() -> None:
    msg = LocalizedMessage({'en': 'Processing {count} files', 'ko': '{count}개의 파일을 처리 중'})
    assert msg.format('en', count=3) == 'Processing 3 files'
    assert msg.format('ko', count=3) == '3개의 파일을 처리 중'
    assert msg.get('ko') == '{count}개의 파일을 처리 중'


def test_keyword_translations_and_fallback_to_english() -> None:
    msg = LocalizedMessage(en='Hello {name}', ko='안녕 {name}')
    assert msg.format('ko', name='A') == '안녕 A'
    only_en = LocalizedMessage(en='Only English')
    assert only_en.get('ko') == 'Only English'
    assert only_en.get('fr') == 'Only English'
    assert LocalizedMessage(ko='한국어만').get('en') == '한국어만'


def test_missing_placeholder_never_crashes() -> None:
    msg = LocalizedMessage(en='Processing {count} files of {total:d}')
    assert msg.format('en') == 'Processing {count} files of {total:d}'
    assert msg.format('en', count=2) == 'Processing 2 files of {total:d}'
    assert render('broken {', 'en', x=1) == 'broken {'


def test_every_code_has_english_and_korean_text() -> None:
    for code in LogMessageCode:
        for language in ('en', 'ko'):
            assert code.value in CATALOGUES[language], (code, language)
    assert set(CATALOGUES['en']) == set(CATALOGUES['ko'])


def test_codes_render_in_each_language_with_levels() -> None:
    assert render(LogMessageCode.PLUGIN_RUN_COMPLETE, 'en') == 'Plugin run is complete.'
    assert render(LogMessageCode.PLUGIN_RUN_COMPLETE, 'ko') == '플러그인 실행이 완료되었습니다.'
    assert render(LogMessageCode.PLUGIN_RUN_STARTED, 'ko', action='train') == "'train' 액션을 실행합니다"
    assert LogMessageCode.PLUGIN_RUN_FAILED.level is LogLevel.DANGER


def test_custom_message_takes_a_dict_in_the_run_language() -> None:
    message = {'en': 'Custom message', 'ko': '사용자 정의 메시지'}
    assert render(LogMessageCode.CUSTOM_MESSAGE, 'ko', message=message) == '사용자 정의 메시지'
    assert render(LogMessageCode.CUSTOM_MESSAGE, 'en', message=message) == 'Custom message'


def test_language_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv('SYNAPSE_LANGUAGE', raising=False)
    assert resolve_language() == 'en'
    monkeypatch.setenv('SYNAPSE_LANGUAGE', 'ko_KR.UTF-8')
    assert resolve_language() == 'ko'
    assert resolve_language('en') == 'en'
    assert resolve_language('xx') == 'ko'  # unsupported explicit choice falls through
    monkeypatch.setenv('SYNAPSE_LANGUAGE', 'klingon')
    assert resolve_language() == 'en'


def test_log_level_coercion() -> None:
    assert LogLevel.coerce('WARN') is LogLevel.WARNING
    assert LogLevel.coerce('nonsense') is LogLevel.INFO
    assert LogLevel.DANGER.stdlib_level == 40
    assert str(LogLevel.SUCCESS) == 'success'


def test_unknown_language_warns_once_and_falls_back_to_english() -> None:
    import warnings

    from synapse_sdk.i18n import _language as language_module

    language_module._warned.discard('xx')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        assert language_module.resolve_language('xx') == 'en'
        assert language_module.resolve_language('xx') == 'en'
        assert language_module.resolve_language('ko') == 'ko'
    messages = [str(w.message) for w in caught if issubclass(w.category, language_module.UnsupportedLanguageWarning)]
    assert messages == ["language 'xx' is not a supported language; messages are in English (supported: en, ko)"]
