"""Interfaces: the CLI (and, later, the REST API and web UI) — thin layers over the library."""
