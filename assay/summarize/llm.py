"""LLM backends: any OpenAI-compatible chat endpoint (vLLM, Ollama, llama.cpp server, SGLang, hosted APIs).

``ChatClient`` speaks the chat-completions protocol with timeouts, retries with backoff on 429/5xx and
transport errors (honouring ``Retry-After``), and structured output: it asks for a JSON schema through
``response_format`` and steps down (``json_object``, then none) when a server refuses it.
``LLMSummarizer`` turns a document into the template's structure: paragraphs numbered in the prompt,
long documents summarized in parts and merged (citations keep the original paragraph numbers), the reply
parsed and validated with pydantic, one repair round, then a clear failure (``SummaryFailed``). The result
is forced back into the template (``shape``) and every bullet is checked by the verifier when one is given.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from pydantic import ValidationError

from ..errors import AssayError
from ..model import Bullet, Document, Paragraph, Section, Summary
from .base import CORE_INSIGHTS, INVESTMENT_RATING, NO_RATING, SUMMARY_BY_SECTIONS, TEMPLATE_VERSION, pick_template
from .prompts import (
    REPAIR,
    SummaryOut,
    document_block,
    merge_prompt,
    output_language,
    output_schema,
    system_prompt,
    template_for,
)

USER_AGENT = "assay (+https://github.com/assay) summarizer"


class LLMError(AssayError):
    """The endpoint could not be used (after retries): network, HTTP status, or a malformed response."""

    status = 502


class SummaryFailed(AssayError):
    """The model's reply could not be turned into a summary, even after a repair attempt."""

    status = 502


@dataclass(frozen=True)
class LLMConfig:
    base_url: str
    model: str
    api_key: str | None = None
    timeout: float = 120.0
    retries: int = 3
    backoff: float = 1.0  # seconds before the first retry; doubles each time (with jitter)
    max_backoff: float = 30.0
    context_chars: int = 12_000  # document text per request; longer documents are split into parts
    language: str = "en"  # en | zh | source
    max_tokens: int = 1500
    temperature: float = 0.0

    @property
    def backend(self) -> str:
        """The cache key's backend part: the model is part of it (a new model means new summaries)."""
        return f"openai:{self.model}"


# -- the protocol ------------------------------------------------------------------------------------------
class ChatClient:
    """One OpenAI-compatible endpoint. Thread-safe: the worker calls it from several threads."""

    FORMATS = ("json_schema", "json_object", "none")

    def __init__(self, cfg: LLMConfig, http: httpx.Client | None = None, sleep: Callable[[float], None] = time.sleep):
        self.cfg = cfg
        self.url = cfg.base_url.rstrip("/") + "/chat/completions"
        headers = {"User-Agent": USER_AGENT}
        if cfg.api_key:
            headers["Authorization"] = f"Bearer {cfg.api_key}"
        self.http = http or httpx.Client(timeout=cfg.timeout, headers=headers)
        self._format = 0  # index into FORMATS: steps down when the server refuses structured output
        self._lock = threading.Lock()
        self._sleep = sleep

    def close(self) -> None:
        self.http.close()

    def complete(self, messages: list[dict], schema: dict | None = None) -> str:
        """The assistant's reply text. Raises LLMError when the endpoint fails after the retries."""
        attempt = 0
        while True:
            fmt = self.FORMATS[self._format] if schema else "none"
            body = {
                "model": self.cfg.model,
                "messages": messages,
                "temperature": self.cfg.temperature,
                "max_tokens": self.cfg.max_tokens,
            }
            if fmt == "json_schema":
                body["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": "summary", "schema": schema, "strict": False},
                }
            elif fmt == "json_object":
                body["response_format"] = {"type": "json_object"}
            try:
                resp = self.http.post(self.url, json=body, timeout=self.cfg.timeout)
            except httpx.TimeoutException as exc:
                error, wait = f"timed out after {self.cfg.timeout:g} s ({type(exc).__name__})", None
            except httpx.TransportError as exc:
                error, wait = f"could not reach {self.url}: {exc}", None
            else:
                if resp.status_code == 200:
                    return self._content(resp)
                if resp.status_code == 400 and fmt != "none" and _mentions_format(resp.text):
                    with self._lock:  # the server does not do this kind of structured output: step down
                        self._format = max(self._format, self.FORMATS.index(fmt) + 1)
                    continue
                if resp.status_code != 429 and resp.status_code < 500:
                    raise LLMError(f"{self.url} answered {resp.status_code}: {_message(resp)}")
                error, wait = f"{self.url} answered {resp.status_code}: {_message(resp)}", _retry_after(resp)
            attempt += 1
            if attempt > self.cfg.retries:
                raise LLMError(f"gave up after {attempt} attempts: {error}")
            delay = wait if wait is not None else self.cfg.backoff * 2 ** (attempt - 1) * (0.5 + random.random())
            self._sleep(min(delay, self.cfg.max_backoff))

    def _content(self, resp: httpx.Response) -> str:
        try:
            data = resp.json()
            content = data["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LLMError(f"{self.url} sent a reply that is not a chat completion ({exc})") from exc
        if not isinstance(content, str):
            raise LLMError(f"{self.url} sent an empty message")
        return content


def _mentions_format(text: str) -> bool:
    low = text.lower()
    return "response_format" in low or "json_schema" in low or "json schema" in low


def _message(resp: httpx.Response) -> str:
    try:
        err = resp.json().get("error")
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])[:300]
        if isinstance(err, str):
            return err[:300]
    except (ValueError, AttributeError):
        pass
    return resp.text[:300] or resp.reason_phrase


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


