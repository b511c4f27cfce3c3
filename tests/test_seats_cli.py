"""`hramada seats` on published counts, and the shipped rules files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import hramada

from hramada.counting.apportion import RulesError
from hramada.counting.rules import load_rules, schema

ROOT = Path(__file__).resolve().parents[1]
COUNCIL_2024 = ROOT.parent / "shared" / "data" / "council-2024" / "list-votes.csv"  # as VECTORS
FINAL_2024 = [28, 13, 8, 8, 8, 6, 6, 3, 0, 0, 0]


def test_2024_final_seats_come_from_hare_with_the_quota_over_all_list_votes() -> None:
    args = ["seats", "--seats", "80", "--threshold", "3", "--method", "hare", "--json"]
    all_base = hramada(*args, "--quota-base", "all", str(COUNCIL_2024), check=True)
    assert [row["seats"] for row in json.loads(all_base.stdout)["lists"]] == FINAL_2024
    eligible = hramada(*args, "--quota-base", "eligible", str(COUNCIL_2024), check=True)
    assert [row["seats"] for row in json.loads(eligible.stdout)["lists"]] != FINAL_2024


def test_shipped_rules_load_and_the_schema_is_current() -> None:
    for name in ("coordination-council-2024.json", "coordination-council-2026.json"):
        load_rules((ROOT / "rules" / name).read_bytes())
    assert json.loads((ROOT / "rules" / "schema.json").read_text()) == schema()


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"threshold": {"percent": "101"}}, "threshold.percent"),
        (
            {
                "seats": 30,
                "list_validity": {},
                "lists": [{"name": "A", "candidates": [{"name": "a", "gender": "f"}]}],
            },
            "seats",
        ),
        (
            {"list_validity": {"min_candidates": 2}, "lists": [{"name": "A", "candidates": []}]},
            "list_validity.min_candidates",
        ),
    ],
)
def test_contradictory_rules_are_refused_naming_the_rule(
    change: dict[str, object], rule: str
) -> None:
    rules = json.loads((ROOT / "rules" / "coordination-council-2026.json").read_text()) | change
    with pytest.raises(RulesError, match=f"^{rule}:"):
        load_rules(json.dumps(rules).encode())


def test_withdrawals_need_the_rules_and_an_archive() -> None:
    args = ["seats", "--seats", "80", "--method", "hare", "--withdrawn", "A:B", str(COUNCIL_2024)]
    out = hramada(*args)
    assert out.returncode == 1 and "withdrawn: candidates are known only with --rules" in out.stderr
