"""Near-duplicate signatures: normalized text → exact key, character shingles, MinHash, LSH band keys.

Normalization keeps letters and digits only and folds each character (traditional → simplified Chinese,
full-width → ASCII, lower case) through one lookup table over the Basic Multilingual Plane, so whitespace,
punctuation and Markdown markup do not matter. The work is array arithmetic over all the texts of a batch
laid end to end: one table lookup, then overlapping runs of ``SHINGLE`` characters hashed to 64 bits (a
rolling polynomial, then a mixing step). One sort of the whole batch's shingles gives each document its set
of distinct shingles and its MinHash: ``NUM_PERM`` values, one per bin of the hash space (one-permutation
hashing, densified; ``sets_and_minhashes``). ``BANDS`` bands of ``ROWS`` values each become one integer key
per band, and two documents that share a band key are candidates. A candidate is only a hint: ``similarity`` (the exact
Jaccard and containment of the two shingle sets) decides, against the thresholds in ``same_story``.

Reading a candidate's text to compare it exactly is the costly part of clustering, so each signature also
keeps a sketch: the low 16 bits of its ``NUM_PERM`` MinHash values (256 bytes) and the number of distinct
shingles. ``sketch_verdict`` bounds the Jaccard of two documents from the share of equal sketch values (a
binomial estimate, ``Z`` standard errors either side) and their containment from that bound and the two set
sizes; only a pair whose bounds straddle a threshold is compared exactly.

The thresholds were chosen on the tuning half of the labelled pairs in ../shared/data (tests/test_dedupe.py
holds the quality gate and the figures; bench/bench_dedupe.py the speed).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

SHINGLE = 5  # characters per shingle
NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS  # 4 values per band: pairs at Jaccard 0.5 are candidates 87% of the time, 0.7: 99.9%
SEED = 20240611
# "same story", chosen on the tuning half of the CCTV pairs: F1 0.9985 for any Jaccard from 0.2 to 0.5, then
# falling (0.9980 at 0.6, 0.9955 from 0.7); the highest of the plateau, since a false merge hides news
JACCARD_MIN = 0.5
# one text (nearly) inside the other: a truncated or extended copy. The labelled sets do not decide this one
# (any value from 0.6 to 1 scores the same on them); 0.8 of the smaller text's shingles, of at least 50
CONTAINMENT_MIN = 0.8
CONTAINMENT_MIN_SHINGLES = 50
# how sure a sketch verdict is: bounds this many standard errors from the estimate (Wilson score interval).
# Joining on the sketches alone takes the lower bound at Z = 5: a pair just under the threshold is called
# "the same" by chance about once in 3.5 million pairs (a false merge hides news). Ruling a pair out takes the
# upper bound at Z_RULE_OUT = 3.5: a pair at the threshold is called "not the same" about once in 4,300 pairs
# (a missed copy shows one more card); at 5 it was the larger share of the exact comparisons, and 3.5 made
# clustering 200k documents 15% faster with the same clusters within 8 documents (bench/README.md). The
# labelled pairs never disagree with the exact check at these settings (tests/test_dedupe.py)
Z = 5.0
Z_RULE_OUT = 3.5
# below this many distinct shingles in either text, the sketches decide nothing: most of a short text's
# MinHash bins are borrowed from its few filled ones (see ``sets_and_minhashes``), so the share of equal
# values varies more than the bounds above assume (measured on random sets of 3–10 shingles: 1.2 times the
# binomial spread; from 50 on, 0.9 times)
SKETCH_MIN_SHINGLES = 50

_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_BASE = np.uint64(1_000_003)
_S33 = np.uint64(33)
_BAND_MIX = (np.arange(1, ROWS + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)) | np.uint64(1)
_BAND_SALT = np.arange(BANDS, dtype=np.uint64) * np.uint64(0xD6E8FEB86659FD93)
_BMP = 0x10000
_BLOCK = 1 << 16  # characters shingled at once


@lru_cache(maxsize=1)
def fold_table() -> np.ndarray:
    """Code point → folded code point for the BMP, 0 for what is dropped (not a letter or digit).
    Characters beyond the BMP are kept as they are."""
    from ..text.normalize import _FULLWIDTH, _t2s

    table = np.zeros(_BMP, dtype=np.uint32)
    for c in range(_BMP):
        ch = chr(c)
        if ch.isalnum():
            low = ch.translate(_FULLWIDTH).lower()
            table[c] = ord(low) if len(low) == 1 else c
    cjk = [chr(c) for c in range(0x3400, 0xA000)] + [chr(c) for c in range(0xF900, 0xFB00)]
    simplified = _t2s().convert("".join(cjk))
    if len(simplified) == len(cjk):  # character for character (it is, for single characters)
        for a, b in zip(cjk, simplified, strict=True):
            if a != b and table[ord(a)] and b.isalnum():
                table[ord(a)] = ord(b)
    return table


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def normalized_codes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """All texts normalized, end to end (uint32 code points), and the length of each."""
    codes = _codes("".join(texts))
    table = fold_table()
    if len(codes) and int(codes.max()) < _BMP:  # the usual case: one table lookup
        folded = np.take(table, codes)  # take, not table[codes]: 2.4× faster here
    else:
        folded = np.where(codes < _BMP, np.take(table, np.minimum(codes, _BMP - 1)), codes)
    kept = np.flatnonzero(folded)  # positions kept (a cumulative sum over a bool mask was 5 ms a batch)
    bounds = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)), out=bounds[1:])
    return np.take(folded, kept), np.diff(np.searchsorted(kept, bounds))


def normalize(title: str, text: str) -> str:
    """The text that signatures see: title and body, letters and digits only, folded."""
    codes, _ = normalized_codes([f"{title}\n{text}"])
    return codes.tobytes().decode("utf-32-le", "surrogatepass")


def _exact_key(raw) -> str:
    """The key of normalized text as UTF-32-LE bytes (or the uint32 code points themselves)."""
    return hashlib.blake2b(raw, digest_size=12).hexdigest()


def exact_key(normalized: str) -> str:
    """Documents with the same key are exact duplicates (the same words, whatever the layout)."""
    return _exact_key(normalized.encode("utf-32-le", "surrogatepass"))


def _mix(h: np.ndarray) -> np.ndarray:
    h ^= h >> _S33
    h *= _M1
    h ^= h >> _S33
    h *= _M2
    h ^= h >> _S33
    return h


def _rolling(codes: np.ndarray) -> np.ndarray:
    """The polynomial hash of every ``SHINGLE``-long window of ``codes`` (unmixed)."""
    c = codes.astype(np.uint64)
    n = len(c) - SHINGLE + 1
    with np.errstate(over="ignore"):
        h = c[:n].copy()
        for j in range(1, SHINGLE):
            h *= _BASE
            h += c[j : n + j]
    return h


def batch_shingles(codes: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The shingle hashes of texts laid end to end (``normalized_codes``): a flat uint64 array and the
    offsets of each text's run in it. Windows that cross from one text into the next are left out; a text
    shorter than ``SHINGLE`` characters is one shingle (padded with zeros); an empty one has none.
    Long batches are done a block of texts at a time (the arrays then stay in cache: twice as fast)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    if len(codes) > 2 * _BLOCK and len(lengths) > 1:
        ends = np.cumsum(lengths)
        cut = int(np.clip(np.searchsorted(ends, len(codes) // 2), 1, len(lengths) - 1))
        (f1, o1), (f2, o2) = (
            batch_shingles(codes[: ends[cut - 1]], lengths[:cut]),
            batch_shingles(codes[ends[cut - 1] :], lengths[cut:]),
        )
        return np.concatenate([f1, f2]), np.concatenate([o1, o2[1:] + o1[-1]])
    ends = np.cumsum(lengths)
    long = lengths >= SHINGLE
    counts = np.where(long, lengths - SHINGLE + 1, np.minimum(lengths, 1))
    offsets = np.zeros(len(lengths) + 1, dtype=np.uint64)
    np.cumsum(counts, out=offsets[1:])
    out = np.zeros(int(offsets[-1]), dtype=np.uint64)
    if len(codes) >= SHINGLE and long.any():
        windows = _rolling(codes)  # one per start position; those in a text's last SHINGLE - 1 characters cross
        keep = np.ones(len(windows), dtype=bool)
        for back in range(1, SHINGLE):
            starts = ends[lengths >= back] - back
            keep[starts[starts < len(windows)]] = False
        if long.all():
            out[:] = windows[keep]
        else:
            out[np.repeat(long, counts)] = windows[keep]
    for i in np.flatnonzero((lengths > 0) & ~long).tolist():
        padded = np.zeros(SHINGLE, dtype=np.uint32)
        padded[: lengths[i]] = codes[ends[i] - lengths[i] : ends[i]]
        out[int(offsets[i])] = _rolling(padded)[0]
    with np.errstate(over="ignore"):
        return _mix(out), offsets


def shingle_hashes(normalized: str) -> np.ndarray:
    """The 64-bit hashes of every ``SHINGLE``-character run of one normalized text, unsorted."""
    codes = _codes(normalized)
    return batch_shingles(codes, np.array([len(codes)]))[0]


def shingle_set(normalized: str) -> np.ndarray:
    """Sorted distinct shingle values (see ``sets_and_minhashes``): the set that ``similarity`` compares."""
    codes = _codes(normalized)
    return distinct_runs(*batch_shingles(codes, np.array([len(codes)])))[0]


def shingle_sets(texts: list[tuple[str, str]]) -> list[np.ndarray]:
    """``shingle_set(normalize(title, text))`` of many (title, text) pairs, computed together."""
    codes, lengths = normalized_codes([f"{title}\n{text}" for title, text in texts])
    flat, offsets = batch_shingles(codes, lengths)
    return distinct_runs(flat, offsets)


@dataclass(slots=True)
class Signature:
    """What clustering needs of a document: its exact key, its LSH band keys, its size (characters), and
    the sketch that bounds its similarity to another: distinct shingles and the low 16 bits of each MinHash
    value (``NUM_PERM`` little-endian uint16; empty for an empty text). ``shingle_set`` is the document's
    ``shingle_set``, made with the signature (clustering compares it when the sketches cannot tell); it is
    not stored."""

    exact: str
    bands: bytes  # BANDS int64 keys, native byte order (as stored in dupe_signatures.bands); empty for no text
    size: int
    shingles: int = 0
    sketch: bytes = b""
    shingle_set: np.ndarray | None = field(default=None, compare=False, repr=False)


_DOC_BITS = 20  # a batch's document number, in the top bits of a sorted shingle value
_SET_BITS = 64 - _DOC_BITS  # the hash bits a shingle set keeps (44: two sets of 500 collide once in 10^7)
_SET_MASK = np.uint64((1 << _SET_BITS) - 1)
_BIN_BITS = 7  # NUM_PERM = 2**7 bins
_VALUE_BITS = _SET_BITS - _BIN_BITS
_VALUE_MASK = np.uint64((1 << _VALUE_BITS) - 1)
_EMPTY_BIN = np.uint64(1 << _VALUE_BITS)  # above every value
assert NUM_PERM == 1 << _BIN_BITS


@lru_cache(maxsize=1)
def _probes() -> np.ndarray:
    """For each bin, the order in which an empty one borrows from the others (a permutation of the bins per
    bin, from our own hash so that it never changes): row ``t`` is every bin's ``t``-th choice."""
    t = np.arange(NUM_PERM, dtype=np.uint64)
    with np.errstate(over="ignore"):
        keys = _mix((t[:, None] << np.uint64(8)) + t[None, :] + np.uint64(SEED))  # [bin, attempt]
    return np.argsort(keys, axis=1).T.copy()  # [attempt, bin]


