"""Search quality: an evaluation, not a test. Scores ``Searcher.search`` on graded relevance judgments and on
known-item lookups, beside plain BM25 measured in the same run.

1. **Topic queries** (``../shared/data/zh_search_judged_dev.jsonl.gz``: 12 Chinese topic queries, documents
   graded by reading: 2 mainly about the topic, 1 substantial content on it, 0 a passing mention or another
   sense), over a store of the eight corpora the judgments were made on. For each query and ranking, the
   top 10 (one card per story, as the page shows them):
   - ``P@10``: the share of the cards graded ≥ 1; ``P2``: the share graded 2; ``judged``: the share of the
     cards that have a judgment (an unjudged card counts as not relevant; it must be read and judged);
   - ``nDCG@10`` (gain = grade, the ideal from every judged document of the query);
   - for the default page, whether it is newest first.
   Rankings: ``smart`` (the default page), ``latest`` (every match by time: the old default), ``relevance``,
   and plain BM25 (tantivy over rjieba words of title + text, every query word OR'ed, no title weight, no
   stories). Judgments are the shared file's plus ours (``bench/judgments_search.jsonl``, same fields, each
   made by reading the document). Cards without a judgment are written to ``bench/out/unjudged_search.jsonl``
   (with their text) to be read and judged.
2. **Known item** (FinNA): each of the 6,195 flashes' one-sentence human summary must find that flash among
   all of them (titles dropped: FinNA's titles are often the summary itself). nDCG@10 (one relevant
   document) and Recall@10 for the default sort and ``relevance``, beside plain BM25 over the same words.
3. **CMRC2018** question → paragraph (as ``tests/test_quality_retrieval.py``), with the default ``match``
   (``auto``) and with ``any``.

    python bench/eval_search.py                       # all three; stores under /tmp/assay-bench
    python bench/eval_search.py --only topics --show  # the default page of every query, card by card

Writes bench/out/eval_search.json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # measure this checkout, not an installed assay
import corpus  # noqa: E402

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
OURS = HERE / "judgments_search.jsonl"
# the store the shared judgments were made over ("every news corpus here", ../shared/data/README.md)
JUDGED_CORPORA = [
    "zh_news_cctv_xwlb",
    "zh_finnews_finnl",
    "zh_finnews_finna",
    "zh_broker_research_digests",
    "zh_wechat_market_commentary",
    "en_news_reuters21578",
    "zh_broker_reports_pdf_text",
    "en_summ_ectsum",
]
K = 10


def _jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _workspace(home: Path, files: list[Path], **settings):
    """A store of these files (built once, then reused)."""
    from assay.ingest.pipeline import Ingestor
    from assay.settings import Settings
    from assay.workspace import Workspace

    fresh = not (home / "assay.db").exists()
    ws = Workspace(Settings(home=home, summarize_on_ingest=False, **settings))
    if fresh:
        t = time.perf_counter()
        report = Ingestor(ws.store, ws.index, ws.settings).run(files)
        print(f"built {home}: {report.line()} in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return ws


# -- plain BM25 ---------------------------------------------------------------------------------------
class PlainBM25:
    """The baseline: one tantivy field of rjieba words (title + text, folded as assay folds), BM25 over
    every query word OR'ed. In memory, built in the run that uses it."""

    def __init__(self, docs):
        import rjieba
        import tantivy

        from assay.text.normalize import fold
        from assay.text.segment import ANALYZER_NAME, build_analyzer

        self._cut = lambda text: " ".join(rjieba.cut(fold(text)))
        sb = tantivy.SchemaBuilder()
        sb.add_text_field("key", stored=True, tokenizer_name="raw")
        sb.add_text_field("text", tokenizer_name=ANALYZER_NAME)
        self.schema = sb.build()
        self.index = tantivy.Index(self.schema)
        self.index.register_tokenizer(ANALYZER_NAME, build_analyzer())
        self.analyzer = build_analyzer()
        w = self.index.writer(heap_size=200_000_000, num_threads=1)
        for key, text in docs:
            w.add_document(tantivy.Document(key=key, text=self._cut(text)))
        w.commit()
        w.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()

    def search(self, query: str, k: int = K) -> list[str]:
        import tantivy

        terms = list(dict.fromkeys(self.analyzer.analyze(self._cut(query))))
        if not terms:
            return []
        q = tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "text", t)) for t in terms]
        )
        return [self.searcher.doc(a)["key"][0] for _, a in self.searcher.search(q, k).hits]


