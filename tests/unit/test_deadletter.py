"""Dead letters: choosing, skipping what was redriven or failed after a redrive, the header."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sxp_cli.deadletter import DeadLetter, redrive_messages, select, to_redrive
from sxp_common import avro
from sxp_common.kafka import REDRIVE_HEADER, InboundRecord, dead_letter
from sxp_common.topics import DEADLETTER

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


def letter(id_: str, service: str = "labeler", reason: str = "undecodable",
           age_h: float = 1, redrive_of: str | None = None) -> DeadLetter:
    return DeadLetter(id_, service, id_.split(":")[0], reason, "", NOW - timedelta(hours=age_h),
                      redrive_of, b"k", b"v")


def test_select_filters_by_service_reason_and_time_and_keeps_one_per_id() -> None:
    letters = [letter("a:0:1"), letter("a:0:1"), letter("a:0:2", service="card_factory"),
               letter("a:0:3", reason="other"), letter("a:0:4", age_h=30)]
    assert [d.id for d in select(letters, "labeler", None, None)] == ["a:0:1", "a:0:3", "a:0:4"]
    assert [d.id for d in select(letters, "card-factory", None, None)] == ["a:0:2"]
    assert [d.id for d in select(letters, None, "other", None)] == ["a:0:3"]
    assert "a:0:4" not in {d.id for d in select(letters, None, None, NOW - timedelta(hours=2))}


def test_a_redrive_skips_what_it_sent_before_and_what_failed_after_a_redrive() -> None:
    letters = [letter("a:0:1"), letter("a:0:2"), letter("a:0:9", redrive_of="a:0:2")]
    send, skipped = to_redrive(letters, already={"a:0:2"}, again=False)
    assert [d.id for d in send] == ["a:0:1"]
    assert skipped == {"already_redriven": 1, "failed_after_redrive": 1, "erased": 0}
    send, _ = to_redrive(letters, already={"a:0:2"}, again=True)
    assert [d.id for d in send] == ["a:0:1", "a:0:9"]


def test_a_dead_letter_an_erasure_marked_is_never_sent_back_not_even_again() -> None:
    letters = [letter("a:0:1"), letter("a:0:2"), letter("a:0:9", redrive_of="a:0:1")]
    for again in (False, True):
        send, skipped = to_redrive(letters, already=set(), again=again,
                                   erased=frozenset({"a:0:2", "a:0:9"}))
        assert [d.id for d in send] == ["a:0:1"]
        assert skipped["erased"] == 2


def test_a_redriven_record_carries_the_original_bytes_and_the_dead_letters_id() -> None:
    [message] = redrive_messages([letter("sxp.profiles.raw.v1:3:17")])
    assert (message.topic, message.key, message.value) == ("sxp.profiles.raw.v1", "k", b"v")
    assert message.headers == {REDRIVE_HEADER: "sxp.profiles.raw.v1:3:17"}


def test_a_record_that_fails_again_after_a_redrive_keeps_the_header_in_its_dead_letter() -> None:
    record = InboundRecord("t", 1, 5, b"k", b"junk", ((REDRIVE_HEADER, b"t:0:2"),))
    out = dead_letter("labeler", record, "undecodable", "bad")
    assert out.headers[REDRIVE_HEADER] == "t:0:2"
    assert avro.decode(DEADLETTER, out.value)["value"] == b"junk"
    plain = dead_letter("labeler", InboundRecord("t", 1, 6, b"k", b"junk"), "undecodable", "x")
    assert REDRIVE_HEADER not in plain.headers
