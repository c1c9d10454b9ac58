"""Ingest: sources → Documents → store + index + summaries, with quarantine for bad input."""

from .pipeline import Ingestor, IngestReport

__all__ = ["IngestReport", "Ingestor"]
