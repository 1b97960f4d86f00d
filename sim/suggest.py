""""Did you mean ...?" for every name a user types: keys, rules, agents, series, dotted paths."""

from __future__ import annotations

import difflib


def near_miss(name: str, valid: list[str]) -> str:
    """`` (did you mean 'x'?)`` when ``name`` is a near miss of one of ``valid``, else ``""``."""
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def suggest(name: str, valid: list[str], noun: str = "valid") -> str:
    """`` (did you mean 'x'?)`` for a near miss, else `` (valid: a, b, ...)``."""
    return near_miss(name, valid) or f" ({noun}: {', '.join(sorted(valid))})"
