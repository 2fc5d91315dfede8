"""Cruft rules, publisher profiles and learned cruft."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from textkit import CASES, LOOKALIKE, record

from cleaner.audit import read_raw_file
from cleaner.config import NormaliseConfig, SplitConfig
from cleaner.cruft import (
    GENERIC_RULES,
    CruftRules,
    classify,
    compile_rules,
    learn,
    load_profiles,
    profile_toml,
    recognise,
    wildcard,
)
from cleaner.errors import ConfigError
from cleaner.normalise import fix_text, normalise
from cleaner.split import split

DATA = json.loads((CASES / "cruft.json").read_text(encoding="utf-8"))
GENERIC = CruftRules(GENERIC_RULES, ())


@pytest.mark.parametrize("case", DATA["cases"], ids=[c["line"][:40] for c in DATA["cases"]])
def test_generic_rule_fires(case: dict[str, Any]) -> None:
    rule = classify(case["line"], None, GENERIC)
    assert rule is not None, case["why"]
    assert (rule.name, rule.fate) == (case["rule"], case["fate"]), case["why"]


@pytest.mark.parametrize("case", DATA["negatives"], ids=[c["line"][:40] for c in DATA["negatives"]])
def test_negative_left_alone(case: dict[str, Any]) -> None:
    profiles = load_profiles()
    for profile in (None, *profiles):
        assert classify(fix_text(case["line"]), profile, GENERIC) is None, case["why"]


def test_negatives_stay_in_the_body() -> None:
    lines = [c["line"] for c in DATA["negatives"]]
    [story] = split(record("\n".join(lines)), SplitConfig())
    n = normalise(story, compile_rules(NormaliseConfig(), [story]))
    assert n.removed == ()
    assert [x.text for x in n.lines] == [fix_text(line) for line in lines]


def test_profiles_recognise_the_lookalike_layouts() -> None:
    profiles = load_profiles()
    expected = {"000": "wire_photo", "001": "dawn", "002": "arab_news"}
    for path in sorted(LOOKALIKE.glob("*.txt")):
        for story in split(read_raw_file(path), SplitConfig()):
            found = recognise(profiles, [fix_text(x) for x in story.lines])
            assert found is not None and found.name == expected[path.name[:3]]


def test_plain_story_matches_no_profile() -> None:
    assert recognise(load_profiles(), ["The river rose.", "Roads closed."]) is None


def test_user_profile_adds_a_publisher(tmp_path: Path) -> None:
    (tmp_path / "valley.toml").write_text(
        'name = "valley_times"\nsource = "Valley Times"\n'
        "[recognise]\npatterns = ['VT Desk \\| {date}']\n"
        '[[rules]]\nname = "desk_stamp"\npattern = \'VT Desk \\| {date}\'\nfate = "published"\n'
        "[[rules]]\nname = \"more\"\npattern = 'More from the Valley'\n",
        encoding="utf-8",
    )
    rules = compile_rules(NormaliseConfig(profile_dirs=(str(tmp_path),)), [])
    [story] = split(
        record("VT Desk | 4 May 2024\nThe dam opened.\nWater flowed.\nMore from the Valley"),
        SplitConfig(),
    )
    n = normalise(story, rules)
    assert n.profile == "valley_times" and n.profile_source == "Valley Times"
    assert [(r.fate, r.rule) for r in n.removed] == [
        ("published", "valley_times.desk_stamp"),
        ("removed", "valley_times.more"),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("name = 'x'\n", "needs at least one pattern"),
        ("[recognise]\npatterns = ['a']\n", "missing key"),
        ("name = 'x'\n[recognise]\npatterns = ['(']\n", "bad regular expression"),
        (
            "name = 'x'\n[recognise]\npatterns = ['a']\n"
            "[[rules]]\nname='r'\npattern='a'\nfate='body'\n",
            "fate",
        ),
        ("name = = 'x'", "TOML"),
    ],
)
def test_bad_profile_is_a_config_error(tmp_path: Path, body: str, message: str) -> None:
    (tmp_path / "bad.toml").write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_profiles([tmp_path])


def test_missing_profile_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_profiles([tmp_path / "nope"])


def _batch() -> list[Any]:
    topics = ["wheat", "cotton", "sugar", "rice", "maize", "lentils"]
    stories = []
    for k, topic in enumerate(topics):
        text = (
            f"Farmers brought {topic} to market.\nTraders said {topic} was scarce.\n"
            f"Updated {k + 1} May 2024 | {k} comments"
        )
        stories += split(record(text, path=f"valley/{k}.txt"), SplitConfig())
        stories += split(
            record(f"Other {topic} story.\n{k} comments", path=f"hill/{k}.txt"), SplitConfig()
        )
    return stories


def test_learn_counts_per_source() -> None:
    found = learn(_batch(), 5)
    assert [(c.source, c.pattern, c.stories) for c in found] == [
        ("hill", "<n> comments", 6),
        ("valley", "Updated <date> | <n> comments", 6),
    ]
    assert learn(_batch(), 7) == ()


def test_learned_rules_paste_into_a_profile() -> None:
    found = learn(_batch(), 5)
    block = profile_toml(found, "valley")
    data = tomllib.loads(block)
    [rule] = data["rules"]
    pattern = rule["pattern"].replace("{date}", "(?:.+)")
    assert re.fullmatch(pattern, "Updated 9 June 2024 | 12 comments")


def test_wildcard_keeps_words() -> None:
    assert wildcard("  Page 3 of 10 ") == "Page <n> of <n>"
