"""assay — self-hosted search for Chinese and English news and research, with cited summaries."""

__version__ = "0.1.0"
