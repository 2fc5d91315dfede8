"""Labelled near-duplicate corpus: base stories, syndicated copies and hard negatives.

Every row has `label` (true story) and `family` ("base", "copy", "template", "event"):
copies share their base story's label; templated stories (same template, other numbers
and names) and same-event stories (same entities and vocabulary, other sentences) each
get their own label, so merging two of them is a false merge.

A cut copy of a templated story can show only words that another templated story has
too: "Temperatures in Brookfield will reach 26 degrees ... Rain of up to 34 millimetres
is expected", cut before the valley, when another Brookfield forecast drew the same
three figures. No reader could tell which story it copies, so its label would be noise:
such copies are left out (`ambiguous_copies`; 2 of the million rows of the benchmark).
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import NamedTuple

import polars as pl

CRUFT = (
    "Advertisement",
    "Share this article",
    "Follow us on Twitter",
    "Read more:",
    "Click here to subscribe",
    "Comments (0)",
    "Print this page",
    "Related Stories",
)
SPELLING = (
    ("color", "colour"),
    ("organize", "organise"),
    ("center", "centre"),
    ("favorite", "favourite"),
    ("defense", "defence"),
    ("program", "programme"),
)
OCR = {"m": "rn", "l": "1", "e": "c", "o": "0", "i": "l", "h": "b", "a": "o", "n": "u"}
SOURCES = (
    "Wire One",
    "Daily Ledger",
    "Valley Post",
    "Harbor Times",
    "Metro Herald",
    "North Star",
    "Evening Courier",
    "Plains Gazette",
)
_WORDS = [
    "council",
    "budget",
    "river",
    "harbor",
    "school",
    "bridge",
    "station",
    "market",
    "farmers",
    "vote",
    "plan",
    "report",
    "court",
    "mayor",
    "police",
    "storm",
    "rail",
    "energy",
    "health",
    "water",
    "housing",
    "tax",
    "union",
    "workers",
    "museum",
    "festival",
    "airport",
    "clinic",
    "hospital",
    "license",
    "permit",
    "road",
]
_VERBS = [
    "approved",
    "rejected",
    "delayed",
    "announced",
    "reviewed",
    "opened",
    "closed",
    "expanded",
]
_NAMES = [
    "Avery",
    "Brandt",
    "Calloway",
    "Dorsey",
    "Ellery",
    "Fairbanks",
    "Galloway",
    "Hensley",
    "Iverson",
    "Jessup",
    "Kendrick",
    "Lattimore",
    "Merriweather",
    "Northcott",
    "Ormsby",
    "Pendleton",
    "Quimby",
    "Radcliffe",
    "Stanfield",
    "Thackeray",
    "Underhill",
    "Vance",
    "Whitlock",
    "Yardley",
]
_CITIES = [
    "Oakridge",
    "Millbrook",
    "Stonehaven",
    "Riverton",
    "Lakeshore",
    "Brookfield",
    "Fairview",
    "Glenwood",
    "Ashford",
    "Clearwater",
    "Pinecrest",
    "Westbury",
]


def gold_sentences(gold_dir: Path) -> list[str]:
    """Sentences of 6-50 words from the gold article texts, in file order."""
    out: list[str] = []
    for path in sorted(gold_dir.glob("*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        for s in re.split(r"(?<=[.!?])\s+", re.sub(r"\s+", " ", text)):
            if 6 <= len(s.split()) <= 50:
                out.append(s.strip())
    return out


_SHAPES = (
    "The {w0} {v} by the {w1} office left the {w2} and the {w3} waiting for weeks.",
    "{name} said the {w0} near the {w1} had been {v} twice since the spring.",
    "Residents of {city} asked why the {w0} plan was {v} before the {w1} vote.",
    "Nobody expected the {w0} to be {v} so quickly, one {w1} worker admitted.",
    "About {n} {w0} reports reached the {w1} desk after the {w2} was {v}.",
    "Critics argue the {w0} and the {w1} should never have been {v} at all.",
    "In a short statement, the {w0} board {v} the {w1} request and the {w2} review.",
    "Those living by the {w0} fear the {w1} will be {v} again next {w2} season.",
)


def invented_sentences(rng: random.Random, n: int) -> list[str]:
    """Invented sentences (for tests without the shared data): varied shapes and words."""
    out = []
    for _ in range(n):
        w = rng.sample(_WORDS, 4)
        out.append(
            rng.choice(_SHAPES).format(
                w0=w[0],
                w1=w[1],
                w2=w[2],
                w3=w[3],
                v=rng.choice(_VERBS),
                name=rng.choice(_NAMES),
                city=rng.choice(_CITIES),
                n=rng.randint(2, 900),
            )
        )
    return out


def base_story(rng: random.Random, pool: Sequence[str]) -> tuple[str, str]:
    """(title, body): 3-8 paragraphs of 2-4 pool sentences, paragraphs split by blank lines."""
    paras = [
        " ".join(rng.choice(pool) for _ in range(rng.randint(2, 4)))
        for _ in range(rng.randint(3, 8))
    ]
    title = " ".join(rng.choice(pool).split()[:8]).rstrip(".,;")
    return title, "\n\n".join(paras)


def _noise(rng: random.Random, text: str, rate: float) -> str:
    chars = list(text)
    for i, c in enumerate(chars):
        if c.isalpha() and rng.random() < rate:
            op = rng.random()
            if op < 0.4 and c.lower() in OCR:
                chars[i] = OCR[c.lower()]
            elif op < 0.7:
                chars[i] = rng.choice("abcdefghijklmnopqrstuvwxyz")
            elif op < 0.85:
                chars[i] = ""
            else:
                chars[i] = c + c
    return "".join(chars)


class Reprint(NamedTuple):
    """A syndicated copy, and the words of its story it kept (before any noise)."""

    title: str
    text: str
    kept: str  # the story's text after dropped, added and swapped sentences and the cut


def syndicate(rng: random.Random, title: str, body: str, pool: Sequence[str]) -> tuple[str, str]:
    """A reprint: a random subset of the edits outlets make (see module docstring)."""
    return reprint(rng, title, body, pool)[:2]


def reprint(rng: random.Random, title: str, body: str, pool: Sequence[str]) -> Reprint:
    """`syndicate`, with the words the copy kept."""
    paras = body.split("\n\n")
    if rng.random() < 0.3 and len(paras) > 3:
        paras.pop(rng.randrange(1, len(paras)))  # dropped paragraph
    if rng.random() < 0.2:
        paras.insert(rng.randrange(1, len(paras) + 1), " ".join(rng.sample(list(pool), 2)))
    if rng.random() < 0.3:  # two sentences swapped
        i = rng.randrange(len(paras))
        s = re.split(r"(?<=[.!?]) ", paras[i])
        if len(s) > 1:
            s[0], s[1] = s[1], s[0]
            paras[i] = " ".join(s)
    text = "\n\n".join(paras)
    if rng.random() < 0.4:  # truncation to 40-90%
        words = text.split(" ")
        text = " ".join(words[: max(8, int(len(words) * rng.uniform(0.4, 0.9)))])
    kept = text
    if rng.random() < 0.4:
        for a, b in SPELLING:
            text = text.replace(a, b)
    if rng.random() < 0.4:
        text = re.sub(r"(\d)(\d{3})\b", r"\1,\2", text)
        text = text.replace(" percent", "%")
    if rng.random() < 0.5:
        text = re.sub(r'"([^"]*)"', "\u201c\\1\u201d", text).replace("'", "\u2019")
    if rng.random() < 0.3:  # re-wrapped lines
        text = re.sub(r"(.{60,75}) ", "\\1\n", text)
    if rng.random() < 0.5:
        text = _noise(rng, text, rng.uniform(0.005, 0.03))
    if rng.random() < 0.5:
        lines = text.split("\n")
        for _ in range(rng.randint(1, 3)):
            lines.insert(rng.choice([0, len(lines)]), rng.choice(CRUFT))
        text = "\n".join(lines)
    if rng.random() < 0.6:
        title = " ".join(rng.sample(title.split(), len(title.split()))) + " - update"
    return Reprint(title, text, kept)


def templated(rng: random.Random, kind: int) -> str:
    """A templated story: earnings, sports result or weather, numbers and names drawn fresh."""
    c1, c2 = rng.sample(_NAMES, 2)
    city = rng.choice(_CITIES)
    if kind == 0:
        return (
            f"{c1} Holdings reported quarterly revenue of "
            f"{rng.randint(10, 900)}.{rng.randint(1, 9)} "
            f"million dollars on Tuesday, up {rng.randint(1, 30)} percent from a year earlier. "
            f"Net income rose to {rng.randint(1, 90)}.{rng.randint(1, 9)} million dollars, or "
            f"{rng.randint(10, 99)} cents a share, the company said in a statement. Analysts "
            f"polled by the agency had expected earnings of {rng.randint(10, 99)} cents a share "
            f"on revenue of {rng.randint(10, 900)} million dollars. Chief executive {c2} said "
            f"demand in {city} stayed strong and the company expects revenue growth of "
            f"{rng.randint(2, 15)} percent for the full year. Shares of {c1} Holdings closed "
            f"at {rng.randint(5, 300)}.{rng.randint(10, 99)} dollars."
        )
    if kind == 1:
        return (
            f"{city} {c1} beat the {rng.choice(_CITIES)} {c2} {rng.randint(2, 7)}-"
            f"{rng.randint(0, 1)} on Saturday to move {rng.randint(2, 9)} points clear at the "
            f"top of the table. Forward {rng.choice(_NAMES)} scored twice in the first half "
            f"and {rng.choice(_NAMES)} added a third after {rng.randint(50, 89)} minutes "
            f"before a crowd of {rng.randint(5, 60)},{rng.randint(100, 999)}. The visitors "
            f"had won their previous {rng.randint(2, 6)} matches. The {c1} play away at "
            f"{rng.choice(_CITIES)} next week, the club said."
        )
    return (
        f"Temperatures in {city} will reach {rng.randint(10, 40)} degrees on Monday with "
        f"winds of {rng.randint(5, 60)} kilometres an hour, the weather office said. Rain "
        f"of up to {rng.randint(1, 80)} millimetres is expected in the {rng.choice(_NAMES)} "
        f"valley by Tuesday evening, and the low will fall to {rng.randint(-5, 15)} degrees. "
        f"Forecaster {c1} said the {rng.choice(_NAMES)} front would clear by Thursday, with "
        f"a high of {rng.randint(10, 40)} degrees expected in {city} at the weekend."
    )


_EVENT = (
    "Thousands of {p} marched through {city} on {day} to protest the {thing} plan.",
    "Police in {city} said about {n} people joined the {thing} rally near {place}.",
    "{leader} told the crowd in {city} that the {thing} plan would hurt {p}.",
    "Organisers from the {org} said more rallies against the {thing} plan were planned.",
    "The {org} accused officials in {city} of ignoring {p} over the {thing} plan.",
    "Speakers at {place} demanded that {leader} withdraw the {thing} plan.",
    "Shops near {place} in {city} closed early as the {thing} protest grew.",
    "{leader} said on {day} that {n} {p} had signed a petition against the {thing} plan.",
    "The government has defended the {thing} plan, saying it would help {p} in {city}.",
    "Similar protests against the {thing} plan took place in {city2} and {city3}.",
    "A spokesperson for the {org} said {p} would return to {place} every {day}.",
    "Critics of the {thing} plan say it was drafted without asking {p} in {city}.",
)


def event_stories(rng: random.Random, n: int) -> list[str]:
    """`n` different stories on one event: same entities and vocabulary, other sentences."""
    fill = {
        "p": rng.choice(["farmers", "teachers", "students", "workers", "residents"]),
        "city": rng.choice(_CITIES),
        "city2": rng.choice(_CITIES),
        "city3": rng.choice(_CITIES),
        "thing": rng.choice(_WORDS),
        "place": f"{rng.choice(_NAMES)} Square",
        "leader": f"Minister {rng.choice(_NAMES)}",
        "org": f"{rng.choice(_NAMES)} Union",
    }
    out = []
    for _ in range(n):
        picks = rng.sample(_EVENT, 5)  # ~2 of 5 sentences shared between two stories
        out.append(
            " ".join(
                s.format(
                    **fill, day=rng.choice(["Friday", "Sunday", "Monday"]), n=rng.randint(200, 9000)
                )
                for s in picks
            )
        )
    return out


CORPUS_SCHEMA: dict[str, type[pl.DataType] | pl.DataType] = {
    "doc_id": pl.Utf8,
    "label": pl.Utf8,
    "family": pl.Utf8,
    "title": pl.Utf8,
    "body": pl.Utf8,
    "source": pl.Utf8,
    "published": pl.Date,
    "updated": pl.Date,
}


def make_corpus(n_docs: int, pool: Sequence[str], seed: int = 0) -> pl.DataFrame:
    """About `n_docs` labelled rows: 60% in syndication clusters, 10% templated, 5% events."""
    return pl.concat(list(iter_corpus(n_docs, pool, seed)))


def iter_corpus(
    n_docs: int, pool: Sequence[str], seed: int = 0, chunk: int = 100_000
) -> Iterator[pl.DataFrame]:
    """`make_corpus` in chunks of about `chunk` rows (same rows): 1M rows need not fit twice.

    Two passes over the same draws: the first finds the ambiguous templated copies
    (`ambiguous_copies`, which keeps only the templated rows' words: a tenth of the
    rows), the second yields the other rows.
    """
    skip = ambiguous_copies(islice(_draw(pool, seed), n_docs))
    rows: list[dict[str, object]] = []
    for d in islice(_draw(pool, seed), n_docs):
        if d.row["doc_id"] not in skip:
            rows.append(d.row)
        if len(rows) >= chunk:
            yield pl.DataFrame(rows, schema=CORPUS_SCHEMA)
            rows = []
    yield pl.DataFrame(rows, schema=CORPUS_SCHEMA)


@dataclass(frozen=True)
class Drawn:
    """One drawn row, and for a templated one its template and the template's words."""

    row: dict[str, object]
    kind: int | None = None  # the template of a templated row
    kept: str = ""  # a templated row's words of its story (a copy's, before any noise)


