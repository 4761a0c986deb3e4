"""Events are deterministic bytes: the fast path is exactly RFC 8785, decoding refuses anything
else, and commitments open only with the right salt and words."""

from __future__ import annotations

import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from heard.record import events

simple_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    st.text(),  # any Unicode, control characters, surrogate-free by construction
)
simple_bodies = st.dictionaries(st.text(alphabet=st.characters(max_codepoint=127)), simple_values)


@given(simple_bodies)
def test_fast_path_is_rfc_8785(body):
    assert events.canonical(body) == rfc8785.dumps(body)


@given(
    st.dictionaries(
        st.text(min_size=1),
        st.one_of(simple_values, st.floats(allow_nan=False, allow_infinity=False)),
    )
)
def test_every_body_encodes_as_rfc_8785(body):
    assert events.canonical(body) == rfc8785.dumps(body)


@given(simple_bodies.filter(lambda b: "type" not in b and "v" not in b))
def test_decode_inverts_encode_and_refuses_other_spellings(fields):
    leaf = events.encode(events.EventType.HUI_RECORDED, fields)
    assert events.decode(leaf) == {
        **{k: v for k, v in fields.items() if v is not None},
        "type": "hui.recorded",
        "v": 1,
    }
    spaced = b"{ " + leaf[1:]  # the same object, spelled with a space: not canonical
    try:
        events.decode(spaced)
    except ValueError:
        pass
    else:
        raise AssertionError("a non-canonical spelling was accepted")


def test_commitment_needs_the_salt_and_exact_words():
    salt = events.new_salt()
    commitment = events.commitment(salt, "Kia ora")
    assert events.commitment_matches(commitment, salt, "Kia ora")
    assert not events.commitment_matches(commitment, salt, "Kia ora ")
    assert not events.commitment_matches(commitment, events.new_salt(), "Kia ora")
