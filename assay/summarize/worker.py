"""Background summaries: a worker drains the store's queue with bounded concurrency.

The main thread claims jobs and writes results (all store access stays on one thread); a pool of
``concurrency`` threads runs ``summarize`` (for LLM backends that is waiting on HTTP). A result is
written with its job's "done" in one transaction (``Store.finish``); a job in flight when the process
dies is leased to the next worker once its lease runs out, or at once when its worker's process is gone.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from ..errors import AssayError, NotFound
from ..model import Document, Summary
from ..settings import Settings
from ..store.queue import MAX_ATTEMPTS, Job, worker_name
from ..store.rows import summary_row
from .base import Summarizer


@dataclass
class WorkerReport:
    done: int = 0
    failed: int = 0
    retried: int = 0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        return f"{self.done} summarized · {self.failed} failed · {self.retried} to retry"


def backend_key(settings: Settings, backend: str | None = None) -> str:
    """The cache and queue key of a backend: LLM backends include their model (a new model, new summaries)."""
    name = backend or settings.summary_backend
    if name == "openai":
        return f"openai:{settings.llm_model}"
    if name == "llamacpp":
        model = settings.llamacpp_model
        return f"llamacpp:{model.stem if model else 'default'}"
    return name


def make_summarizer(settings: Settings, backend: str | None = None) -> Summarizer:
    """The summarizer for ``backend`` (default: the setting), configured from settings."""
    name = backend or settings.summary_backend
    if name == "extractive":
        from .extractive import ExtractiveSummarizer

        return ExtractiveSummarizer()
    if name == "openai":
        from .llm import ChatClient, LLMConfig, LLMSummarizer

        if not settings.llm_base_url:
            raise AssayError("the openai backend needs an endpoint: set ASSAY_LLM_BASE_URL (e.g. http://host:8000/v1)")
        cfg = LLMConfig(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key or os.environ.get("OPENAI_API_KEY"),
            timeout=settings.llm_timeout,
            retries=settings.llm_retries,
            context_chars=settings.llm_context_chars,
            language=settings.summary_language,
        )
        return LLMSummarizer(ChatClient(cfg), verify=_verifier())
    if name == "llamacpp":
        from .llamacpp import LlamaCppSummarizer

        return LlamaCppSummarizer.from_settings(settings, verify=_verifier())
    raise AssayError(f"unknown summary backend {name!r}; choose extractive, openai or llamacpp")


def _verifier():
    try:
        from .verify import verify_summary
    except ImportError:  # the verifier is part of the package; this only guards partial checkouts
        return None
    return verify_summary


def _row(summary: Summary, doc: Document) -> tuple:
    """The summaries row of a summary the worker made, as ingest writes it: its bullets checked against the
    document (LLM summarizers check their own; the extractive one leaves that to its caller), and a bullet
    found verbatim in the paragraph it cites stored as that span."""
    checks = [b.check for sec in summary.sections for b in sec.bullets]
    if checks and all(c == "unchecked" for c in checks):  # not checked at all (a summarizer that did check
        from .verify import verify_summary  # may have used a glossary: its checks are kept)

        summary = verify_summary(summary, doc)
    return summary_row(summary, doc.content_hash, [p.text for p in doc.paragraphs])


class SummaryWorker:
    def __init__(
        self,
        store,
        summarizer: Summarizer,
        *,
        concurrency: int = 4,
        lease_s: float = 600.0,
        retry_s: float = 30.0,
        name: str | None = None,
        batch: int = 64,
    ):
        self.store = store
        self.summarizer = summarizer
        self.backend = summarizer.name
        self.concurrency = max(1, concurrency)
        self.lease_s = lease_s
        self.retry_s = retry_s
        self.name = name or worker_name()
        self.batch = max(1, batch)
        # a summarizer that computes in this process (extractive) gains nothing from threads: its jobs are
        # claimed, read and written ``batch`` at a time instead (one transaction each way, not one a job)
        self.inline = bool(getattr(summarizer, "runs_inline", False))

    def run(
        self,
        *,
        once: bool = False,
        stop: threading.Event | None = None,
        poll_s: float = 1.0,
        on_done: Callable[[Job, bool], None] | None = None,
    ) -> WorkerReport:
        """Drain the queue. ``once``: return when nothing is left to do; else poll until ``stop`` is set."""
        stop = stop or threading.Event()
        report = WorkerReport()
        if self.inline:
            return self._run_inline(once, stop, poll_s, on_done, report)
        in_flight: dict[Future, tuple[Job, Document]] = {}
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="assay-summary") as pool:
            try:
                while not stop.is_set():
                    free = self.concurrency - len(in_flight)
                    claimed = self.store.claim(self.name, free, self.lease_s, self.backend) if free else []
                    for job in claimed:
                        doc = self._document(job, report)
                        if doc is not None:
                            in_flight[pool.submit(self.summarizer.summarize, doc)] = (job, doc)
                    if not in_flight:
                        if once and not claimed:
                            break
                        if not claimed:
                            stop.wait(poll_s)
                        continue
                    finished, _ = wait(in_flight, timeout=poll_s, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        job, doc = in_flight.pop(fut)
                        ok = self._record(job, doc, fut, report)
                        if on_done:
                            on_done(job, ok)
            finally:
                for fut in in_flight:
                    fut.cancel()
                self.store.release([job for job, _doc in in_flight.values()], self.name)
        return report

    def _run_inline(self, once: bool, stop: threading.Event, poll_s: float, on_done, report: WorkerReport):
        while not stop.is_set():
            jobs = self.store.claim(self.name, self.batch, self.lease_s, self.backend)
            if not jobs:
                if once:
                    break
                stop.wait(poll_s)
                continue
            docs = self.store.get_documents(list({j.doc_id for j in jobs}))
            results: list[tuple[Job, tuple | None]] = []
            made: list[Job] = []
            left = list(jobs)
            try:
                while left and not stop.is_set():
                    job = left.pop(0)
                    doc = self._usable(job, docs.get(job.doc_id), report)
                    if doc is None:
                        continue
                    try:
                        row = _row(self.summarizer.summarize(doc), doc)
                    except Exception as exc:  # noqa: BLE001 - recorded as the job's error, as _record does
                        self._record_error(job, exc, report)
                        if on_done:
                            on_done(job, False)
                        continue
                    results.append((job, row))
                    made.append(job)
            finally:
                written = self.store.finish_many(results, self.name)
                report.done += sum(j.id in written for j in made)
                self.store.release(left, self.name)
            if on_done:
                for job in made:
                    on_done(job, True)
        return report

    def _document(self, job: Job, report: WorkerReport) -> Document | None:
        try:
            doc = self.store.get_document(job.doc_id)
        except NotFound:
            doc = None
        return self._usable(job, doc, report)

    def _usable(self, job: Job, doc: Document | None, report: WorkerReport) -> Document | None:
        """The job's document when there is something to summarize: a document gone from the store fails
        the job; one changed since it was queued ends it without a summary (its new text has its own job)."""
        if doc is None:
            self.store.fail(job, self.name, "the document is no longer in the store", None)
            report.failed += 1
            return None
        if doc.content_hash != job.content_hash:
            self.store.finish(job, self.name, None)
            return None
        return doc

    def _record(self, job: Job, doc: Document, fut: Future, report: WorkerReport) -> bool:
        try:
            summary = fut.result()
        except Exception as exc:  # noqa: BLE001 - see _record_error
            self._record_error(job, exc, report)
            return False
        if self.store.finish(job, self.name, _row(summary, doc)):
            report.done += 1
        return True

    def _record_error(self, job: Job, exc: Exception, report: WorkerReport) -> None:
        """A summarizer error: retried later (a SummaryFailed is final). A bug or an unexpected library
        error does not stop the worker either."""
        if isinstance(exc, AssayError):
            retry = None if type(exc).__name__ == "SummaryFailed" else self.retry_s * job.attempts
            self._failed(job, f"{type(exc).__name__}: {exc.message}", retry, report)
        else:
            self._failed(job, f"{type(exc).__name__}: {exc}", self.retry_s * job.attempts, report)

    def _failed(self, job: Job, error: str, retry: float | None, report: WorkerReport) -> None:
        self.store.fail(job, self.name, error, retry)
        if retry is not None and job.attempts < MAX_ATTEMPTS:
            report.retried += 1
        else:
            report.failed += 1
            report.errors.append(f"{job.doc_id}: {error}")
