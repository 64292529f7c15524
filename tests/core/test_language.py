"""Per-message language: marker words of both instances' domains decide; no clue leaves the default."""

import pytest

from alfred.language import language_detect


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        ("pipeline totals", "es", "en"),
        ("Acme contact", "es", "en"),
        ("summarise my inbox", "es", "en"),
        ("estado del trato con Acme", "en", "es"),
        ("¿tengo correos importantes?", "en", "es"),
        ("add milk", "es", "en"),
        ("añade leche", "en", "es"),
        ("Acme", "es", "es"),
        ("Acme", "en", "en"),
    ],
)
def test_work_and_family_words_decide_the_language(text, default, expected):
    assert language_detect(text, default=default) == expected