def sets_and_minhashes(
    flat: np.ndarray, offsets: np.ndarray, minhashes: bool = True
) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Each text's shingle set (its run of ``flat``: sorted distinct values, the top ``_SET_BITS`` of each
    hash) and its MinHash, both from one sort of the whole batch.

    The MinHash is one-permutation hashing with optimal densification (Shrivastava, ICML 2017): a hash's
    top ``_BIN_BITS`` bits name one of ``NUM_PERM`` bins, and a bin keeps the smallest of the rest; an empty
    bin (a text of few shingles) takes the value of the first filled bin in its own fixed probe order. Two
    texts agree on a bin with probability equal to their Jaccard, as with ``NUM_PERM`` independent
    permutations, for one hash per shingle instead of ``NUM_PERM``. Rows of texts without shingles are all
    ``_EMPTY_BIN``. Returns the sets and a (texts × NUM_PERM) uint64 matrix (None without ``minhashes``)."""
    n = len(offsets) - 1
    if n >= 1 << _DOC_BITS:
        half = n // 2
        s1, m1 = sets_and_minhashes(flat[: int(offsets[half])], offsets[: half + 1], minhashes)
        s2, m2 = sets_and_minhashes(flat[int(offsets[half]) :], offsets[half:] - offsets[half], minhashes)
        return s1 + s2, (np.concatenate([m1, m2]) if minhashes else None)
    counts = np.diff(offsets.astype(np.int64))
    values = np.repeat(np.arange(n, dtype=np.uint64) << np.uint64(_SET_BITS), counts)
    values |= np.right_shift(flat, np.uint64(_DOC_BITS), out=np.empty_like(flat))
    values.sort()
    if len(values):
        keep = np.empty(len(values), dtype=bool)
        keep[0] = True
        np.not_equal(values[1:], values[:-1], out=keep[1:])
        values = values[keep]
    ends = np.searchsorted(values, np.arange(1, n + 1, dtype=np.uint64) << np.uint64(_SET_BITS))
    bounds = [0, *ends.tolist()]
    masked = values & _SET_MASK
    sets = [masked[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    if not minhashes:
        return sets, None
    matrix = np.full(n * NUM_PERM, _EMPTY_BIN, dtype=np.uint64)
    if len(values):
        cell = values >> np.uint64(_VALUE_BITS)  # document × NUM_PERM + bin
        first = np.empty(len(cell), dtype=bool)
        first[0] = True
        np.not_equal(cell[1:], cell[:-1], out=first[1:])
        at = np.flatnonzero(first)
        matrix[np.take(cell, at).view(np.int64)] = np.take(values, at) & _VALUE_MASK
        empty = np.flatnonzero(matrix == _EMPTY_BIN)
        empty = empty[(ends > np.r_[0, ends[:-1]])[empty >> _BIN_BITS]]  # of texts with shingles
        if len(empty):
            _densify(matrix, empty)
    return sets, matrix.reshape(n, NUM_PERM)


def _densify(matrix: np.ndarray, empty: np.ndarray) -> None:
    """Fill the ``empty`` cells of a flat (texts × NUM_PERM) matrix, each from the first filled bin of its
    row in its bin's probe order: a few probes for all at once, then the whole order for the rest (texts of
    a few shingles)."""
    filled, probes, bins = matrix.copy(), _probes(), np.intp(NUM_PERM - 1)
    row = empty & ~bins
    for attempt in range(16):
        borrowed = filled[row | probes[attempt, empty & bins]]
        got = borrowed != _EMPTY_BIN
        matrix[empty[got]] = borrowed[got]
        empty, row = empty[~got], row[~got]
        if not len(empty):
            return
    order = probes.T[empty & bins]  # each cell's whole probe order (a permutation: one of them is filled)
    first = np.argmax(filled[row[:, None] | order] != _EMPTY_BIN, axis=1)
    matrix[empty] = filled[row | order[np.arange(len(empty)), first]]


def distinct_runs(flat: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
    """The shingle set of each run of ``flat`` (see ``sets_and_minhashes``)."""
    return sets_and_minhashes(flat, offsets, minhashes=False)[0]


def sketches(minhashes: np.ndarray) -> np.ndarray:
    """The low 16 bits of each MinHash value (documents × NUM_PERM, little-endian uint16)."""
    return (minhashes & np.uint64(0xFFFF)).astype("<u2")


def band_keys(minhashes: np.ndarray) -> np.ndarray:
    """One signed 63-bit key per band (documents × BANDS): the band's ROWS values hashed with its number."""
    with np.errstate(over="ignore"):
        rows = minhashes.astype(np.uint64).reshape(len(minhashes), BANDS, ROWS)
        keys = _mix((rows * _BAND_MIX).sum(axis=2, dtype=np.uint64) ^ _BAND_SALT)
    return (keys >> np.uint64(1)).astype(np.int64)  # SQLite integers are signed 64-bit


