"""Hostile documents: every string a document carries holds a script payload that, if it ever ran, would set
``window.__xss`` (or open a dialog). The web tests render them and prove nothing runs."""

from __future__ import annotations

FLAG = "window.__xss"

PAYLOADS = [
    f"<script>{FLAG}=1</script>",
    f'<img src=x onerror="{FLAG}=2">',
    f'"><svg onload="{FLAG}=3">',
    f"</textarea><script>{FLAG}=4</script>",
    f"</title><script>{FLAG}=5</script>",
    f"javascript:{FLAG}=6",
    f'<a href="javascript:{FLAG}=7">click me</a>',
    f'<iframe srcdoc="<script>parent.{FLAG}=8</script>"></iframe>',
    "<script>alert(9)</script>",
]


def hostile_records() -> list[dict]:
    """Records whose title, text, source and url carry the payloads (all mention 稀土 and 'xsstest')."""
    out = []
    for i, p in enumerate(PAYLOADS):
        out.append(
            {
                "id": f"xss-{i}",
                "title": f"稀土 xsstest {p}",
                "text": f"稀土 xsstest 第一段 {p}\n\n[click](javascript:{FLAG}=10) 第二段 {p} 稀土\n\n第三段 {p}",
                "source": f"source {p}",
                "url": f"javascript:{FLAG}=11;{i}" if i % 2 else None,
                "published_at": f"2001-01-{i + 1:02d}T09:00:00+08:00",  # older than the demo corpus
                "doc_type": "news",
            }
        )
    return out