def _store_texts(ws):
    for doc in ws.store.iter_documents():
        yield doc.id, f"{doc.title}\n" + "\n".join(p.text for p in doc.paragraphs)


# -- metrics ------------------------------------------------------------------------------------------
def ndcg(gains: list[float], ideal: list[float], k: int = K) -> float:
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains[:k]))
    best = sum(g / math.log2(i + 2) for i, g in enumerate(sorted(ideal, reverse=True)[:k]))
    return dcg / best if best else 0.0


class Judgments:
    """Grades by (query, record id): the shared file's, then ours (which may add, never override)."""

    def __init__(self, shared: Path, ours: Path):
        self.rows = _jsonl(shared)
        self.grade: dict[tuple[str, str], int] = {(r["query"], r["doc_id"]): int(r["grade"]) for r in self.rows}
        self.added = 0
        if ours.exists():
            for r in _jsonl(ours):
                key = (r["query"], r["doc_id"])
                if key not in self.grade:
                    self.grade[key] = int(r["grade"])
                    self.added += 1
        self.queries: dict[str, dict] = {}
        for r in self.rows:
            self.queries.setdefault(r["query"], {"query_id": r["query_id"], "meaning": r["meaning"]})

    def of(self, query: str, record_ids: list[str]) -> int | None:
        found = [self.grade[(query, r)] for r in record_ids if (query, r) in self.grade]
        return max(found) if found else None

    def ideal(self, query: str) -> list[float]:
        return [g for (q, _), g in self.grade.items() if q == query]


def _score(grades: list[int | None], ideal: list[float]) -> dict[str, float]:
    n = len(grades)
    return {
        "p10": sum(1 for g in grades if g is not None and g >= 1) / n if n else 0.0,
        "p2": sum(1 for g in grades if g == 2) / n if n else 0.0,
        "judged": sum(1 for g in grades if g is not None) / n if n else 1.0,
        "ndcg10": ndcg([float(g or 0) for g in grades], ideal),
        "cards": n,
    }


