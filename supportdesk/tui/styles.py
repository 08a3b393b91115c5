"""Where the desk's stylesheets live: inside the package when installed, beside it in a checkout.

The app loads `desk.tcss` before the first frame; each branch screen names its own
sheet, which Textual reads the first time that screen opens (start-up is a budget).
"""

from __future__ import annotations

from pathlib import Path


def styles_dir() -> Path:
    package = Path(__file__).resolve().parent.parent
    installed = package / "styles"
    return installed if installed.is_dir() else package.parent / "styles"


def stylesheet(name: str) -> Path:
    """The path of one sheet in styles/, e.g. stylesheet("sms")."""
    return styles_dir() / f"{name}.tcss"
