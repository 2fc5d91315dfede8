"""Verification of candidate pairs on the real texts with rapidfuzz.

MinHash only proposes; a pair counts as a duplicate only after its token sequences are
aligned (longest common subsequence) and the aligned text passes three tests:
similarity (light edits), containment (truncated or extended copies) and the template
guard (same template, different numbers or names: not the same story).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cleaner.config import DedupConfig
from cleaner.dedup.align import Alignment, Keys, align, align_fuzzy
from cleaner.dedup.codes import PairCodes
from cleaner.dedup.doc import Doc, is_number
from cleaner.dedup.guard import (
    fact_changes,
    located_fact_changes,
    nested_facts,
    number_inside_shared,
    other_name,
    template_changes,
)
from cleaner.dedup.guard_kernel import (
    EXCERPT,
    MANY,
    ONE_BIG,
    SHORT_NAME,
    SHORT_NUMBER,
    stop_code,
)
from cleaner.dedup.screen import PASS, FactCounts, screen_one, screen_params

Kind = Literal["exact", "near", "contained", "revision"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """Outcome of verifying one pair, with the rule that decided it."""

    duplicate: bool
    kind: Kind | None
    similarity: float
    containment: float
    template_changes: tuple[tuple[str, str], ...]  # changed numbers/names (a, b)
    rule: str

    def __reduce__(self) -> tuple[type[Verdict], tuple[object, ...]]:
        # Verdicts come back from verification workers by the million: pickled as their
        # fields, a third of the time of a slotted dataclass's default state.
        return (
            Verdict,
            (
                self.duplicate,
                self.kind,
                self.similarity,
                self.containment,
                self.template_changes,
                self.rule,
            ),
        )


def _kind(al: Alignment, cfg: DedupConfig) -> Kind | None:
    """Near or contained duplicate before the template guard, or None."""
    short, long_ = sorted((al.len_a, al.len_b))
    if al.similarity >= cfg.min_similarity:
        return "near"
    contained = (
        al.containment >= cfg.min_containment
        and short >= cfg.min_contained_tokens
        and short >= cfg.min_length_ratio * long_
    )
    return "contained" if contained else None


def verify(a: Doc, b: Doc, cfg: DedupConfig) -> Verdict:
    """Decide whether b duplicates a (or a b): near, contained, or not, and why.

    A duplicate must pass both the compiled screen and the rapidfuzz check (`check`),
    the same two tests, in the other order, as pairs verified in bulk (`pairs`).

    >>> cfg = DedupConfig()
    >>> a = "the council approved the new budget for the city schools on monday " * 10
    >>> v = verify(Doc.of(a), Doc.of(" ".join(a.split()[:30])), cfg)
    >>> v.kind, v.containment
    ('contained', 1.0)
    """
    s = screen_one(a.folded, b.folded, screen_params(cfg))
    v = check(a, b, cfg, s.fact_counts(0), s.words[0])
    if not v.duplicate or s.codes[0] == PASS:
        return v
    # Rare: the screen's first guard, reading substitutions off the gaps of the exact
    # alignment, saw a template filled with other facts where the Levenshtein
    # alignment did not.
    changes = template_changes(a, b, cfg.template_name_similarity)[0]
    shown = ", ".join(f"{x}->{y}" for x, y in changes[:4])
    return Verdict(
        False,
        None,
        v.similarity,
        v.containment,
        changes,
        f"template guard: numbers/names changed between shared passages ({shown or 'screen'}), "
        f"although {v.rule}",
    )


def check(
    a: Doc,
    b: Doc,
    cfg: DedupConfig,
    known: FactCounts | None = None,
    codes: PairCodes | None = None,
) -> Verdict:
    """The rapidfuzz half of `verify`: alignment, containment and the template guard.

    Bulk verification passes on what the compiled screen found, for the same verdict
    with less work in Python: `known`, the two texts' facts as the screen counted them,
    and `codes`, the pair's word codes and flags (`codes.PairCodes`), which rapidfuzz
    aligns instead of the lower-cased word lists.
    """
    keys: Keys = (a.lower, b.lower) if codes is None else (codes.a, codes.b)
    short, long_ = sorted((len(keys[0]), len(keys[1])))
    if 2 * short < cfg.min_similarity * (short + long_) and (
        short < cfg.min_contained_tokens or short < cfg.min_length_ratio * long_
    ):
        # Lengths alone rule it out: similarity <= 2*short/(short+long), and the shorter
        # text is too short to count as contained. No alignment needed.
        why = (
            f"{short} vs {long_} tokens: too different in length for similarity "
            f"{cfg.min_similarity:.2f}, shorter text too short to be contained"
        )
        return Verdict(False, None, 0.0, 0.0, (), f"different stories: {why}")
    al = align(*keys, cfg.min_run)
    kind = _kind(al, cfg)
    if kind is None and max(al.similarity, al.containment) >= cfg.fuzzy_floor:
        # Close but not enough on exact words: maybe a noisy copy (see align_fuzzy).
        fz = align_fuzzy(a.lower, b.lower, cfg.min_run, keys)
        if (fuzzy := _kind(fz, cfg)) is not None:
            al, kind = fz, fuzzy
    sim, cont = al.similarity, al.containment
    if kind == "near":
        rule = f"similarity {sim:.2f} >= {cfg.min_similarity:.2f}"
    elif kind == "contained":
        rule = f"containment {cont:.2f} >= {cfg.min_containment:.2f} ({short} of {long_} tokens)"
    else:
        why = f"similarity {sim:.2f} < {cfg.min_similarity:.2f}"
        if cont >= cfg.min_containment:
            why += f", contained text too short ({short} of {long_} tokens)"
        else:
            why += f", containment {cont:.2f} < {cfg.min_containment:.2f}"
        return Verdict(False, None, sim, cont, (), f"different stories: {why}")
    nested = nested_facts(a, b) if known is None else known.nested
    if known is not None and known.why is not None:
        # The screen parsed both texts and ran the template guard on them, compiled
        # (`guard_kernel`): the same findings and decision as below, at a tenth of the cost.
        changes = tuple((a.words[x], b.words[y]) for x, y in known.changes)
        facts, stop = (known.a if len(keys[0]) <= len(keys[1]) else known.b), known.why
    elif nested:
        # Every number and name of one text is in the other, as often: no fact was
        # swapped for another, so this cannot be the same template filled with other
        # facts. Except in a short text, where a number changed inside the shared text,
        # or a name there facing a clearly other name, is another story even if it is
        # elsewhere in the other text (`guard_kernel.nested_stop`, which the screen
        # applies to the texts it parses: known, and not stopped, means it found none).
        if known is not None or short >= cfg.template_short_tokens:
            return Verdict(True, kind, sim, cont, (), rule)
        changes, facts, inner_names, at = located_fact_changes(a, b, cfg.template_name_similarity)
        stop = _nested_stop(a, b, at, inner_names, cfg)
        if not stop:
            return Verdict(True, kind, sim, cont, (), rule)
    else:
        # Texts the screen cannot parse (letters outside Latin-1): the guard in Python.
        changes, facts, inner_names = fact_changes(a, b, cfg.template_name_similarity)
        stop = _stop(changes, facts, inner_names, kind == "contained", short, cfg)
    if not stop:
        return Verdict(True, kind, sim, cont, changes, rule)
    share = len(changes) / max(1, facts)
    why = {
        MANY: f"{share:.0%} of facts >= {cfg.template_min_share:.0%}",
        ONE_BIG: f"{share:.0%} of facts >= {cfg.template_single_change_share:.0%} for one change",
        EXCERPT: "a changed number or name inside an excerpt",
        SHORT_NUMBER: (
            f"a changed number in a short text ({short} < {cfg.template_short_tokens} words)"
        ),
        SHORT_NAME: f"another name inside the shared text of a short text ({short} words)",
    }[stop]
    shown = ", ".join(f"{x}->{y}" for x, y in changes[:4])
    return Verdict(
        False,
        None,
        sim,
        cont,
        changes,
        f"template guard: {len(changes)} numbers/names changed ({shown}); {why}, although {rule}",
    )


def _stop(
    changes: tuple[tuple[str, str], ...],
    facts: int,
    inner_names: tuple[tuple[str, str], ...],
    contained: bool,
    short: int,
    cfg: DedupConfig,
) -> int:
    """Why the template guard stops a pair found by the Python guard: the compiled
    guard's rule (`guard_kernel.stop_code`) on its findings, 0 if it does not stop it."""
    number = any(is_number(x) for x, _ in changes)
    other = _other_inner_name(inner_names, cfg)
    p = screen_params(cfg)
    return int(
        stop_code(
            len(changes),
            facts,
            number,
            bool(inner_names),
            other,
            contained,
            short,
            p.floats,
            p.ints,
        )
    )


def _nested_stop(
    a: Doc,
    b: Doc,
    at: tuple[tuple[int, int], ...],
    inner_names: tuple[tuple[str, str], ...],
    cfg: DedupConfig,
) -> int:
    """Why the template guard stops a short pair whose facts are nested, found by the
    Python guard (changes at positions `at`): the compiled guard's rule
    (`guard_kernel.nested_stop`), 0 if it does not stop it."""
    if number_inside_shared(a, b, at):
        return SHORT_NUMBER
    return SHORT_NAME if _other_inner_name(inner_names, cfg) else 0


def _other_inner_name(inner_names: tuple[tuple[str, str], ...], cfg: DedupConfig) -> bool:
    """Whether a name changed inside the shared text is clearly another name
    (`guard.other_name`), as the compiled guard's `guard_kernel.other_inner_name` reads it."""
    return any(other_name(x, y, cfg.template_other_name_similarity) for x, y in inner_names)