# -- replies -----------------------------------------------------------------------------------------------
_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")
_TRAILING_COMMA = re.compile(r",\s*([}\]])")


def parse_reply(text: str) -> SummaryOut:
    """The model's reply as a SummaryOut. Tolerates code fences, prose around the object and trailing
    commas; raises ValueError (with the reason) otherwise."""
    t = _FENCE.sub("", text.strip())
    start, end = t.find("{"), t.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("no JSON object in the reply")
    t = t[start : end + 1]
    try:
        data = json.loads(t)
    except json.JSONDecodeError:
        try:
            data = json.loads(_TRAILING_COMMA.sub(r"\1", t))
        except json.JSONDecodeError as exc:
            raise ValueError(f"invalid JSON ({exc.msg} at character {exc.pos})") from exc
    try:
        return SummaryOut.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise ValueError(f"the JSON does not match the schema ({where}: {first['msg']})") from exc


_CITE_IN_TEXT = re.compile(r"\s*((?:\[\d+(?:\s*[,，-]\s*\d+)*\])+)\s*[。.]?\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _clean(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", text).split())


def _split_cites(text: str) -> tuple[str, list[int]]:
    """Bullet text without trailing ``[3][5]`` markers (models add them despite the prompt), and those n."""
    m = _CITE_IN_TEXT.search(text)
    if not m:
        return text, []
    nums = [int(x) for x in re.findall(r"\d+", m.group(1))]
    return text[: m.start()].rstrip(), nums


def shape(out: SummaryOut, doc: Document, template: str, language: str, backend: str) -> Summary:
    """Force the reply into the template: fixed sections first and in order, bounded sizes, clean text.

    Headings the model invents are kept only as themed groups after the fixed sections, so a document
    that tells the model to "add a section" cannot change the summary's opening structure."""
    tpl = template_for(template)
    fixed: dict[str, list[Bullet]] = {h: [] for h in tpl.first}
    groups: list[Section] = []
    for sec in out.sections:
        heading = _clean(sec.heading)[:80] or "Notes"
        bullets = []
        for b in sec.bullets:
            text, extra = _split_cites(_clean(b.text))
            if not text:
                continue
            cites = list(dict.fromkeys([*b.cites, *extra]))[:6]
            bullets.append(Bullet(text[:600], cites))
        key = _fixed_key(heading, tpl.first)
        if key:
            fixed[key].extend(bullets)
        elif bullets and heading.lower() != SUMMARY_BY_SECTIONS.lower():
            groups.append(Section(heading, bullets[:5]))
    sections: list[Section] = []
    if INVESTMENT_RATING in fixed:
        rating_bullets = fixed[INVESTMENT_RATING][:1] or [Bullet(NO_RATING[language], [])]
        sections.append(Section(INVESTMENT_RATING, rating_bullets))
    sections.append(Section(CORE_INSIGHTS, fixed[CORE_INSIGHTS][:5]))
    if template == "report" and groups:
        sections.append(Section(SUMMARY_BY_SECTIONS, []))
        sections.extend(groups[:10])
    else:
        sections.extend(groups[:4])
    rating = _clean(out.rating)[:40] if out.rating else None
    return Summary(
        doc_id=doc.id,
        template=template,
        language=language,
        backend=backend,
        created_at=datetime.now(UTC),
        sections=sections,
        rating=rating or None,
        template_version=TEMPLATE_VERSION,
    )


