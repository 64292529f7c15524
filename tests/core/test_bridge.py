"""The calendar bridge's document (alfred/bridge.py): signed by biz, believed by home only when it verifies,
and holding nothing but busy times. Natural dates (alfred/rules/when.py) are here too: both sides use them."""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from alfred.bridge import (
    BridgeRejected,
    BusyBlock,
    blocks_merge,
    document_build,
    document_sign,
    document_verify,
    key_pair_generate,
    public_key_of,
)
from alfred.rules.when import when_span

MADRID = ZoneInfo("Europe/Madrid")
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # a Wednesday
PRIVATE, PUBLIC = key_pair_generate()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=MADRID)


def signed(blocks: list[BusyBlock], *, generated_at: datetime = NOW, key: str = PRIVATE) -> bytes:
    return document_sign(document_build(blocks=blocks, generated_at=generated_at, days=14), key)


def test_a_signed_document_verifies_with_the_public_key_and_gives_the_blocks_back():
    blocks = [BusyBlock(at(5, 10), at(5, 12), tz="Europe/Madrid")]
    verified = document_verify(signed(blocks), PUBLIC, now=NOW + timedelta(hours=1))
    assert verified.blocks == blocks
    assert verified.generated_at == NOW
    assert verified.valid_until == NOW + timedelta(days=14)


def test_a_changed_byte_in_the_document_is_refused():
    raw = signed([BusyBlock(at(5, 10), at(5, 12), tz="Europe/Madrid")])
    envelope = json.loads(raw)
    envelope["document"]["blocks"][0]["end"] = "2026-12-05T11:00:00+01:00"  # "free from 11" — a lie
    with pytest.raises(BridgeRejected, match="bad signature"):
        document_verify(json.dumps(envelope).encode(), PUBLIC, now=NOW)


def test_a_document_signed_with_another_key_is_refused():
    other_private, _ = key_pair_generate()
    with pytest.raises(BridgeRejected, match="bad signature"):
        document_verify(signed([], key=other_private), PUBLIC, now=NOW)


def test_an_expired_and_a_future_dated_document_are_refused():
    with pytest.raises(BridgeRejected, match="expired"):
        document_verify(signed([]), PUBLIC, now=NOW + timedelta(days=14, seconds=1))
    with pytest.raises(BridgeRejected, match="future-dated"):
        document_verify(signed([], generated_at=NOW + timedelta(hours=1)), PUBLIC, now=NOW)


def test_garbage_and_a_bad_key_are_refused_without_quoting_them():
    with pytest.raises(BridgeRejected, match="not a bridge document"):
        document_verify(b"<html>", PUBLIC, now=NOW)
    with pytest.raises(BridgeRejected) as refused:
        document_verify(signed([]), "not-a-key-but-a-secret", now=NOW)
    assert "not-a-key-but-a-secret" not in str(refused.value)


def test_the_document_holds_only_times_and_merges_overlapping_and_adjacent_blocks():
    blocks = [
        BusyBlock(at(5, 10), at(5, 11), tz="Europe/Madrid"),
        BusyBlock(at(5, 10, 30), at(5, 12), tz="Europe/Madrid"),  # overlaps
        BusyBlock(at(5, 12), at(5, 13), tz="Europe/Madrid"),  # adjacent
        BusyBlock(at(7, 0), at(8, 0), all_day=True, tz="Europe/Madrid"),
        BusyBlock(at(8, 0), at(9, 0), all_day=True, tz="Europe/Madrid"),  # the next day
        BusyBlock(at(7, 9), at(7, 10), tz="Europe/Madrid"),  # inside the all-day block
    ]
    document = json.loads(signed(blocks))["document"]
    assert document["blocks"] == [
        {
            "start": "2026-12-05T10:00:00+01:00",
            "end": "2026-12-05T13:00:00+01:00",
            "all_day": False,
            "tz": "Europe/Madrid",
        },
        {"start": "2026-12-07", "end": "2026-12-09", "all_day": True, "tz": "Europe/Madrid"},
    ]
    assert set(document) == {"kind", "version", "generated_at", "valid_from", "valid_until", "blocks"}
    assert len(blocks_merge(blocks)) == 2


def test_bridge_keys_prints_a_matching_pair():
    private, public = key_pair_generate()
    assert public_key_of(private) == public
    assert document_verify(signed([], key=private), public, now=NOW).blocks == []


def test_the_development_key_pair_matches():
    """settings/biz.py signs with the development private key, settings/home.py verifies with its public half
    (both files are read as text: each instance's settings module only exists in its own image)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    biz = (root / "settings" / "biz.py").read_text()
    home = (root / "settings" / "home.py").read_text()
    private = biz.split('"ALFRED_BRIDGE_SIGNING_KEY", dev_default="')[1].split('"')[0]
    assert f'default="{public_key_of(private)}" if DEV_MODE' in home


# Wednesday 2 December 2026, 10:00 in Madrid.
WHEN_NOW = datetime(2026, 12, 2, 10, 0, tzinfo=MADRID)


@pytest.mark.parametrize(
    ("phrase", "kind", "start", "end"),
    [
        ("Saturday", "day", at(5, 0), at(6, 0)),
        ("on saturday", "day", at(5, 0), at(6, 0)),
        ("el sábado", "day", at(5, 0), at(6, 0)),
        ("tomorrow afternoon", "part", at(3, 12), at(3, 18)),
        ("mañana por la tarde", "part", at(3, 12), at(3, 18)),
        ("mañana por la mañana", "part", at(3, 8), at(3, 12)),
        ("mañana", "day", at(3, 0), at(4, 0)),
        ("pasado mañana", "day", at(4, 0), at(5, 0)),
        ("this weekend", "weekend", at(5, 0), at(7, 0)),
        ("el finde", "weekend", at(5, 0), at(7, 0)),
        ("next week", "week", at(7, 0), at(14, 0)),
        ("la semana que viene", "week", at(7, 0), at(14, 0)),
        ("at 5pm on Friday", "moment", at(4, 17), at(4, 18)),
        ("el viernes a las 5 de la tarde", "moment", at(4, 17), at(4, 18)),
        ("a las 17:30", "moment", at(2, 17, 30), at(2, 18, 30)),
    ],
)
def test_natural_dates_in_english_and_spanish(phrase, kind, start, end):
    span = when_span(phrase, now=WHEN_NOW)
    assert span is not None
    assert (span.kind, span.start, span.end) == (kind, start, end)


@pytest.mark.parametrize("phrase", ["the milk", "sat", "saturday with the kids", "at 25:00", ""])
def test_a_phrase_with_a_word_it_does_not_know_is_not_guessed(phrase):
    assert when_span(phrase, now=WHEN_NOW) is None
