"""Byte-level mutation of real fixtures for the parser fuzz tests (hypothesis)."""
from __future__ import annotations

from hypothesis import strategies as st

SPECIALS = b"<>&;\"'/\x00\xff\xd0{}[]:, \n"
INSERTS = (b"<", b"&", b"]]>", b"<![CDATA[", b"&#x0;", b"[", b"{", b'"', b"\n\n", b"\x1f\x8b",
           b"\xef\xbb\xbf", b"Exception: x", b"[[],[]]", b"\\u0000")


def mutate(draw, body: bytes, *, max_edits: int = 8) -> bytes:
    """Up to ``max_edits`` bit flips, byte sets, deletions and insertions of markup-significant
    bytes, then perhaps a truncation."""
    data = bytearray(body)
    for _ in range(draw(st.integers(0, max_edits))):
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "set", "delete", "insert"]))
        if op == "flip":
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            data[i] = draw(st.sampled_from(SPECIALS))
        elif op == "delete":
            del data[i:i + draw(st.integers(1, 64))]
        else:
            data[i:i] = draw(st.sampled_from(INSERTS))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)