def _fixed_key(heading: str, fixed: tuple[str, ...]) -> str | None:
    low = heading.lower()
    for h in fixed:
        if low == h.lower():
            return h
    if CORE_INSIGHTS in fixed and low in ("core viewpoint", "core viewpoints", "key points", "核心观点", "核心要点"):
        return CORE_INSIGHTS
    if INVESTMENT_RATING in fixed and low in ("rating", "投资评级"):
        return INVESTMENT_RATING
    return None


def parts_of(paragraphs: list[Paragraph], budget: int) -> list[list[Paragraph]]:
    """Consecutive runs of paragraphs of at most ``budget`` characters each (a longer paragraph is alone)."""
    parts: list[list[Paragraph]] = []
    run: list[Paragraph] = []
    size = 0
    for p in paragraphs:
        n = len(p.text) + 8
        if run and size + n > budget:
            parts.append(run)
            run, size = [], 0
        run.append(p)
        size += n
    if run:
        parts.append(run)
    return parts


# -- the summarizer ----------------------------------------------------------------------------------------
class LLMSummarizer:
    """A Summarizer over a ChatClient. ``verify`` (summary, document) → summary sets each bullet's check."""

    template_version = TEMPLATE_VERSION

    def __init__(
        self,
        client: ChatClient,
        verify: Callable[[Summary, Document], Summary] | None = None,
        name: str | None = None,
    ):
        self.client = client  # anything with ``cfg`` and ``complete(messages, schema)`` (see llamacpp.py)
        self.cfg = client.cfg
        self.name = name or self.cfg.backend
        self.verify = verify

    def summarize(self, doc: Document) -> Summary:
        if not doc.paragraphs:
            raise SummaryFailed(f"document {doc.id} has no paragraphs to summarize")
        template = pick_template(doc.doc_type)
        language = output_language(self.cfg.language, doc)
        system = system_prompt(template_for(template), language)
        parts = parts_of(doc.paragraphs, self.cfg.context_chars)
        if len(parts) == 1:
            out = self._ask(system, document_block(doc, parts[0]))
        else:
            partials = [self._ask(system, document_block(doc, p, (i, len(parts)))) for i, p in enumerate(parts, 1)]
            try:
                out = self._ask(system, merge_prompt(doc, partials))
            except SummaryFailed:
                out = _concat(partials)  # the parts' own bullets, in document order, still cited
        summary = shape(out, doc, template, language, self.name)
        return self.verify(summary, doc) if self.verify else summary

    def _ask(self, system: str, user: str) -> SummaryOut:
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        reply = self.client.complete(messages, output_schema())
        try:
            return parse_reply(reply)
        except ValueError as first:
            messages += [
                {"role": "assistant", "content": reply[:8000]},
                {"role": "user", "content": REPAIR.format(error=first)},
            ]
            again = self.client.complete(messages, output_schema())
            try:
                return parse_reply(again)
            except ValueError as second:
                raise SummaryFailed(f"the model's reply was unusable twice: {first}; then {second}") from second


def _concat(partials: list[SummaryOut]) -> SummaryOut:
    by_heading: dict[str, list] = {}
    for s in partials:
        for sec in s.sections:
            by_heading.setdefault(sec.heading, []).extend(sec.bullets)
    rating = next((s.rating for s in partials if s.rating), None)
    return SummaryOut.model_validate(
        {
            "rating": rating,
            "sections": [{"heading": h, "bullets": [b.model_dump() for b in bs]} for h, bs in by_heading.items()],
        }
    )
