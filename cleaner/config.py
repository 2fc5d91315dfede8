"""Frozen configuration dataclasses: inert data, no behaviour.

Derived parameters (LSH bands and rows from the threshold, for instance) are computed
in the stage that uses them, never here, so a config can be compared, hashed and stored.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DedupConfig:
    """Settings of the dedup stage; every default says why it is what it is.

    >>> DedupConfig().min_similarity
    0.7
    """

    # Word n-gram size of the shingles fed to MinHash. 3 rather than the usual 5: OCR noise
    # of 3% of characters corrupts ~15% of words, which kills 56% of 5-grams but 39% of
    # 3-grams, so noisy reprints keep a Jaccard high enough to become candidates.
    shingle_size: int = 3
    # MinHash slots (one-permutation hashing with densification). 128 is the common
    # quality/cost point; bands and rows are derived from it and `lsh_threshold`.
    num_perm: int = 128
    # Estimated shingle Jaccard at which a pair should become a candidate. Low on purpose:
    # candidates are only proposals, every one is verified on the real texts, so a missed
    # candidate costs recall for good while an extra one costs a few microseconds.
    lsh_threshold: float = 0.3
    # Weight of false negatives when deriving bands/rows (false positives get 1 - this).
    # Above 0.5 for the same reason as the low threshold: verification removes extras.
    lsh_false_negative_weight: float = 0.8
    # Tokens of the lead (start of the body) signed as a second view. Wire copies are cut
    # from the bottom (inverted pyramid), so a copy truncated to 40% shares its lead in
    # full even though it shares only 40% of the body's shingles.
    lead_tokens: int = 80
    # Verified token similarity (2*matched / (len a + len b)) that makes a near duplicate.
    # On the benchmark corpus 95% of true pairs (3% OCR noise, cruft, light edits) score
    # above 0.7 while different stories on one event with shared sentences peak at 0.6.
    min_similarity: float = 0.7
    # Verified share of the shorter text found, in order, in the longer one that makes a
    # "contained" duplicate (a copy cut to its first 40%, or a story with an added
    # paragraph). Only matched runs of `min_run` tokens count, so scattered function
    # words of an unrelated story do not add up.
    min_containment: float = 0.7
    # Shortest run of consecutive matching tokens that counts as matched text. Runs of
    # 1-2 words ("said the", "in the") occur between any two English stories.
    min_run: int = 3
    # A contained copy must keep at least this share of the longer text's tokens; below
    # it, a short brief quoting one paragraph of a long story is not a copy of it.
    min_length_ratio: float = 0.2
    # ... and at least this many tokens: a 10-word line is contained in many stories.
    min_contained_tokens: int = 25
    # Template guard: a candidate whose aligned differences include at least this many
    # changed numbers or names is a templated story (earnings, results, weather), not a
    # copy. 2 because one changed figure can be a correction or an OCR slip.
    template_min_changes: int = 2
    # ... and where changed numbers/names make at least this share of the number/name
    # tokens of the shorter text (a long story with two OCR slips in 60 figures is a copy).
    template_min_share: float = 0.1
    # A single changed number/name is enough when it is this large a share of the facts:
    # a 25-word cut of a weather or results story holds only 4-5 of them.
    template_single_change_share: float = 0.2
    # Two names (capitalised words) closer than this character similarity are the same
    # name with a typo ("Thrasher"/"Thrashex"), not a changed name.
    template_name_similarity: float = 0.75
    # Candidates verified per story at most, best first (most shared bands). A copy shares
    # far more bands with its canonical than with look-alikes, so it is found early;
    # the cap bounds the cost of a templated story with thousands of look-alikes.
    max_candidates: int = 8
    # An LSH bucket with more stories than this (a template shared by thousands) links
    # each member only to its `bucket_top` best-ranked stories instead of all pairs,
    # keeping candidate pairs linear in the batch size.
    max_bucket: int = 16
    bucket_top: int = 8
    # Order of the keep rule that picks the canonical copy of a cluster. Names:
    # "complete" (has title, date and source), "longest" (body tokens), "earliest"
    # (published), "source_priority", "doc_id" (always last: makes the choice total).
    keep_rule: tuple[str, ...] = ("complete", "longest", "earliest", "source_priority", "doc_id")
    # Sources preferred as canonical when the rules before it tie (first is best);
    # unlisted sources rank after listed ones. Empty by default: no publisher is favoured.
    source_priority: tuple[str, ...] = ()
    # Documents per signature batch: bounds memory (the token and shingle arrays of one
    # batch, ~10 arrays of 8 bytes per token, ~150 MB for 5k stories of 400 words) while
    # keeping numpy's per-call overhead negligible.
    batch_size: int = 5_000
