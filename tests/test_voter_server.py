"""What voters and observers see of a real server: a weighted election in three languages, its
public credential list, an early close, the result's shares, error pages; both verifiers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import belenios_verify, hramada, needs_belenios
from server_harness import add_admin, decrypt_and_publish, download, running, set_up

from hramada.election.ballot import create_ballot
from hramada.protocol.canonical import sha256_b64

QUESTIONS: list[dict[str, object]] = [
    {"question": "Where?", "answers": ["Vilnius", "Kyiv"], "min": 1, "max": 1, "blank": False}
]
TRANSLATIONS: dict[str, object] = {
    "be": {"name": "Сход", "description": "Дзе сабрацца",
           "questions": [{"question": "Дзе?", "answers": ["Вільня", "Кіеў"]}]},
    "ru": {"name": "Съезд", "description": "Где собраться",
           "questions": [{"question": "Где?", "answers": ["Вильнюс", "Киев"]}]},
}  # fmt: skip


def text(html: str) -> str:
    """The page's words, without tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@needs_belenios
def test_a_weighted_translated_election_closed_early(tmp_path: Path) -> None:
    data = tmp_path / "server"
    add_admin(data, None)
    with running(data) as server, server.client() as client:
        election = set_up(
            client, tmp_path, 2, group="BELENIOS-2048", trustees=1, weights=True,
            questions=QUESTIONS, translations=TRANSLATIONS,
        )  # fmt: skip
        uuid = election.uuid
        ctx = election.context(client, tmp_path / "voter")
        assert ctx.election.translations is not None and set(ctx.election.translations) == {
            "be",
            "ru",
        }
        # The booth's copy of the public credential list is the one the authority published.
        listed = client.get(f"/elections/{uuid}/public_credentials.json")
        uploaded = (tmp_path / "authority" / "public_credentials.json").read_bytes()
        assert listed.status_code == 200 and listed.content == uploaded

        # Each voter reads the election in their language; the fingerprint covers all of them.
        be = client.get(f"/elections/{uuid}/vote?lang=be").text
        assert "Дзе?" in be and "Вільня" in be and "Where?" not in be
        assert "Где?" in client.get(f"/elections/{uuid}?lang=ru").text
        assert "Where?" in client.get(f"/elections/{uuid}?lang=pl").text  # no Polish: the base
        assert "Сход" in client.get("/?lang=be").text
        served = client.get(f"/elections/{uuid}/election.json").content
        assert sha256_b64(served) == ctx.fingerprint and "Вільня".encode() in served

        # Weights 1 and 2 (set_up gives 1 + i % 3): Kyiv 1, Vilnius 2.
        for credential, vote in zip(election.credentials, [[[0, 1]], [[1, 0]]], strict=True):
            r = client.post(
                f"/api/elections/{uuid}/ballots", content=create_ballot(ctx, credential, vote)
            )
            assert r.status_code == 200, r.text  # fmt: skip

        # Planned to close in a week; closed now.
        now = datetime.now(UTC)
        window = {
            "opens_at": (now - timedelta(days=1)).isoformat(),
            "closes_at": (now + timedelta(days=7)).isoformat(),
            "reason": "set the window",
        }
        r = client.put(f"/api/admin/elections/{uuid}/window", json=window)
        assert r.status_code == 200, r.text
        assert decrypt_and_publish(client, election, tmp_path) == [[2, 1]]
        closed = client.get(f"/api/elections/{uuid}").json()["closed_at"]
        assert closed is not None and closed[:10] == now.strftime("%Y-%m-%d")
        shown = f"{closed[:10]} {closed[11:16]} UTC"
        for page in ("/", f"/elections/{uuid}", f"/elections/{uuid}/vote"):
            html = client.get(page + "?lang=en").text
            assert "closed early on" in html and shown in html, page

        result = text(client.get(f"/elections/{uuid}/result?lang=en").text)
        assert "66.7%" in result and "33.3%" in result and "100.0%" not in result
        assert "total weight counted, 3" in result

        # Public decisions and error pages in the visitor's language.
        page = text(client.get(f"/elections/{uuid}?lang=be").text)
        for english in ("reason:", "opens_at", "closes_at", "ballots:", "result:", "[["):
            assert english not in page, english
        missing = client.get("/elections/NoSuchElection1?lang=be")
        assert missing.status_code == 404 and "Такіх выбараў няма." in missing.text
        assert "there is no such election" not in missing.text
        nowhere = client.get("/nowhere?lang=be")
        assert nowhere.status_code == 404 and "Такой старонкі няма." in nowhere.text

        archive = download(client, uuid, tmp_path / "observer")
    assert hramada("verify", str(archive)).returncode == 0
    proc = belenios_verify(archive)
    assert proc.returncode == 0, proc.stdout + proc.stderr
