"""Small helpers for what the Dagster UI shows."""

from __future__ import annotations

import polars as pl


def markdown_preview(frame: pl.DataFrame, max_width: int = 40) -> str:
    """A Markdown table of ``frame`` (a few rows), long values cut to ``max_width`` characters."""
    if frame.width == 0:
        return "(no columns)"

    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        text = text.replace("|", "\\|").replace("\n", " ")
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    lines = [
        "| " + " | ".join(frame.columns) + " |",
        "|" + "---|" * frame.width,
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join(lines)
