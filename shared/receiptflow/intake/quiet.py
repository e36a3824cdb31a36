"""Keep Pillow's complaints about malformed input (corrupt EXIF, odd tags) out of the logs.

Python 3.11 has no thread-safe way to silence warnings for one call (``warnings.catch_warnings`` swaps the
process-wide filter list and races between threads), so intake makes sure one narrow, process-wide filter
is present: Pillow ``UserWarning``s are ignored. The filter is only ever added, never removed, so threads
cannot interfere with one another; a malformed file still gets its typed error from the decoder.
Decompression-bomb warnings never arise: sizes are judged from the header before Pillow's own check runs.
"""

from __future__ import annotations

import warnings

_PILLOW_MODULES = r"PIL\."


def _present() -> bool:
    for action, _message, category, module, _lineno in warnings.filters:
        if action == "ignore" and category is UserWarning and module is not None:
            if module.pattern == _PILLOW_MODULES:
                return True
    return False


def ignore_pillow_input_warnings() -> None:
    """Ensure Pillow's input warnings are ignored (idempotent; cheap enough to call per file)."""
    if not _present():
        warnings.filterwarnings("ignore", category=UserWarning, module=_PILLOW_MODULES)