def signatures(texts: list[tuple[str, str]]) -> list[Signature]:
    """Signatures of (title, text) pairs, computed together (array arithmetic over the batch, one sort)."""
    codes, lengths = normalized_codes([f"{title}\n{text}" for title, text in texts])
    ends = np.cumsum(lengths).tolist()
    exact = [_exact_key(codes[end - n : end]) for end, n in zip(ends, lengths.tolist(), strict=True)]
    sets, matrix = sets_and_minhashes(*batch_shingles(codes, lengths))
    low = sketches(matrix).tobytes()
    keys = band_keys(matrix).tobytes()
    kb, sb = 8 * BANDS, 2 * NUM_PERM
    return [
        Signature(e, keys[i * kb : (i + 1) * kb], n, len(u), low[i * sb : (i + 1) * sb], u)
        if n
        else Signature(e, b"", 0, 0, b"", u)
        for i, (e, n, u) in enumerate(zip(exact, lengths.tolist(), sets, strict=True))
    ]


def signature(title: str, text: str) -> Signature:
    return signatures([(title, text)])[0]


@dataclass(slots=True, frozen=True)
class Similarity:
    jaccard: float
    containment: float  # the share of the smaller set found in the larger one
    smaller: int  # shingles in the smaller set


def similarity(a: np.ndarray, b: np.ndarray) -> Similarity:
    """Exact Jaccard and containment of two ``shingle_set``s."""
    if not len(a) or not len(b):
        return Similarity(1.0 if len(a) == len(b) else 0.0, 0.0, 0)
    if len(a) > len(b):
        a, b = b, a
    at = np.searchsorted(b, a)  # both sorted and unique: each value of the smaller looked up in the larger
    common = int(np.count_nonzero(b[np.minimum(at, len(b) - 1)] == a))
    union = len(a) + len(b) - common
    smaller = min(len(a), len(b))
    return Similarity(common / union, common / smaller, smaller)


