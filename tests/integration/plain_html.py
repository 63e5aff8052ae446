"""Console pages as the tests read them: the NL Design System's ``utrecht-*`` class names, which
style every element, taken out so that assertions name the page's content and its own classes."""

from __future__ import annotations

import re


def plain(html: str) -> str:
    """``html`` without ``utrecht-*`` classes (and without class attributes left empty)."""

    def kept(m: re.Match[str]) -> str:
        names = " ".join(c for c in m.group(1).split() if not c.startswith("utrecht-"))
        return f' class="{names}"' if names else ""

    return re.sub(r' class="([^"]*)"', kept, html)
