"""Seat rules through the server: bound at creation (refused, naming the rule, when they
contradict themselves or the election), served byte for byte, and the seats on the result
page agreeing with `hramada seats --rules` on the downloaded archive."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from conftest import hramada
from server_harness import add_admin, decrypt_and_publish, download, login, running, set_up
from test_seats_archive import LISTS, RULES

from hramada.counting.rules import binding_line
from hramada.election.ballot import create_ballot

LIST_QUESTION = {
    "question": "Vote for one list",
    "answers": list(LISTS),
    "min": 1,
    "max": 1,
    "blank": True,
    "candidates": [[{"name": n, "gender": g} for n, g in people] for people in LISTS.values()],
}


def create(client: httpx.Client, rules: object, **question: object) -> httpx.Response:
    body = {
        "name": "Council",
        "description": "The council election.",
        "questions": [LIST_QUESTION | question],
        "seat_rules": rules if isinstance(rules, str) else json.dumps(rules),
    }
    return client.post("/api/admin/elections", json=body)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> object:
    data = tmp_path_factory.mktemp("server")
    add_admin(data, None)
    with running(data) as server:
        yield server


@pytest.mark.parametrize(
    ("rules", "question", "named"),
    [
        (RULES | {"threshold": {"percent": "101"}}, {}, "threshold.percent"),
        (RULES | {"seats": 11}, {}, "seats: 11 seats but only 10 candidates"),
        (RULES | {"list_validity": {"min_candidates": 3}}, {}, "list_validity.min_candidates"),
        (RULES | {"list_validity": {"min_gender_share": "60"}}, {}, "list_validity.min_gender_"),
        (RULES | {"method": "plurality"}, {}, "rules file"),
        ("{not json", {}, "rules file: not JSON"),
        (RULES | {"lists": [{"name": "Alpha"}]}, {}, "lists"),
        (RULES, {"max": 2}, "a list question is a vote for one list"),
        (RULES, {"candidates": [[{"name": "A"}]]}, "one list of candidates per answer"),
        (RULES, {"candidates": [[{"name": ""}], ["B"], ["C"]]}, "list 1, 1: name: a text of"),
        (RULES, {"candidates": [["A", "B"], ["C"], []]}, "candidates of list 3: 1 to 500"),
    ],
)
def test_rules_that_contradict_themselves_or_the_election_are_refused(
    server: object, rules: object, question: dict[str, object], named: str
) -> None:
    with server.client() as client:  # type: ignore[attr-defined]
        login(client)
        r = create(client, rules, **question)
        assert r.status_code == 400, r.text
        assert named in r.json()["error"]["message"], r.json()


def test_a_description_binding_rules_it_was_not_given_is_refused(server: object) -> None:
    with server.client() as client:  # type: ignore[attr-defined]
        login(client)
        forged = {"description": binding_line(b"{}"), "name": "x", "questions": [LIST_QUESTION]}
        r = client.post("/api/admin/elections", json=forged)
        assert r.status_code == 400 and "seat rules" in r.json()["error"]["message"], r.text


def test_a_description_binding_other_rules_than_those_given_is_refused(server: object) -> None:
    rules = json.dumps(RULES)
    with server.client() as client:  # type: ignore[attr-defined]
        login(client)
        other = binding_line(json.dumps(RULES | {"seats": 4}).encode())
        body = {"name": "x", "description": other, "questions": [LIST_QUESTION]}
        r = client.post("/api/admin/elections", json=body | {"seat_rules": rules})
        assert r.status_code == 400, r.text
        assert r.json()["error"]["message"].startswith("rules binding: the description binds")
        same = body | {"description": f"Rules:\n{binding_line(rules.encode())}"}
        r = client.post("/api/admin/elections", json=same | {"seat_rules": rules})
        assert r.status_code == 201, r.text
        info = client.get(f"/api/admin/elections/{r.json()['uuid']}").json()
        assert info["description"].count("Seat rules: sha256:") == 1


def test_a_drafts_rules_are_not_served_like_the_draft_itself(server: object) -> None:
    with server.client() as client:  # type: ignore[attr-defined]
        login(client)
        draft = create(client, RULES).json()["uuid"]
        assert client.get(f"/elections/{draft}/rules.json").status_code == 404
        assert client.get(f"/api/elections/{draft}").status_code == 404


def test_seats_on_the_result_page_agree_with_the_command_line(
    server: object, tmp_path: Path
) -> None:
    rules = json.dumps(RULES, indent=1)
    with server.client() as client:  # type: ignore[attr-defined]
        election = set_up(client, tmp_path, 5, trustees=1, questions=[LIST_QUESTION],
                          seat_rules=rules)  # fmt: skip
        uuid = election.uuid
        assert client.get(f"/elections/{uuid}/rules.json").content == rules.encode()
        info = client.get(f"/api/elections/{uuid}").json()
        assert binding_line(rules.encode()) in info["description"]
        assert [q["candidates"] for q in info["questions"]] == [LIST_QUESTION["candidates"]]
        assert [row["valid"] for row in info["seats"]["lists"]] == [True, True, True]
        ctx = election.context(client, tmp_path / "voter")
        for credential, row in zip(election.credentials, [1, 1, 2, 3, 0], strict=True):
            vote = [1 if i == row else 0 for i in range(4)]  # blank flag, then the lists
            r = client.post(
                f"/api/elections/{uuid}/ballots", content=create_ballot(ctx, credential, [vote])
            )
            assert r.status_code == 200, r.text
        assert decrypt_and_publish(client, election, tmp_path) == [[1, 2, 1, 1]]
        seats = client.get(f"/api/elections/{uuid}").json()["seats"]["result"]
        page = client.get(f"/elections/{uuid}/result?lang=lt").text
        archive = download(client, uuid, tmp_path / "observer")
        # A candidate withdraws after the result: a public decision, and the next one moves up.
        withdrawal = {"list": "Alpha", "candidate": "Ala", "reason": "declined the seat"}
        url = f"/api/admin/elections/{uuid}/withdrawals"
        assert client.post(url, json=withdrawal).status_code == 201
        assert client.post(url, json=withdrawal).status_code == 409  # once
        r = client.post(url, json=withdrawal | {"candidate": "Nobody"})
        assert r.status_code == 400 and "'Nobody' is not a candidate" in r.text
        info = client.get(f"/api/elections/{uuid}").json()
        assert info["seats"]["result"]["elected"]["Alpha"] == ["Boris", "Cara", "Dzianis"]
        assert info["decisions"][-1]["action"] == "withdrawal"
        after = client.get(f"/elections/{uuid}/result").text
        client.post("/api/admin/logout")
        assert client.post(url, json=withdrawal | {"candidate": "Boris"}).status_code in (401, 403)
    rules_file = tmp_path / "observer" / f"{uuid}.rules.json"
    rules_file.write_text(rules)
    out = hramada("seats", "--rules", str(rules_file), str(archive), "--json", check=True)
    recomputed = json.loads(out.stdout)
    # 15 % of 5 valid votes (blank included) is 0.75: every list passes; D'Hondt over 2, 1, 1.
    assert [(r["name"], r["seats"]) for r in recomputed["lists"]] == [
        ("Alpha", 3),
        ("Beta", 1),
        ("Gamma", 1),
    ]
    assert [(r["name"], r["seats"]) for r in seats["lists"]] == [
        (r["name"], r["seats"]) for r in recomputed["lists"]
    ]
    assert seats["elected"] == recomputed["elected"]
    assert [s["key"] for s in seats["steps"]] and len(seats["steps"]) + 1 == len(
        recomputed["steps"]
    )
    assert recomputed["steps"][-1] == f"Lot seed (the archive's final hash): {seats['seed']}."
    assert "<li>Ala</li><li>Boris</li><li>Cara</li>" in page and "Pergalė" not in page
    assert f"hramada seats --rules {uuid}.rules.json {uuid}.bel" in page
    command = re.search(r'<pre id="cmd-seats"><code>(.*?)</code>', after)
    assert command and command.group(1).endswith(f"{uuid}.bel --withdrawn Alpha:Ala")
    out = hramada(*command.group(1).split()[1:], "--json", cwd=tmp_path / "observer", check=True)
    assert json.loads(out.stdout)["elected"]["Alpha"] == ["Boris", "Cara", "Dzianis"]
