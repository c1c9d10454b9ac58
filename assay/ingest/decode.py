"""Bytes → text: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030/GBK/Big5 as detected."""

from __future__ import annotations

import charset_normalizer

from ..errors import DecodeError

_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_CJK_CODECS = ("gb18030", "big5")


def looks_binary(raw: bytes) -> bool:
    sample = raw[:4096]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls > len(sample) * 0.05


def decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding). Raises DecodeError naming why the bytes are not text."""
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(codec), codec
            except UnicodeDecodeError as exc:
                raise DecodeError(f"bad {codec} text: {exc.reason} at byte {exc.start}") from exc
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if looks_binary(raw):
        raise DecodeError("binary data, not text")
    best = charset_normalizer.from_bytes(raw, cp_isolation=["gb18030", "big5", "utf_8", "cp1252"]).best()
    candidates = ([best.encoding] if best else []) + list(_CJK_CODECS)
    for codec in candidates:
        try:
            text = raw.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
        return text, codec
    raise DecodeError("undecodable bytes: not UTF-8, GB18030 or Big5")
