"""The system's headless Chromium, as the HTML benchmark and the browser tests launch it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["CHROMIUM_ARGS", "chromium_executable"]

#: Flags for Debian's chromium running headless on a server (no sandbox, GPU or background traffic).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_executable() -> str | None:
    """``$DEDUP_CHROMIUM``, else ``chromium`` on the PATH, else /usr/bin/chromium; None if absent."""
    found = os.environ.get("DEDUP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return found if Path(found).exists() else None