def _draw(pool: Sequence[str], seed: int) -> Iterator[Drawn]:
    """Rows drawn one story at a time, endlessly; the same seed, the same rows."""
    rng = random.Random(seed)
    story_rows: list[Drawn] = []
    count = 0
    day0 = dt.date(2024, 1, 1)

    def add(
        label: str,
        family: str,
        title: str | None,
        body: str,
        kind: int | None = None,
        kept: str = "",
    ) -> None:
        nonlocal count
        row = {
            "doc_id": f"d{count:08d}",
            "label": label,
            "family": family,
            "title": title,
            "body": body,
            "source": rng.choice(SOURCES) if rng.random() < 0.9 else None,
            "published": day0 + dt.timedelta(days=rng.randrange(300))
            if rng.random() < 0.9
            else None,
            "updated": None,
        }
        story_rows.append(Drawn(row, kind, kept))
        count += 1

    story = 0
    while True:
        r = rng.random()
        story += 1
        if r < 0.75:
            title, body = base_story(rng, pool)
            add(f"s{story}", "base", title, body)
            if rng.random() < 0.45:
                for _ in range(rng.randint(1, 4)):
                    t2, b2 = syndicate(rng, title, body, pool)
                    add(f"s{story}", "copy", t2, b2)
        elif r < 0.9:
            kind = rng.randrange(3)
            for j in range(rng.randint(2, 6)):
                text = templated(rng, kind)
                add(f"s{story}t{j}", "template", None, text, kind, text)
                if rng.random() < 0.3:
                    copy = reprint(rng, "", text, pool)
                    add(f"s{story}t{j}", "template", None, copy.text, kind, copy.kept)
        else:
            for j, text in enumerate(event_stories(rng, rng.randint(2, 4))):
                add(f"s{story}e{j}", "event", None, text)
        yield from story_rows
        story_rows.clear()


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def ambiguous_copies(drawn: Iterable[Drawn]) -> set[str]:
    """doc_ids of the templated copies whose kept words are in another story of theirs too.

    A copy shows its story's sentences (swapped, cut) and maybe some added ones. It is
    ambiguous when another story of the same template has every whole sentence it shows
    of its own and a sentence starting with the one it shows cut: every word that could
    tell the two stories apart was cut off.

    >>> one = "Rain in Leeds hit 34 mm. The low was 4 degrees. Winds reached 50 km."
    >>> two = one.replace("50", "70")
    >>> def row(doc_id, kept): return Drawn({"doc_id": doc_id, "label": doc_id[0]}, 2, kept)
    >>> rows = [row("A", one), row("B", two),
    ...         row("A2", "The low was 4 degrees. Rain in Leeds hit"),  # in B too
    ...         row("A3", one[:-4])]  # shows 50
    >>> sorted(ambiguous_copies(rows))
    ['A2']
    """
    stories: dict[str, tuple[int, list[str]]] = {}  # label -> (template, its sentences)
    copies: list[Drawn] = []
    for d in drawn:
        if d.kind is None:
            continue  # not a templated row
        label = str(d.row["label"])
        if label in stories:
            copies.append(d)  # a label's first row is its story, the later ones copies
        else:
            stories[label] = (d.kind, _SENTENCE_END.split(d.kept))
    having: dict[tuple[int, str], set[str]] = {}  # (template, sentence) -> labels
    by_kind: dict[int, set[str]] = {}
    for label, (kind, sentences) in stories.items():
        by_kind.setdefault(kind, set()).add(label)
        for sentence in sentences:
            having.setdefault((kind, sentence), set()).add(label)
    out = set()
    for d in copies:
        label = str(d.row["label"])
        kind, own = stories[label]
        shown = _SENTENCE_END.split(d.kept)
        whole = [s for s in shown if s in own]
        cut = [s for s in shown if s not in own and any(t.startswith(s) for t in own)]
        others = (
            set.intersection(*(having[kind, s] for s in whole)) if whole else set(by_kind[kind])
        )
        others.discard(label)
        if any(all(any(t.startswith(c) for t in stories[o][1]) for c in cut) for o in others):
            out.add(str(d.row["doc_id"]))
    return out
