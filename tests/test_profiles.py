"""Bundled profiles recognise their own layout and nothing else."""

from __future__ import annotations

import pytest

from cleaner.cruft import load_profiles, recognise

PROFILES = load_profiles()


@pytest.mark.parametrize(
    ("lines", "why"),
    [
        (
            [
                "Council backs new tram line",
                "By Ann Lee | City Desk",
                "The council voted on Tuesday to fund the tram.",
            ],
            "a 'By name | desk' byline is common to many sites; it names no publisher",
        ),
        (
            ["Updated figures show exports rose.", "Follow the money, she said."],
            "cruft words inside sentences are not a layout",
        ),
    ],
)
def test_generic_lines_recognise_no_profile(lines: list[str], why: str) -> None:
    assert recognise(PROFILES, lines) is None, why


def test_harbour_herald_is_recognised_by_its_footer() -> None:
    lines = [
        "Ferry fares rise",
        "The ferry company raised fares by 4%.",
        "\u00a9 2024 Harbour Herald. All rights reserved.",
    ]
    found = recognise(PROFILES, lines)
    assert found is not None and found.source == "Harbour Herald"