def same_story(s: Similarity) -> bool:
    """The decision: nearly the same shingles, or one text (of some length) nearly inside the other."""
    if s.jaccard >= JACCARD_MIN:
        return True
    return s.containment >= CONTAINMENT_MIN and s.smaller >= CONTAINMENT_MIN_SHINGLES


def candidates(a: Signature, b: Signature) -> bool:
    """Would LSH bring these two together (the same exact key, or a band key in common)?"""
    return a.exact == b.exact or not set(band_list(a)).isdisjoint(band_list(b))


def band_list(sig: Signature) -> list[int]:
    """A signature's band keys as integers."""
    return np.frombuffer(sig.bands, dtype=np.int64).tolist()


YES, NO, UNSURE = 1, 0, -1  # sketch verdicts


def jaccard_bounds(matches: np.ndarray, k: int = NUM_PERM) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on the Jaccard of pairs whose sketches agree on ``matches`` of ``k`` values (Wilson score
    interval): the lower one ``Z`` standard errors from the estimate, the upper one ``Z_RULE_OUT``."""
    p = np.asarray(matches, dtype=np.float64) / k
    return _wilson(p, k, Z)[0], _wilson(p, k, Z_RULE_OUT)[1]


def _wilson(p: np.ndarray, k: int, z: float) -> tuple[np.ndarray, np.ndarray]:
    z2 = z * z / k
    centre = (p + z2 / 2) / (1 + z2)
    half = z / (1 + z2) * np.sqrt(p * (1 - p) / k + z2 / (4 * k))
    return np.maximum(centre - half, 0.0), np.minimum(centre + half, 1.0)


def _containment(j: np.ndarray, small: np.ndarray, large: np.ndarray) -> np.ndarray:
    """The containment that a Jaccard ``j`` means for sets of these sizes: |A∩B| = j(|A|+|B|)/(1+j)."""
    return np.minimum(j * (small + large) / ((1 + j) * np.maximum(small, 1)), 1.0)


def sketch_verdicts(matches, shingles_a, shingles_b, k: int = NUM_PERM) -> tuple[np.ndarray, np.ndarray]:
    """For pairs with ``matches`` equal sketch values and these distinct-shingle counts: YES (the same
    story, whatever the exact sets), NO (not the same story), or UNSURE (compare exactly), and the
    estimated Jaccard (the share of equal values)."""
    a = np.asarray(shingles_a, dtype=np.float64)
    b = np.asarray(shingles_b, dtype=np.float64)
    small, large = np.minimum(a, b), np.maximum(a, b)
    lo, hi = jaccard_bounds(matches, k)
    long_enough = small >= CONTAINMENT_MIN_SHINGLES
    yes = (lo >= JACCARD_MIN) | (long_enough & (_containment(lo, small, large) >= CONTAINMENT_MIN))
    maybe = (hi >= JACCARD_MIN) | (long_enough & (_containment(hi, small, large) >= CONTAINMENT_MIN))
    verdict = np.where(yes, YES, np.where(maybe, UNSURE, NO))
    verdict[small < SKETCH_MIN_SHINGLES] = UNSURE
    return verdict, np.asarray(matches, dtype=np.float64) / k


def sketch_matches(a: bytes, b: bytes) -> int:
    """How many of two sketches' values are equal (0 when either is missing)."""
    if len(a) != 2 * NUM_PERM or len(b) != 2 * NUM_PERM:
        return 0
    return int(np.count_nonzero(np.frombuffer(a, dtype="<u2") == np.frombuffer(b, dtype="<u2")))


def sketch_verdict(a: Signature, b: Signature) -> int:
    """YES, NO or UNSURE for one pair (UNSURE when either signature has no sketch)."""
    if len(a.sketch) != 2 * NUM_PERM or len(b.sketch) != 2 * NUM_PERM:
        return UNSURE
    verdict, _ = sketch_verdicts(np.array([sketch_matches(a.sketch, b.sketch)]), [a.shingles], [b.shingles])
    return int(verdict[0])


def same_document_story(a: Signature, a_set: np.ndarray, b: Signature, b_set: np.ndarray) -> bool:
    """The whole decision for a pair, as clustering takes it: exact duplicates, or LSH candidates that the
    sketches call the same story, or, where they cannot tell, whose shingle sets pass ``same_story``."""
    if a.exact == b.exact:
        return True
    if not candidates(a, b):
        return False
    verdict = sketch_verdict(a, b)
    if verdict != UNSURE:
        return verdict == YES
    return same_story(similarity(a_set, b_set))
