"""Measuring "same story" decisions on labelled pairs: precision, recall, F1, and rank correlations of the
similarity score with human judgements. Used by the quality gate (tests/test_dedupe.py) and
bench/eval_dedupe.py."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from .signature import normalize, same_document_story, shingle_set, signatures, similarity


@dataclass(frozen=True)
class Scores:
    pairs: int
    positives: int
    precision: float
    recall: float
    f1: float

    def line(self) -> str:
        return (
            f"{self.pairs} pairs ({self.positives} same story): precision {self.precision:.4f} · "
            f"recall {self.recall:.4f} · F1 {self.f1:.4f}"
        )


def scores(labels: list[bool], decisions: list[bool]) -> Scores:
    tp = sum(1 for y, d in zip(labels, decisions, strict=True) if y and d)
    fp = sum(1 for y, d in zip(labels, decisions, strict=True) if d and not y)
    fn = sum(1 for y, d in zip(labels, decisions, strict=True) if y and not d)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(len(labels), sum(labels), precision, recall, f1)


def decide_pairs(pairs: list[tuple[str, str]], texts: dict[str, tuple[str, str]]) -> list[bool]:
    """The clustering decision for each (id_a, id_b), from the (title, text) of each id."""
    ids = sorted({i for pair in pairs for i in pair})
    sigs = dict(zip(ids, signatures([texts[i] for i in ids]), strict=True))
    sets = {i: shingle_set(normalize(*texts[i])) for i in ids}
    return [same_document_story(sigs[a], sets[a], sigs[b], sets[b]) for a, b in pairs]


def jaccard(text_a: str, text_b: str) -> float:
    return similarity(shingle_set(normalize("", text_a)), shingle_set(normalize("", text_b))).jaccard


def in_tuning_half(pair_id: str) -> bool:
    """The fixed half of a labelled set on which thresholds are chosen (the other half reports)."""
    return int(hashlib.sha1(pair_id.encode()).hexdigest(), 16) % 2 == 0


def pearson(x, y) -> float:
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    x, y = x - x.mean(), y - y.mean()
    denom = np.sqrt((x * x).sum() * (y * y).sum())
    return float((x * y).sum() / denom) if denom else 0.0


def _ranks(values) -> np.ndarray:
    """Average ranks (ties share the mean of their positions)."""
    v = np.asarray(values, dtype=float)
    order = np.argsort(v, kind="mergesort")
    ranks = np.empty(len(v))
    sorted_v = v[order]
    i = 0
    while i < len(v):
        j = i
        while j + 1 < len(v) and sorted_v[j + 1] == sorted_v[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2
        i = j + 1
    return ranks


def spearman(x, y) -> float:
    return pearson(_ranks(x), _ranks(y))
