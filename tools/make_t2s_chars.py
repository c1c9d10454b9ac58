"""Write assay/text/t2s_chars.txt: the CJK characters OpenCC's t2s changes (so fold() can skip OpenCC
for text that has none). Re-run after upgrading opencc."""

from pathlib import Path

from assay.text.normalize import traditional_chars

out = Path(__file__).resolve().parents[1] / "assay" / "text" / "t2s_chars.txt"
chars = traditional_chars()
out.write_text(chars + "\n", encoding="utf-8")
print(f"{len(chars)} characters → {out}")
