"""The web UI's words in English and Chinese, and the choice between them (setting, else Accept-Language)."""

from __future__ import annotations

LANGS = ("en", "zh")

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "search": "Search",
        "search_placeholder": "Search documents",
        "search_syntax": 'All words match; "a phrase"; -word leaves out; a OR b; source:… type:report lang:en'
        " since:2025-10-01 until:2025-10-31",
        "upload": "Upload",
        "workflows": "Workflows",
        "api": "API",
        "smart": "Smart",
        "smart_help": "Newest first among the documents about the query; those that only mention it are folded below",
        "latest": "Latest",
        "latest_help": "Every document that matches, newest first",
        "relevance": "Relevance",
        "mode": "Languages",
        "mode_auto": "Chosen by the query",
        "mode_keywords": "Keywords",
        "mode_hybrid": "Both languages",
        "mode_semantic": "Meaning",
        "mode_help": "Keywords: the words as written. Both languages: English words are also searched in Chinese "
        "(rare earth → 稀土) and Chinese words in English, with the documents nearest in meaning. Meaning: those "
        "alone",
        "translated_as": "Searched",
        "translated_for": "for",
        "translated_edit": "The words searched in the other language; edit them and search again",
        "translated_search": "Search these words",
        "source": "Source",
        "type": "Type",
        "language": "Language",
        "since": "From",
        "until": "To",
        "any": "Any",
        "apply": "Apply",
        "results": "{total} results",
        "results_about": "{total} results · {about} about it",
        "results_mentions": "{total} results · {mentions} only mention it",
        "results_long": "A long query: documents that match most of its words, best matches first.",
        "query_filters": "Filter taken from the query: {filters}",
        "listing_mentions": "Documents that mention {q} without being about it, newest first.",
        "back_to_about": "Back to the documents about it",
        "none_about": "No document is mainly about {q}; some mention it (below).",
        "mentions_more": "{n} more documents mention {q}",
        "mentions_help": "They match the query, but it is not what they are about: a passing mention in a digest or "
        "a list.",
        "mentions_list": "List them, newest first",
        "mention": "mentions it",
        "mention_help": "This document matches the query but is not about it",
        "results_any": "No document holds every word; showing documents that match any of them.",
        "grouping": (
            "Grouping documents into stories: {done} of {of} done. Until then, copies of a story may show as "
            "separate results."
        ),
        "embedding": "Reading documents for search by meaning: {done} of {of} done. Until then, English queries "
        "use the dictionary alone for the rest.",
        "renewing": (
            "Making summaries again after an upgrade: {done} of {of} done. Until then, cards show the earlier "
            "summaries."
        ),
        "no_results": "Nothing found.",
        "summary_pending": "summary pending",
        "unverified": "unverified",
        "more_sections": "More",
        "next_page": "Next page",
        "prev_page": "Previous page",
        "save_search": "Save this search",
        "paragraphs": "Paragraphs",
        "summary": "Summary",
        "page_no": "p. {page}",
        "original": "Original",
        "record_ids": "Record ids",
        "analysts": "Analysts",
        "rating": "Rating",
        "target_price": "Target price",
        "upload_title": "Upload documents",
        "upload_help": "PDF, Word (.docx), HTML, text, Markdown or JSONL files. Drag them here or choose them.",
        "choose_files": "Choose files",
        "upload_button": "Upload",
        "status_added": "added",
        "status_updated": "updated",
        "status_unchanged": "unchanged",
        "status_quarantined": "quarantined",
        "status_failed": "failed",
        "open": "open",
        "saved_searches": "Saved searches",
        "no_saved": "No saved searches yet.",
        "name": "Name",
        "query": "Query",
        "filters": "Filters",
        "sort": "Sort",
        "create": "Save",
        "run": "Run",
        "delete": "Delete",
        "workflows_help": "A saved search is a name, a query and filters. Scheduled workflows will run them.",
        "sign_in": "Sign in with an API key",
        "api_key": "API key",
        "sign_in_button": "Sign in",
        "sign_out": "Sign out",
        "error": "Error",
        "back": "Back to search",
        "date_unknown": "date unknown",
        "unknown_source": "unknown source",
        "similar": "{n} similar",
        "one_per_story": "One per story",
        "all_copies": "All copies",
        "revision": "revised version",
    },
    "zh": {
        "search": "搜索",
        "search_placeholder": "搜索文档",
        "search_syntax": '所有词都须出现；"短语"；-词 排除；a OR b；source:… type:report lang:en'
        " since:2025-10-01 until:2025-10-31",
        "upload": "上传",
        "workflows": "工作流",
        "api": "API",
        "smart": "智能",
        "smart_help": "与查询主题相关的文档，按时间从新到旧；仅顺带提及的文档折叠在下方",
        "latest": "最新",
        "latest_help": "所有匹配的文档，按时间从新到旧",
        "relevance": "相关度",
        "mode": "语言",
        "mode_auto": "按查询自动选择",
        "mode_keywords": "关键词",
        "mode_hybrid": "中英双语",
        "mode_semantic": "语义",
        "mode_help": "关键词：按原文检索。中英双语：英文词同时以中文检索（rare earth → 稀土），中文词同时以英文检索",
        "translated_as": "已检索",
        "translated_for": "对应",
        "translated_edit": "以另一种语言检索的词语，可修改后重新检索",
        "translated_search": "检索这些词",
        "source": "来源",
        "type": "类型",
        "language": "语言",
        "since": "起始",
        "until": "截止",
        "any": "不限",
        "apply": "筛选",
        "results": "共 {total} 条结果",
        "results_about": "共 {total} 条结果 · {about} 条以此为主题",
        "results_mentions": "共 {total} 条结果 · {mentions} 条仅提及",
        "results_long": "长查询：按与大部分词语的匹配程度排列，最相关的在前。",
        "query_filters": "已从查询中提取筛选条件：{filters}",
        "listing_mentions": "提及“{q}”但并非以此为主题的文档，按时间从新到旧。",
        "back_to_about": "返回以此为主题的文档",
        "none_about": "没有以“{q}”为主题的文档；下方为提及它的文档。",
        "mentions_more": "另有 {n} 篇文档提及“{q}”",
        "mentions_help": "这些文档与查询匹配，但主题并非于此：例如综述或列表中的顺带提及。",
        "mentions_list": "按时间列出",
        "mention": "仅提及",
        "mention_help": "此文档与查询匹配，但主题并非于此",
        "results_any": "没有文档包含全部词语，以下为包含任一词语的文档。",
        "grouping": "正在将文档归并为事件：已完成 {done} / {of}。完成前，同一事件的转载可能分开显示。",
        "embedding": "正在为语义检索处理文档：已完成 {done} / {of}。完成前，其余文档仅按词典检索。",
        "renewing": "升级后正在重新生成摘要：已完成 {done} / {of}。完成前，卡片显示此前的摘要。",
        "no_results": "没有找到结果。",
        "summary_pending": "摘要生成中",
        "unverified": "未核实",
        "more_sections": "更多",
        "next_page": "下一页",
        "prev_page": "上一页",
        "save_search": "保存此搜索",
        "paragraphs": "段落",
        "summary": "摘要",
        "page_no": "第 {page} 页",
        "original": "原文",
        "record_ids": "记录编号",
        "analysts": "分析师",
        "rating": "评级",
        "target_price": "目标价",
        "upload_title": "上传文档",
        "upload_help": "PDF、Word（.docx）、HTML、文本、Markdown 或 JSONL 文件。拖到此处或选择文件。",
        "choose_files": "选择文件",
        "upload_button": "上传",
        "status_added": "已添加",
        "status_updated": "已更新",
        "status_unchanged": "未变化",
        "status_quarantined": "已隔离",
        "status_failed": "失败",
        "open": "打开",
        "saved_searches": "已保存的搜索",
        "no_saved": "还没有保存的搜索。",
        "name": "名称",
        "query": "查询",
        "filters": "筛选条件",
        "sort": "排序",
        "create": "保存",
        "run": "运行",
        "delete": "删除",
        "workflows_help": "已保存的搜索包括名称、查询和筛选条件，定时工作流将运行它们。",
        "sign_in": "使用 API 密钥登录",
        "api_key": "API 密钥",
        "sign_in_button": "登录",
        "sign_out": "退出",
        "error": "错误",
        "back": "返回搜索",
        "date_unknown": "日期未知",
        "unknown_source": "来源未知",
        "similar": "{n} 篇相似",
        "one_per_story": "按事件合并",
        "all_copies": "显示全部",
        "revision": "修订版",
    },
}


def choose_lang(setting: str, accept_language: str | None) -> str:
    """``setting`` when it names a language, else the first of Accept-Language we have, else English."""
    if setting in LANGS:
        return setting
    ranked = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, i, tag.strip().lower().split("-")[0]))
    for _, _, lang in sorted(ranked):
        if lang in LANGS:
            return lang
    return "en"


def translator(lang: str):
    table = MESSAGES[lang]

    def t(key: str, **kw) -> str:
        text = table.get(key) or MESSAGES["en"].get(key, key)
        return text.format(**kw) if kw else text

    return t
