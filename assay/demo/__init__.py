"""The bundled demo corpus (see DATA_SOURCES.md beside it)."""

from pathlib import Path


def corpus_path() -> Path:
    return Path(__file__).with_name("corpus.jsonl.gz")
