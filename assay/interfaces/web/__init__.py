"""The web UI: server-rendered pages (Jinja2 templates), static CSS/JS, English and Chinese words."""
