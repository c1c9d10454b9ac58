"""A polite, guarded HTTP client for pages and feeds.

- **SSRF guard**: only http(s); every host is resolved and each of its addresses checked before a request is
  sent, for the first URL and for every redirect (followed here, at most ``MAX_REDIRECTS``). The check is
  made again where the connection is opened (a network backend under httpx that connects to the checked
  address itself), so a name that resolves differently a moment later cannot slip through. Private,
  loopback, link-local, multicast and reserved addresses are refused unless a network in
  ``fetch_allow_networks`` contains them.
- **Polite**: a clear User-Agent, a minimum interval between requests to one host, conditional requests
  (ETag / Last-Modified: a 304 downloads nothing), retries with exponential backoff on 429, 5xx, timeouts
  and connection errors (honouring a short Retry-After), a timeout, and a size cap on the decoded body.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from ..errors import FetchError, FetchRefused
from ..settings import Settings

MAX_REDIRECTS = 5
RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 60.0
_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([a-zA-Z0-9_-]{2,30})""", re.I)
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


# -- which addresses may be reached -------------------------------------------------------------------
class AddressPolicy:
    """Public addresses, plus those in the allowed networks. ``check`` resolves a host and returns its
    addresses, or raises FetchRefused naming the address and why."""

    def __init__(self, allow: list[str] | None = None):
        self.allow = [ipaddress.ip_network(n, strict=False) for n in allow or ()]

    def allowed(self, ip: IPAddress) -> bool:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in net for net in self.allow):
            return True
        return ip.is_global and not ip.is_multicast

    def check(self, host: str, port: int) -> list[str]:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError(f"cannot resolve {host!r}: {exc}") from exc
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        for text in addresses:
            ip = ipaddress.ip_address(text.split("%", 1)[0])
            if not self.allowed(ip):
                raise FetchRefused(
                    f"refused: {host} resolves to {ip}, {_kind(ip)} address (set ASSAY_FETCH_ALLOW_NETWORKS "
                    "to allow a network)"
                )
        if not addresses:
            raise FetchError(f"cannot resolve {host!r}: no address")
        return addresses


def _kind(ip: IPAddress) -> str:
    for name in ("loopback", "link_local", "private", "multicast", "unspecified", "reserved"):
        if getattr(ip, f"is_{name}"):
            return "a " + name.replace("_", "-")
    return "a non-public"


class _GuardedBackend(httpcore.SyncBackend):
    """Opens a connection only to an address the policy allows (checked at connect time)."""

    def __init__(self, policy: AddressPolicy):
        self.policy = policy

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        error: Exception | None = None
        for address in self.policy.check(host, port):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error or httpcore.ConnectError(f"cannot connect to {host}")

    def connect_unix_socket(self, *args, **kwargs):
        raise FetchRefused("refused: unix sockets are never fetched")


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, policy: AddressPolicy):
        super().__init__(trust_env=False)  # no proxies from the environment: the guard sees the real target
        # httpx builds its connection pool without a way to pass a network backend: replace the pool
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=20,
            max_keepalive_connections=10,
            keepalive_expiry=5.0,
            network_backend=_GuardedBackend(policy),
        )


# -- politeness -----------------------------------------------------------------------------------------
class HostPacer:
    """At least ``interval`` seconds between the starts of two requests to the same host."""

    def __init__(self, interval: float):
        self.interval = interval
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next.get(host, 0.0))
            self._next[host] = start + self.interval
        if start > now:
            time.sleep(start - now)


# -- the client -----------------------------------------------------------------------------------------
@dataclass(slots=True)
class Fetched:
    url: str  # after redirects
    status: int  # 200, or 304 when the validators still hold
    body: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def text(self) -> str:
        """The body as text: the charset of the Content-Type, else of a <meta> tag, else detected."""
        from .decode import decode

        for codec in (_header_charset(self.content_type), _meta_charset(self.body)):
            if codec:
                try:
                    return self.body.decode(_codec(codec))
                except (LookupError, UnicodeDecodeError):
                    continue
        return decode(self.body)[0]


def _header_charset(content_type: str) -> str | None:
    m = re.search(r"charset\s*=\s*\"?([\w-]+)", content_type, re.I)
    return m.group(1) if m else None


