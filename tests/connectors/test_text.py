"""connectors.text: whatever a channel sends becomes storable text, and nothing else changes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from connectors.base import Attachment, ContactProfile, EventKind, InboundMessage
from connectors.text import storable, storable_event

# any code point, lone surrogates and C0 controls included
anything = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=60)


@given(anything)
def test_the_result_is_storable_and_stable(text: str) -> None:
    out = storable(text)
    out.encode("utf-8")  # no lone surrogate left
    assert not any(ord(c) < 0x20 and c not in "\t\n" for c in out)
    assert storable(out) == out


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=60))
def test_ordinary_text_is_untouched(text: str) -> None:
    assert storable(text) is text


def test_the_rules() -> None:
    assert storable("a\x00b\x01c\x1fd\x7fe") == "abcd\x7fe"  # DEL is storable: kept
    assert storable("cột\tmột\ndòng") == "cột\tmột\ndòng"
    assert storable("một\r\nhai\rba") == "một\nhai\nba"
    assert storable("x\ud83d y \udc00") == "x\ufffd y \ufffd"
    assert storable("😀 đúng cặp") == "😀 đúng cặp"


def test_every_stored_field_of_an_event_is_cleaned_and_raw_is_kept() -> None:
    raw = {"text": "a\x00"}
    event = InboundMessage(
        channel="facebook",
        kind=EventKind.MESSAGE,
        external_user_id="u\x00",
        channel_message_id="m\ud800",
        text="t\x00",
        attachments=(
            Attachment(kind="file", url="u\x00", name="n\x00", mime_type="x\x01", meta={"k\x00": ["v\x00"]}),
        ),
        profile=ContactProfile(display_name="A\x00n", phone="09\x00", extra={"e": "\ud800"}),
        subject="s\x00",
        reply_to_ids=("r\x00",),
        refers_to=("f\x00",),
        postback_payload="p\x00",
        raw_type="t\x00",
        raw=raw,
    )
    out = storable_event(event)
    assert (out.external_user_id, out.channel_message_id, out.text) == ("u", "m\ufffd", "t")
    a = out.attachments[0]
    assert (a.url, a.name, a.mime_type, dict(a.meta)) == ("u", "n", "x", {"k": ["v"]})
    assert out.profile == ContactProfile(display_name="An", phone="09", extra={"e": "\ufffd"})
    assert (out.subject, out.reply_to_ids, out.refers_to) == ("s", ("r",), ("f",))
    assert (out.postback_payload, out.raw_type) == ("p", "t")
    assert out.raw is raw  # the vendor's event is kept exactly for the record
