"""Dates as scrapers print them, turned into real ``datetime.date`` values.

News pages print one date in many ways ("06 October 2024", "October 21st, 2023",
"2023-10-21", "Oct. 6, 2024").  One regular expression, :data:`DATE`, recognises all
the forms we accept, so the same pattern can be used inside cruft rules and profile
files (as ``{date}``) and by the parser: a line is only taken for a date stamp when
its date really parses.  We deliberately do not use a fuzzy parser: "Updated figures
show 5 of 6" must never become a date.
"""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH = (
    r"(?:Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|Jun(?:e|\.)?"
    r"|Jul(?:y|\.)?|Aug(?:ust|\.)?|Sep(?:t(?:ember|\.)?|\.)?|Oct(?:ober|\.)?"
    r"|Nov(?:ember|\.)?|Dec(?:ember|\.)?)"
)
_DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d\d"
_WEEKDAY = r"(?:(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs)?|Fri|Sat(?:ur)?|Sun)(?:day)?\.?,?\s+)?"
_TIME = r"(?:(?:,|\s+at|\s*-|\s*\|)?\s+\d{1,2}[:.]\d\d(?:\s*[AaPp]\.?[Mm]\.?)?(?:\s+[A-Z]{2,4})?)?"

#: A date in any accepted form, optionally with a weekday before and a time after.
DATE = (
    rf"{_WEEKDAY}(?:{_YEAR}-[01]\d-[0-3]\d(?:T[\d:.]+Z?)?"
    rf"|{_DAY}\s+{_MONTH},?\s+{_YEAR}"
    rf"|{_MONTH}\s+{_DAY},?\s+{_YEAR}){_TIME}"
)

_ISO = re.compile(r"(?P<y>(?:19|20)\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)")
_DMY = re.compile(rf"(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?P<m>{_MONTH}),?\s+(?P<y>{_YEAR})")
_MDY = re.compile(rf"(?P<m>{_MONTH})\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<y>{_YEAR})")


def _month(name: str) -> int:
    return _MONTHS[name.lower().rstrip(".")[: 4 if name.lower().startswith("sept") else 3]]


def parse_date(text: str | None) -> date | None:
    """The first real date written in ``text``, or None.

    >>> parse_date("Updated 06 October 2024")
    datetime.date(2024, 10, 6)
    >>> parse_date("Published in Dawn, October 21st, 2023")
    datetime.date(2023, 10, 21)
    >>> parse_date("Oct. 6, 2024"), parse_date("2023-10-21"), parse_date("Updated figures")
    (datetime.date(2024, 10, 6), datetime.date(2023, 10, 21), None)
    """
    if not text:
        return None
    found: list[tuple[int, date]] = []
    for pattern in (_ISO, _DMY, _MDY):
        for m in pattern.finditer(text):
            raw_month = m.group("m")
            month = int(raw_month) if raw_month.isdigit() else _month(raw_month)
            try:
                found.append((m.start(), date(int(m.group("y")), month, int(m.group("d")))))
            except ValueError:
                continue
            break
    if not found:
        return None
    return min(found)[1]