def topics(args) -> dict:
    judgments = Judgments(corpus.DATA / "zh_search_judged_dev.jsonl.gz", OURS)
    ws = _workspace(args.judged_dir, [corpus.DATA / f"{name}.jsonl.gz" for name in JUDGED_CORPORA])
    t = time.perf_counter()
    plain = PlainBM25(_store_texts(ws))
    print(f"plain BM25 index: {time.perf_counter() - t:.0f} s", file=sys.stderr)
    record_ids: dict[str, list[str]] = {}

    def records(doc_id: str) -> list[str]:
        if doc_id not in record_ids:
            record_ids[doc_id] = ws.store.external_ids(doc_id) or [doc_id]
        return record_ids[doc_id]

    rankings = ("smart", "latest", "relevance", "bm25")
    per: dict[str, dict[str, dict]] = defaultdict(dict)
    unjudged: dict[tuple[str, str], dict] = {}
    newest_first = True
    for query, meta in judgments.queries.items():
        ideal = judgments.ideal(query)
        for name in rankings:
            if name == "bm25":
                ids = plain.search(query)
                dates = None
            else:
                res = ws.searcher.search(query, sort=name, limit=K, with_summaries=False)
                ids = [h.id for h in res.hits]
                dates = [h.published_at for h in res.hits]
                if name == "smart":
                    known = [d for d in dates if d is not None]
                    ordered = known == sorted(known, reverse=True) and dates[: len(known)] == known
                    newest_first &= ordered
                    per[name][query + " #about"] = {"about": res.about, "mentions": res.mentions}
                    if args.show:
                        _show(ws, query, res, judgments, records)
            grades = [judgments.of(query, records(i)) for i in ids]
            per[name][query] = _score(grades, ideal)
            for doc_id, g in zip(ids, grades, strict=True):
                if g is None and name in ("smart", "relevance"):
                    unjudged.setdefault((query, doc_id), {"rankings": []})["rankings"].append(name)
    OUT.mkdir(exist_ok=True)
    with open(OUT / "unjudged_search.jsonl", "w", encoding="utf-8") as f:
        for (query, doc_id), extra in sorted(unjudged.items()):
            doc = ws.store.get_document(doc_id)
            f.write(
                json.dumps(
                    {
                        "query_id": judgments.queries[query]["query_id"],
                        "query": query,
                        "meaning": judgments.queries[query]["meaning"],
                        "doc_id": records(doc_id)[0],
                        "record_ids": records(doc_id),
                        "rankings": extra["rankings"],
                        "title": doc.title,
                        "source": doc.source,
                        "published_at": doc.published_at.isoformat() if doc.published_at else None,
                        "text": "\n".join(p.text for p in doc.paragraphs),
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    ws.close()
    summary = {}
    print(f"\ntopic queries ({len(judgments.queries)}; {judgments.added} judgments of ours beside the shared ones)")
    print(f"{'ranking':<11}{'P@10':>7}{'P2':>7}{'nDCG@10':>9}{'judged':>8}")
    for name in rankings:
        rows = [v for k, v in per[name].items() if not k.endswith("#about")]
        mean = {m: sum(r[m] for r in rows) / len(rows) for m in ("p10", "p2", "ndcg10", "judged")}
        summary[name] = {m: round(v, 4) for m, v in mean.items()}
        print(f"{name:<11}{mean['p10']:>7.3f}{mean['p2']:>7.3f}{mean['ndcg10']:>9.3f}{mean['judged']:>8.3f}")
    print(f"default page newest first: {newest_first}; unjudged cards (smart, relevance): {len(unjudged)}")
    print("per query (smart P@10 / judged · relevance nDCG@10 · latest P@10 · bm25 P@10):")
    for query in judgments.queries:
        s, lt, r, b = (per[n][query] for n in rankings)
        about = per["smart"][query + " #about"]
        print(
            f"  {query:<8} {s['p10']:.2f}/{s['judged']:.2f} ({s['cards']} cards; about {about['about']}, "
            f"mentions {about['mentions']}) · {r['ndcg10']:.3f} · {lt['p10']:.2f} · {b['p10']:.2f}"
        )
    return {
        "summary": summary,
        "newest_first": newest_first,
        "unjudged": len(unjudged),
        "our_judgments": judgments.added,
        "per_query": per,
    }


def _show(ws, query, res, judgments, records) -> None:
    print(f"\n== {query}: {res.total} match, {res.about} about, {res.mentions} mention")
    for h in res.hits:
        g = judgments.of(query, records(h.id))
        when = h.published_at.date().isoformat() if h.published_at else "—"
        print(f"  [{'?' if g is None else g}] {h.aboutness:.2f} {when} {records(h.id)[0]:<32} {h.title[:50]}")


# -- known item ---------------------------------------------------------------------------------------
def known_item(args) -> dict:
    recs = _jsonl(corpus.DATA / "zh_finnews_finna.jsonl.gz")
    recs = [r for r in recs if r.get("text") and r.get("summary")]
    tmp = args.cache / "finna-untitled.jsonl"
    if not tmp.exists():
        tmp.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as f:
            for r in recs:
                f.write(json.dumps({**r, "title": None}, ensure_ascii=False) + "\n")
    ws = _workspace(args.cache / "finna-untitled", [tmp])
    plain = PlainBM25((r["id"], r["text"]) for r in recs)
    same: dict[str, set[str]] = {}  # flashes with the very same text are one document: either record finds it
    for r in recs:
        same.setdefault(r["text"], set()).add(r["id"])
    twins = {r["id"]: same[r["text"]] for r in recs}
    found: dict[str, list[float]] = defaultdict(list)

    def stories(query: str, sort: str, collapse: bool) -> list[set[str]]:
        """Each card's document ids: its own, and with collapse its story's other documents (listed on it)."""
        res = ws.searcher.search(query, sort=sort, limit=K, with_summaries=False, collapse=collapse)
        return [{h.id, *(m.id for m in h.similar)} for h in res.hits]

    t = time.perf_counter()
    for r in recs:
        want = ws.store.resolve(r["id"])
        runs = {
            "default (stories)": stories(r["summary"], "smart", True),
            "relevance (stories)": stories(r["summary"], "relevance", True),
            "relevance (documents)": stories(r["summary"], "relevance", False),
            "bm25": [twins[key] for key in plain.search(r["summary"])],
        }
        for name, cards in runs.items():
            target = r["id"] if name == "bm25" else want
            rank = next((i for i, ids in enumerate(cards) if target in ids), None)
            found[name].append(1 / math.log2(rank + 2) if rank is not None else 0.0)
            found[name + " R@10"].append(1.0 if rank is not None else 0.0)
    ws.close()
    out = {k: round(sum(v) / len(v), 4) for k, v in found.items()}
    print(f"\nknown item (FinNA, {len(recs)} summaries → their flash; {time.perf_counter() - t:.0f} s)")
    for name in ("default (stories)", "relevance (stories)", "relevance (documents)", "bm25"):
        print(f"  {name:<22} nDCG@10 {out[name]:.4f}  R@10 {out[name + ' R@10']:.4f}")
    return out


# -- CMRC2018 -----------------------------------------------------------------------------------------
def cmrc(args) -> dict:
    queries = _jsonl(corpus.DATA / "zh_retrieval_cmrc2018_queries.jsonl.gz")
    qrels: dict[str, set[str]] = defaultdict(set)
    for r in _jsonl(corpus.DATA / "zh_retrieval_cmrc2018_qrels.jsonl.gz"):
        if int(r["relevance"]) > 0:
            qrels[r["query_id"]].add(r["doc_id"])
    queries = [q for q in queries if q["id"] in qrels]
    ws = _workspace(args.cache / "cmrc2018", [corpus.DATA / "zh_retrieval_cmrc2018_corpus.jsonl.gz"])
    out = {}
    for match in ("auto", "any"):
        nd = rec = 0.0
        for q in queries:
            res = ws.searcher.search(q["text"], sort="relevance", limit=K, match=match, with_summaries=False)
            ranked = [h.external_id for h in res.hits]
            rel = qrels[q["id"]]
            nd += ndcg([1.0 if e in rel else 0.0 for e in ranked], [1.0] * len(rel))
            rec += len(rel & set(ranked)) / len(rel)
        out[match] = {"ndcg10": round(nd / len(queries), 4), "recall10": round(rec / len(queries), 4)}
    print(f"\nCMRC2018 ({len(queries)} questions): " + " · ".join(f"match={m} {v}" for m, v in out.items()))
    # passages: the question's gold paragraph among the first five passages, beside BM25 over the paragraphs
    paragraphs = [
        (f"{doc.external_id or doc.id}#{p.n}", p.text) for doc in ws.store.iter_documents() for p in doc.paragraphs
    ]
    plain = PlainBM25(paragraphs)
    got = {"passages": 0.0, "bm25 paragraphs": 0.0}
    times = []
    for q in queries:
        t = time.perf_counter()
        res = ws.searcher.passages(q["text"], limit=5)
        times.append((time.perf_counter() - t) * 1000)
        rel = qrels[q["id"]]
        got["passages"] += any(p.external_id in rel for p in res.passages)
        got["bm25 paragraphs"] += any(key.split("#")[0] in rel for key in plain.search(q["text"], 5))
    ws.close()
    out["passages_recall5"] = {k: round(v / len(queries), 4) for k, v in got.items()}
    out["passages_p50_ms"] = round(sorted(times)[len(times) // 2], 2)
    print(f"passages Recall@5: {out['passages_recall5']} (p50 {out['passages_p50_ms']} ms on 1,104 documents)")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["topics", "known", "cmrc"], action="append")
    ap.add_argument("--cache", type=Path, default=corpus.CACHE / "eval-search", help="stores built for the evaluation")
    ap.add_argument("--judged-dir", type=Path, help="the judged store (default: under --cache)")
    ap.add_argument("--show", action="store_true", help="print the default page of every topic query")
    args = ap.parse_args()
    args.judged_dir = args.judged_dir or args.cache / "judged-dev"
    parts = args.only or ["topics", "known", "cmrc"]
    res = {"date": time.strftime("%Y-%m-%dT%H:%M:%S"), "library": corpus.library_version()}
    if "topics" in parts:
        res["topics"] = topics(args)
    if "known" in parts:
        res["known_item"] = known_item(args)
    if "cmrc" in parts:
        res["cmrc2018"] = cmrc(args)
    OUT.mkdir(exist_ok=True)
    (OUT / "eval_search.json").write_text(json.dumps(res, ensure_ascii=False, indent=2, default=str))
    print(f"→ {OUT / 'eval_search.json'}")


if __name__ == "__main__":
    main()
