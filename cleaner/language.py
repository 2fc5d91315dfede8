"""Language of a story body, with a model that ships inside the package (nothing downloads).

py3langid bundles its model in the wheel and is deterministic.  Very short bodies
give no reliable answer, so they get ``None`` rather than a guess.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_WORD = re.compile(r"[^\W\d_]{2,}")
MIN_WORDS = 5  # below this the classifier is mostly guessing


@lru_cache(maxsize=1)
def _classify() -> Any:
    # Imported late: loading the bundled model takes a moment and most commands never need it.
    import py3langid

    return py3langid.classify


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of ``text``'s language, or None when the text is too short.

    >>> detect_language("The council approved the new budget for the harbour on Tuesday.")
    'en'
    >>> detect_language("Hello") is None
    True
    """
    head = text[:2000]  # plenty for a decision; the classifier's cost is linear in length
    if len(_WORD.findall(head)) < MIN_WORDS:
        return None
    code, _score = _classify()(head)
    return str(code)
