"""Ingest: sources → Documents → store + index + summaries, with quarantine for bad input."""

from .pipeline import IngestReport, Ingestor

__all__ = ["IngestReport", "Ingestor"]
