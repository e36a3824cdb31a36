"""Which way up a page's text runs: pages photographed sideways or scanned upside down (with no EXIF
orientation to say so) are read the right way round.

The detector finds text lines at any quarter turn; each line is cut out along its long side, so a line
is either read as printed or upside down. Which of the two, the angle classifier bundled in the rapidocr
wheel (``ch_ppocr_mobile_v2.0_cls``) tells, and the page decides by a vote: the widest lines of each
group (lines cut out horizontally, and lines cut out vertically) vote, and a group is turned round only
when a clear majority of at least ``MIN_VOTES`` lines says so. One line's vote never turns a line: read
per line, the classifier breaks good lines (``docs/performance.md``). The vote is taken ``ROUND`` lines
at a time and stops as soon as it is clear either way, so an upright page costs one small batch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Image = npt.NDArray[np.uint8]

CLS_HEIGHT, CLS_WIDTH = 48, 192  # the classifier's input (rapidocr's cls_image_shape for this model)
VOTERS = 24  # at most this many of a group's widest lines vote
ROUND = 6  # lines classified at a time
MIN_VOTES = 3  # fewer voting lines than this never turn a group
MIN_ASPECT = 2.0  # a voter is at least twice as wide as high (a few characters, not a dot or a logo)
TURN_SHARE = 0.7  # the share of the votes (summed probabilities) that must say "upside down"
CLEAR_SHARE = 0.9  # after a round, a share this clear either way ends the vote


def upside_down_groups(session: Any, crops: Sequence[Image], vertical: Sequence[bool]) -> set[bool]:
    """The groups (``False``: lines cut out horizontally, ``True``: vertically) whose lines read upside
    down, by the vote of their widest lines."""
    turned: set[bool] = set()
    for group in (False, True):
        voters = sorted(
            (i for i, crop in enumerate(crops) if vertical[i] is group and _wide(crop)),
            key=lambda i: crops[i].shape[1],
            reverse=True,
        )[:VOTERS]
        if len(voters) >= MIN_VOTES and _upside_share(session, [crops[i] for i in voters]) >= TURN_SHARE:
            turned.add(group)
    return turned


def _upside_share(session: Any, voters: Sequence[Image]) -> float:
    """The share of the voters' probability mass on "upside down", classified a round at a time until
    the answer is clear."""
    upside = total = 0.0
    for start in range(0, len(voters), ROUND):
        probs = session.run(None, {"x": _cls_blob(voters[start : start + ROUND])})[0]
        upside += float(probs[:, 1].sum())
        total += float(probs.sum())
        share = upside / total
        if start + ROUND >= MIN_VOTES and (share >= CLEAR_SHARE or share <= 1 - CLEAR_SHARE):
            break
    return upside / total


def _wide(crop: Image) -> bool:
    height, width = crop.shape[:2]
    return bool(width >= MIN_ASPECT * height)


def _cls_blob(crops: Sequence[Image]) -> Any:
    """The crops resized to the classifier's height (at most its width), normalised as it was trained,
    padded right with zeros."""
    import cv2
    import numpy as np

    blob = np.zeros((len(crops), 3, CLS_HEIGHT, CLS_WIDTH), dtype=np.float32)
    for row, crop in enumerate(crops):
        height, width = crop.shape[:2]
        resized_w = min(CLS_WIDTH, math.ceil(CLS_HEIGHT * width / max(height, 1)))
        resized = cv2.resize(crop, (resized_w, CLS_HEIGHT), interpolation=cv2.INTER_LINEAR)
        blob[row, :, :, :resized_w] = resized.transpose(2, 0, 1).astype(np.float32) / 127.5 - 1.0
    return blob
