"""The CJK font for PDFs (receipts, statements, certificates): shipped by a PyPI wheel set-up installs,
so Chinese renders on any machine without system fonts."""
import importlib.util
from functools import lru_cache
from pathlib import Path

FONT_PACKAGE = "cvttf_NotoSansCJK_Regular"
FONT_FILE = "NotoSansCJKtc-Regular.otf"


class FontMissing(RuntimeError):
    pass


@lru_cache(maxsize=1)
def font_path() -> Path:
    spec = importlib.util.find_spec(FONT_PACKAGE)
    path = Path(spec.origin).parent / FONT_FILE if spec and spec.origin else None
    if path is None or not path.exists():
        raise FontMissing(f"the CJK font package {FONT_PACKAGE} is not installed (pip install -e .)")
    return path