def _meta_charset(body: bytes) -> str | None:
    m = _CHARSET.search(body[:4096])
    return m.group(1).decode("ascii") if m else None


def _codec(name: str) -> str:
    name = name.lower()
    return "gb18030" if name in ("gb2312", "gbk", "x-gbk") else name  # GB18030 is a superset of both


class Fetcher:
    """One HTTP client for a fetch run: keep-alive, the address guard, per-host pacing, retries."""

    def __init__(self, settings: Settings, sleep=time.sleep):
        self.settings = settings
        self.policy = AddressPolicy(settings.fetch_allow_networks)
        self.pacer = HostPacer(settings.fetch_host_interval)
        self.sleep = sleep
        self.requests = 0  # requests sent (for reports and tests)
        self.downloaded = 0  # body bytes received
        self.client = httpx.Client(
            transport=_GuardedTransport(self.policy),
            timeout=httpx.Timeout(settings.fetch_timeout),
            headers={"User-Agent": settings.fetch_user_agent, "Accept-Encoding": "gzip, deflate"},
            follow_redirects=False,
            trust_env=False,
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None, accept: str = "*/*") -> Fetched:
        """GET ``url`` (following redirects, each one checked). Raises FetchRefused or FetchError."""
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for _ in range(MAX_REDIRECTS + 1):
            host, port = self._vet(url)
            response = self._send_with_retries(url, host, port, headers)
            if response.status_code in (301, 302, 303, 307, 308) and response.headers.get("location"):
                url = urljoin(url, response.headers["location"])
                continue
            return self._result(url, response)
        raise FetchError(f"more than {MAX_REDIRECTS} redirects from {url}")

    def _vet(self, url: str) -> tuple[str, int]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchRefused(f"refused: {url!r} is not an http(s) URL")
        if not parts.hostname:
            raise FetchError(f"no host in {url!r}")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise FetchError(f"bad port in {url!r}") from exc
        self.policy.check(parts.hostname, port)  # before anything is sent
        return parts.hostname, port

    def _send_with_retries(self, url: str, host: str, port: int, headers: dict) -> _Response:
        retries = max(0, self.settings.fetch_retries)
        for attempt in range(retries + 1):
            self.pacer.wait(host)
            try:
                response = self._send(url, headers)
            except httpx.TransportError as exc:
                if attempt == retries:
                    raise FetchError(f"{url}: {type(exc).__name__}: {exc or 'no answer'}") from exc
                self.sleep(self._backoff(attempt, None))
                continue
            if response.status_code in RETRY_STATUSES and attempt < retries:
                self.sleep(self._backoff(attempt, response.headers.get("retry-after")))
                continue
            return response
        raise AssertionError("unreachable")

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        delay = self.settings.fetch_backoff * (2**attempt)
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, float(retry_after))
        return min(delay, MAX_RETRY_AFTER)

    def _send(self, url: str, headers: dict) -> _Response:
        self.requests += 1
        cap = self.settings.fetch_max_bytes
        deadline = time.monotonic() + 4 * self.settings.fetch_timeout
        with self.client.stream("GET", url, headers=headers) as r:
            chunks, size = [], 0
            if r.status_code == 200:
                for chunk in r.iter_bytes():
                    size += len(chunk)
                    if size > cap:
                        raise FetchError(f"{url}: larger than {cap} bytes (ASSAY_FETCH_MAX_BYTES)")
                    if time.monotonic() > deadline:
                        raise FetchError(f"{url}: took longer than {4 * self.settings.fetch_timeout:.0f} s")
                    chunks.append(chunk)
            self.downloaded += size
            return _Response(r.status_code, r.headers, b"".join(chunks))

    def _result(self, url: str, response: _Response) -> Fetched:
        status = response.status_code
        if status not in (200, 304):
            raise FetchError(f"{url}: HTTP {status}")
        h = response.headers
        return Fetched(url, status, response.body, h.get("content-type", ""), h.get("etag"), h.get("last-modified"))


@dataclass(slots=True)
class _Response:
    status_code: int
    headers: httpx.Headers
    body: bytes
