"""Cross-lingual search quality: an evaluation, not a test. English topic queries over Chinese documents.

Two corpora:

1. **The 5,000-document set** (issue 17): all 913 broker-research digests and the first 4,087 FinNA flashes
   (``../shared/data``). A document is relevant to a topic when it holds the topic's Chinese words (each
   group of ``TOPICS`` must be present, any of its forms): a rule, stated with the topics below, as the issue
   measured it; an English document (there are none in this set) by the topic's English words.
2. **The news corpus**: the eight corpora of the judged development set (64k documents, the store
   ``bench/eval_search.py`` builds), with the same rule; ``--show`` prints each default page card by card
   for reading.

Besides the rule, the default pages' cards were read and graded (``bench/judgments_crosslingual.jsonl``, 465
judgments; 2 = mainly about the topic, 1 = substantial content on it, 0 = a passing mention or another sense):
``P read`` is the share of a page's cards graded ≥ 1, ``judged`` the share of cards that have a grade (a new
card must be read and added).

For each topic and ranking: the default page (one card per story, a card relevant when its document is):
its precision (relevant cards over the cards shown: the smart sort shows only the documents about the query,
which may be fewer than 10) and how many cards it shows; P@10 and R@100 of ``sort=relevance`` by document
(R@100: the relevant documents in the first 100 over min(100, all relevant)). Rankings:

- ``english words`` — ``mode=keywords``: the English words as written (the baseline, same run);
- ``dictionary`` — ``mode=hybrid`` without vectors: each span also searched as its Chinese renderings (the
  finance glossary, then CC-CEDICT), the words as written too;
- ``embeddings`` — ``mode=semantic``: the documents nearest the query (USE multilingual vectors of title and
  lead; made here first where the store lacks them);
- ``fused`` — ``mode=hybrid``, the default for an English query: the two, by weighted reciprocal rank fusion.

The topics are ours (written for the field, not taken from any test set); the translation was tuned on them.

    python bench/eval_crosslingual.py                 # both corpora; stores under /tmp/assay-bench
    python bench/eval_crosslingual.py --only set5k --show

Writes bench/out/eval_crosslingual.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # measure this checkout, not an installed assay
import corpus  # noqa: E402
from eval_search import JUDGED_CORPORA, _jsonl, _workspace  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
# the default pages' cards graded by reading (2 mainly about the topic, 1 substantial content on it, 0 a passing
# mention or another sense), as the judged development set was; made for this evaluation, one line a card
READ = Path(__file__).resolve().parent / "judgments_crosslingual.jsonl"
K = 10
DEEP = 100

# English query → the Chinese words a document must hold to be about it: every group, any form of each
TOPICS: list[tuple[str, list[list[str]], list[list[str]]]] = [
    # (query, Chinese groups, English groups: for English documents, matched in lower case)
    (
        "rare earth export controls",
        [["稀土"], ["出口管制", "出口管控", "出口限制", "出口许可"]],
        [["rare earth"], ["export control", "export restriction", "export ban", "export licen"]],
    ),
    ("lithium battery", [["锂电池", "锂电", "锂离子电池"]], [["lithium"], ["batter"]]),
    ("semiconductor", [["半导体"]], [["semiconductor"]]),
    ("gold price", [["金价", "黄金价格", "黄金"]], [["gold"], ["price"]]),
    ("oil prices", [["油价", "原油价格", "原油"]], [["oil price", "crude price", "price of oil", "crude oil"]]),
    ("interest rates", [["利率"]], [["interest rate"]]),
    ("northbound capital", [["北向资金", "北上资金"]], [["northbound"]]),
    ("RRR cut", [["降准"]], [["reserve requirement"]]),
    ("special bonds", [["专项债"]], [["special bond", "special-purpose bond"]]),
    ("property market", [["房地产", "楼市", "房市"]], [["property market", "housing market", "real estate"]]),
    ("new energy vehicles", [["新能源汽车", "新能源车"]], [["new energy vehicle", "electric vehicle"]]),
    ("photovoltaic", [["光伏"]], [["photovoltaic", "solar"]]),
    ("Fed rate hike", [["美联储"], ["加息"]], [["fed", "federal reserve"], ["rate hike", "raise rates", "tighten"]]),
    ("yuan exchange rate", [["人民币"], ["汇率"]], [["yuan", "renminbi"], ["exchange rate"]]),
    ("volume-based procurement", [["集采", "带量采购", "集中采购"]], [["volume-based procurement"]]),
    ("Ministry of Commerce", [["商务部"]], [["ministry of commerce", "commerce ministry", "commerce department"]]),
    ("anti-dumping investigation", [["反倾销"]], [["anti-dumping", "antidumping", "dumping"]]),
    ("artificial intelligence", [["人工智能"]], [["artificial intelligence"]]),
    ("coal prices", [["煤价", "煤炭价格", "动力煤", "焦煤"]], [["coal"], ["price"]]),
    ("copper prices", [["铜价", "沪铜", "伦铜"]], [["copper"], ["price"]]),
    ("hog prices", [["猪价", "生猪", "猪肉价格"]], [["hog", "pork"], ["price"]]),
    ("inflation", [["通胀", "通货膨胀"]], [["inflation"]]),
    ("stabilizing growth", [["稳增长"]], [["stabiliz", "stabilis"], ["growth"]]),
    ("CATL", [["宁德时代"]], [["catl", "contemporary amperex"]]),
    ("Belt and Road", [["一带一路"]], [["belt and road"]]),
    ("rural revitalization", [["乡村振兴"]], [["rural revitali"]]),
    ("Hong Kong stocks", [["港股", "恒生指数", "恒指"]], [["hong kong"], ["stock", "shares", "hang seng"]]),
    ("steel industry", [["钢铁"]], [["steel"]]),
    ("wind power", [["风电", "风力发电"]], [["wind power", "wind energy", "wind farm", "wind turbine"]]),
    (
        "central bank liquidity",
        [["央行"], ["流动性", "逆回购", "MLF", "投放"]],
        [
            ["central bank", "fed", "federal reserve", "bundesbank"],
            ["liquidity", "money market", "repurchase", "reserves"],
        ],
    ),
]

# ranking → (mode, with vectors)
RANKINGS = {
    "english words": ("keywords", False),
    "dictionary": ("hybrid", False),
    "embeddings": ("semantic", True),
    "fused": ("hybrid", True),
}


def _docs_5k(cache: Path) -> Path:
    path = cache / "set5k.jsonl"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        digests = _jsonl(corpus.DATA / "zh_broker_research_digests.jsonl.gz")
        flashes = _jsonl(corpus.DATA / "zh_finnews_finna.jsonl.gz")[: 5000 - len(digests)]
        with open(path, "w", encoding="utf-8") as f:
            for r in digests + flashes:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


def _relevant(ws, topics) -> dict[str, set[str]]:
    """Each topic's relevant document ids (the rule above), over the store's title and text: a Chinese
    document by the Chinese groups, any other by the English ones (lower case)."""
    out: dict[str, set[str]] = {q: set() for q, _, _ in topics}
    for doc in ws.store.iter_documents():
        text = doc.title + "\n" + "\n".join(p.text for p in doc.paragraphs)
        if doc.lang != "zh":
            text = text.lower()
        for q, zh, en in topics:
            if all(any(w in text for w in g) for g in (zh if doc.lang == "zh" else en)):
                out[q].add(doc.id)
    return out


def _dump(ws, name: str, pages: dict[str, list]) -> None:
    """The default pages' cards with their text, to be read and judged (bench/judgments_crosslingual.jsonl)."""
    path = OUT / f"crosslingual_pages_{name}.jsonl"
    OUT.mkdir(exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for query, hits in pages.items():
            for rank, h in enumerate(hits, 1):
                doc = ws.store.get_document(h.id)
                text = "\n".join(p.text for p in doc.paragraphs)
                row = {"query": query, "rank": rank, "doc": doc.external_id or doc.id, "lang": doc.lang}
                f.write(json.dumps({**row, "title": doc.title, "text": text[:2500]}, ensure_ascii=False) + "\n")
    print(f"  cards to read → {path}")


def _read_grades() -> dict[tuple[str, str], int]:
    if not READ.exists():
        return {}
    with open(READ, encoding="utf-8") as f:
        return {(r["query"], r["doc"]): int(r["grade"]) for r in (json.loads(line) for line in f if line.strip())}


def evaluate(ws, name: str, show: bool, dump: str | None = None) -> dict:
    vectors = ws.searcher.vectors
    if vectors is None:
        raise SystemExit("the semantic extra is not installed: pip install -e '.[semantic]'")
    done, total = ws.store.vector_counts(vectors.model)
    if done < total:
        from assay.search.vectors import catch_up

        t = time.perf_counter()
        made = catch_up(ws.store, vectors)
        print(f"  vectors of {name}: {made} made in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    t = time.perf_counter()
    relevant = _relevant(ws, TOPICS)
    grades = _read_grades()
    rows: dict[str, dict[str, list[float]]] = {
        r: {"P default": [], "P read": [], "judged": [], "cards": [], "P@10 rel": [], "R@100": []} for r in RANKINGS
    }
    per_topic = []
    pages: dict[str, list] = {}
    for query, _, _ in TOPICS:
        rel = relevant[query]
        line = {"query": query, "relevant": len(rel)}
        for ranking, (mode, with_vectors) in RANKINGS.items():
            ws.searcher.vectors = vectors if with_vectors else None
            page = ws.searcher.search(query, mode=mode, limit=K, with_summaries=False)
            deep = ws.searcher.search(
                query, mode=mode, sort="relevance", limit=DEEP, collapse=False, with_summaries=False
            )
            p_default = sum(h.id in rel for h in page.hits) / max(1, len(page.hits))
            p_rel = sum(h.id in rel for h in deep.hits[:K]) / K
            recall = sum(h.id in rel for h in deep.hits) / max(1, min(DEEP, len(rel)))
            read = [grades.get((query, h.external_id or h.id)) for h in page.hits]
            graded = [g for g in read if g is not None]
            values = {
                "P default": p_default,
                "P read": sum(g >= 1 for g in graded) / max(1, len(page.hits)),
                "judged": len(graded) / max(1, len(page.hits)),
                "cards": len(page.hits),
                "P@10 rel": p_rel,
                "R@100": round(recall, 3),
            }
            for key, v in values.items():
                rows[ranking][key].append(v)
            line[ranking] = values
            if ranking == "dictionary":
                line["searched"] = page.translation["query"] if page.translation else None
            if ranking == "fused":
                pages[query] = page.hits
            if show and ranking == "fused":
                print(f"\n{query} → {line['searched']}  ({page.total} match, {len(rel)} relevant)")
                for h in page.hits:
                    when = h.published_at.date().isoformat() if h.published_at else "—"
                    print(f"  [{'+' if h.id in rel else ' '}] {h.aboutness:.2f} {when} {h.lang} {h.title[:60]}")
        per_topic.append(line)
    summary = {r: {k: round(statistics.mean(v), 3) for k, v in m.items()} for r, m in rows.items()}
    if dump:
        _dump(ws, dump, pages)
    print(f"\n{name} ({ws.store.count()} documents, {len(TOPICS)} English topics; {time.perf_counter() - t:.0f} s)")
    print(f"  {'ranking':<16}{'P default':>10}{'P read':>8}{'judged':>8}{'cards':>7}{'P@10 rel':>10}{'R@100':>8}")
    for r, m in summary.items():
        print(
            f"  {r:<16}{m['P default']:>10.3f}{m['P read']:>8.3f}{m['judged']:>8.3f}{m['cards']:>7.1f}"
            f"{m['P@10 rel']:>10.3f}{m['R@100']:>8.3f}"
        )
    ws.searcher.vectors = vectors
    print("  per topic (fused: P default (cards) / P@10 rel / R@100; searched as):")
    for line in per_topic:
        d = line["fused"]
        print(
            f"    {line['query']:<30} {d['P default']:.2f} ({d['cards']:>2}) / {d['P@10 rel']:.1f} / {d['R@100']:.2f}"
            f"  {line['searched']}"
        )
    return {"summary": summary, "topics": per_topic}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["set5k", "news"], action="append")
    ap.add_argument("--cache", type=Path, default=corpus.CACHE / "eval-search")
    ap.add_argument("--show", action="store_true", help="print the default page of every topic")
    ap.add_argument("--dump", action="store_true", help="write the default pages' cards, with text, for reading")
    args = ap.parse_args()
    parts = args.only or ["set5k", "news"]
    res = {"date": time.strftime("%Y-%m-%dT%H:%M:%S"), "library": corpus.library_version()}
    if "set5k" in parts:
        ws = _workspace(args.cache / "set5k", [_docs_5k(args.cache)])
        res["set5k"] = evaluate(ws, "5,000-document set (digests + FinNA)", args.show, "set5k" if args.dump else None)
        ws.close()
    if "news" in parts:
        ws = _workspace(args.cache / "judged-dev", [corpus.DATA / f"{n}.jsonl.gz" for n in JUDGED_CORPORA])
        res["news"] = evaluate(
            ws, "news corpus (the judged set's eight corpora)", args.show, "news" if args.dump else None
        )
        ws.close()
    OUT.mkdir(exist_ok=True)
    (OUT / "eval_crosslingual.json").write_text(json.dumps(res, ensure_ascii=False, indent=2))
    print(f"→ {OUT / 'eval_crosslingual.json'}")


if __name__ == "__main__":
    main()
