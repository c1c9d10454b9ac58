"""The exception tree. Every error carries a message meant for the user (and an HTTP status for the API).

AssayError
├── ConfigError          bad settings (start-up stops)
├── InputError           one input item cannot be ingested (it goes to quarantine)
│   ├── DecodeError      bytes that decode in no supported encoding
│   └── RecordError      a record that is not a usable document (bad JSON, no text, too large)
│   └── FetchError       a web page or feed that could not be fetched (network, HTTP status, size)
│       └── FetchRefused an address fetching must not reach (private, loopback, link-local; bad scheme)
│   └── TooLarge         a request body over the size limit
├── AuthError            a write without a valid API key
├── NotFound             no document (or saved search, key) with that id
├── Conflict             a name already taken (saved searches)
├── QueryError           a query that cannot be parsed or run
└── StoreError           the store or index is unusable (schema too new, locked, corrupt)
    └── StoreUnavailable a shared store that cannot be reached now (retry)
"""

from __future__ import annotations


class AssayError(Exception):
    status = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ConfigError(AssayError):
    status = 500


class InputError(AssayError):
    status = 400


class DecodeError(InputError):
    pass


class RecordError(InputError):
    pass


class FetchError(InputError):
    status = 502


class FetchRefused(FetchError):
    status = 403


class TooLarge(InputError):
    status = 413


class AuthError(AssayError):
    status = 401


class Conflict(AssayError):
    status = 409


class NotFound(AssayError):
    status = 404


class QueryError(AssayError):
    status = 400


class StoreError(AssayError):
    status = 503


class StoreUnavailable(StoreError):
    """The store could not be reached (a shared database restarting, its connection lost): the work that was in
    flight was not written, or — when the connection went at COMMIT — may have been; retrying it is safe because
    every write is idempotent."""
