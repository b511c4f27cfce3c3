"""The threshold key ceremony: its pure steps and share encryption, a tampered share or relay
caught, the schema migration, and a 2-of-3 election over the real server where each trustee
runs the CLI in its own folder and only two of them decrypt."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import httpx
import pytest
from conftest import belenios_verify, hramada, needs_belenios
from server_harness import (
    HRAMADA,
    QUESTIONS,
    add_admin,
    cli,
    download,
    login,
    running,
)

from hramada.cli.ceremony import CeremonyFailure, ceremony_url
from hramada.crypto.group import Group
from hramada.crypto.groups import get_group
from hramada.election.ballot import create_ballot
from hramada.election.ceremony import (
    BadShare,
    EncryptedShare,
    PolynomialUpload,
    assemble,
    check_certificates,
    check_polynomial,
    check_verification_key,
    commitment_at,
    evaluate,
    make_certificate,
    make_decryption_key,
    make_polynomial,
    seal,
    seal_share,
    unseal,
)
from hramada.election.context import context_from_archive
from hramada.election.errors import Rejected
from hramada.election.trustees import check_pedersen, lagrange, make_pedersen, sign_message
from hramada.protocol.archive import read_archive
from hramada.protocol.canonical import decode, encode
from hramada.protocol.model import (
    CertKeys,
    SignedMessage,
    ThresholdParameters,
    TrusteePublicKey,
)

# --- the pure steps --------------------------------------------------------------------


@dataclasses.dataclass
class Member:
    index: int
    sk: int
    dk: int
    cert: SignedMessage
    poly: list[int] = dataclasses.field(default_factory=list)
    upload: PolynomialUpload | None = None


def certify(group: Group, size: int, threshold: int) -> list[Member]:
    out = []
    for i in range(1, size + 1):
        sk, dk, cert = make_certificate(group, size, threshold, i)
        out.append(Member(i, sk, dk, cert))
    return out


def polynomials(group: Group, members: list[Member], threshold: int) -> list[SignedMessage]:
    certs = [m.cert for m in members]
    for m in members:
        m.poly, m.upload = make_polynomial(group, certs, threshold, m.index, m.sk, m.dk)
    return certs


def uploads(members: list[Member]) -> list[PolynomialUpload]:
    out = [m.upload for m in members]
    assert all(u is not None for u in out)
    return [u for u in out if u is not None]


def decryption_key(
    group: Group, members: list[Member], threshold: int, m: Member
) -> tuple[int, TrusteePublicKey]:
    ups = uploads(members)
    return make_decryption_key(
        group,
        [x.cert for x in members],
        threshold,
        [u.coefexps for u in ups],
        [u.signature for u in ups],
        [u.shares[m.index - 1] for u in ups],
        m.index,
        m.sk,
        m.dk,
    )


@pytest.mark.parametrize("group_name", ["Ed25519", "BELENIOS-2048", "RFC-3526-2048"])
def test_the_three_steps_make_the_set_make_pedersen_makes(group_name: str) -> None:
    group = get_group(group_name)
    members = certify(group, 3, 2)
    certs = polynomials(group, members, 2)
    results = [decryption_key(group, members, 2, m) for m in members]
    params = assemble(group, 2, certs, uploads(members), [vk for _, vk in results])

    y = check_pedersen(group, params, "ceremony")
    secret = sum(m.poly[0] for m in members) % group.q
    assert y == group.g_pow(secret)
    for (s, vk), m in zip(results, members, strict=True):
        assert group.decode(vk.public_key) == group.g_pow(s)
        assert s == sum(evaluate(x.poly, m.index, group.q) for x in members) % group.q
    # Any two members' keys combine to the election secret, as the tally's decryption does.
    for quorum in ([1, 2], [1, 3], [2, 3]):
        combined = sum(results[j - 1][0] * lagrange(quorum, j, group.q) for j in quorum)
        assert combined % group.q == secret
    # The same 2.5.1 layout as make_pedersen, which both belenios-tool versions accept.
    reference = make_pedersen(group, 3, 2).parameters
    assert params.signatures is not None and reference.signatures is not None
    assert list(json.loads(encode(params))) == list(json.loads(encode(reference)))
    for c, r in zip(params.certs, reference.certs, strict=True):
        assert list(json.loads(c.message)) == list(json.loads(r.message))
        assert decode(c.message, CertKeys, "cert").context is not None


def test_seal_opens_only_with_the_recipients_key() -> None:
    group = get_group("Ed25519")
    dk = group.random_scalar()
    sealed = seal(group, group.g_pow(dk), b"a share")
    assert unseal(group, dk, sealed, "it") == b"a share"
    again = seal(group, group.g_pow(dk), b"a share")
    assert (again.alpha, again.box) != (sealed.alpha, sealed.box)  # fresh key and nonce
    with pytest.raises(Rejected, match="does not open"):
        unseal(group, dk + 1, sealed, "it")
    with pytest.raises(Rejected, match="identity"):
        unseal(group, dk, EncryptedShare(group.encode(group.one), sealed.box), "it")
    with pytest.raises(Rejected, match="subgroup"):
        unseal(group, dk, EncryptedShare("ab" * 32, sealed.box), "it")
    with pytest.raises(Rejected, match="Base64"):
        unseal(group, dk, EncryptedShare(sealed.alpha, "not base64!"), "it")


def test_a_wrong_share_is_caught_and_its_sender_named() -> None:
    group = get_group("Ed25519")
    members = certify(group, 3, 2)
    polynomials(group, members, 2)
    cheat, victim = members[1], members[2]
    assert cheat.upload is not None
    # Trustee 2 signs and seals to trustee 3 a value off its committed polynomial.
    wrong = (evaluate(cheat.poly, 3, group.q) + 1) % group.q
    ek = group.g_pow(victim.dk)
    cheat.upload.shares[2] = seal_share(group, cheat.sk, 2, 3, ek, wrong)
    with pytest.raises(BadShare, match="trustee 2 does not match") as caught:
        decryption_key(group, members, 2, victim)
    assert caught.value.sender == 2
    # The others' shares from trustee 2 are right: they finish their step.
    decryption_key(group, members, 2, members[0])


def test_a_relay_cannot_forge_damage_or_redirect_a_share() -> None:
    group = get_group("Ed25519")
    members = certify(group, 3, 2)
    polynomials(group, members, 2)
    victim = members[2]
    upload = members[0].upload
    assert upload is not None
    good = upload.shares[2]

    # A share the relay made itself: well sealed, but not signed by trustee 1.
    relay_key = group.random_scalar()
    ek = group.g_pow(victim.dk)
    upload.shares[2] = seal_share(group, relay_key, 1, 3, ek, 42)
    with pytest.raises(BadShare, match="not signed") as caught:
        decryption_key(group, members, 2, victim)
    assert caught.value.sender == 1

    # A damaged box.
    box = bytearray(good.box.encode())
    box[-5] = ord("A") if box[-5] != ord("A") else ord("B")
    upload.shares[2] = EncryptedShare(good.alpha, box.decode())
    with pytest.raises(BadShare, match="trustee 1 does not open"):
        decryption_key(group, members, 2, victim)

    # Trustee 1's share for trustee 2, re-sealed to trustee 3 by someone who could open it.
    for_two = upload.shares[1]
    plain = unseal(group, members[1].dk, for_two, "share")
    upload.shares[2] = seal(group, ek, plain)
    with pytest.raises(BadShare, match="addressed to someone else"):
        decryption_key(group, members, 2, victim)

    # The genuine share opens.
    upload.shares[2] = good
    decryption_key(group, members, 2, victim)


def test_everyone_sees_the_same_certificates() -> None:
    group = get_group("Ed25519")
    members = certify(group, 3, 2)
    certs = polynomials(group, members, 2)
    # The relay shows trustee 3 another certificate for trustee 1 at step 3: trustee 1's
    # signature over the certificates and commitments no longer holds.
    _, _, other = make_certificate(group, 3, 2, 1)
    shown = [other, *certs[1:]]
    ups = uploads(members)
    with pytest.raises(Rejected, match="signature"):
        make_decryption_key(
            group,
            shown,
            2,
            [u.coefexps for u in ups],
            [u.signature for u in ups],
            [u.shares[2] for u in ups],
            3,
            members[2].sk,
            members[2].dk,
        )
    # A certificate with the wrong context or signature is refused at step 2.
    bad = SignedMessage(certs[0].message, certs[1].signature)
    with pytest.raises(Rejected, match="certificate 1: the signature is invalid"):
        make_polynomial(group, [bad, *certs[1:]], 2, 2, members[1].sk, members[1].dk)
    with pytest.raises(Rejected, match="made for trustee 1 of 3, threshold 2"):
        make_polynomial(group, certs[:2], 2, 2, members[1].sk, members[1].dk)


def test_the_relay_checks_each_upload() -> None:
    group = get_group("Ed25519")
    members = certify(group, 3, 2)
    certs = polynomials(group, members, 2)
    keys = check_certificates(group, certs, 2)
    rows = [
        check_polynomial(group, certs, keys, 2, m.index, u)
        for m, u in zip(members, uploads(members), strict=True)
    ]
    assert rows[0] == [group.g_pow(a) for a in members[0].poly]
    assert commitment_at(group, rows[0], 2) == group.g_pow(evaluate(members[0].poly, 2, group.q))
    up = uploads(members)[0]
    with pytest.raises(Rejected, match="0 shares for 3 trustees"):
        check_polynomial(group, certs, keys, 2, 1, PolynomialUpload(up.coefexps, up.signature, []))
    with pytest.raises(Rejected, match="signature is invalid"):
        check_polynomial(group, certs, keys, 2, 2, up)  # trustee 1's upload as trustee 2's
    resigned = sign_message(group, members[0].sk, up.coefexps.message + " ")
    with pytest.raises(Rejected, match="canonical"):
        check_polynomial(group, certs, keys, 2, 1, PolynomialUpload(resigned, up.signature, []))
    _, vk = decryption_key(group, members, 2, members[0])
    check_verification_key(group, rows, 1, vk)
    with pytest.raises(Rejected, match="does not match"):
        check_verification_key(group, rows, 2, vk)


def test_a_trustee_link_gives_the_ceremony_address() -> None:
    want = "https://vote.example/api/trustee/Ab_c-1/ceremony"
    for link in (
        "https://vote.example/trustee/Ab_c-1",
        " https://vote.example/trustee/Ab_c-1/ ",
        "https://vote.example/api/trustee/Ab_c-1/key",
    ):
        assert ceremony_url(link) == want
    assert ceremony_url("https://x.example/hramada/trustee/T") == (
        "https://x.example/hramada/api/trustee/T/ceremony"
    )
    for bad in ("ftp://x.example/trustee/T", "https://x.example/elections/T", "trustee/T"):
        with pytest.raises(CeremonyFailure, match="not a trustee link"):
            ceremony_url(bad)


def test_the_migration_creates_the_ceremony_tables(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import inspect

    import hramada.server.ceremony_tables as ceremony_tables
    from hramada.server.database import connect
    from hramada.server.tables import metadata

    engine = connect(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with engine.connect() as db:
        diffs = compare_metadata(MigrationContext.configure(db), metadata)
    assert [d for d in diffs if "ceremon" in str(d)] == []
    tables = set(inspect(engine).get_table_names())
    assert {ceremony_tables.ceremonies.name, ceremony_tables.ceremony_messages.name} <= tables
    engine.dispose()


# --- the server, the trustees' CLI, and both verifiers -----------------------------------


def threshold_run(
    link: str, state: Path, *more: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = hramada("trustee", "threshold", "--url", link, "--state", str(state), *more)
    if check:
        assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    return done


def draft(client: httpx.Client, work: Path, group: str, voters: int, trustees: int) -> dict:
    """An election with a 2-of-n threshold: credentials uploaded, trustees added."""
    login(client)
    r = client.post(
        "/api/admin/elections",
        json={"name": "Council", "group": group, "questions": QUESTIONS, "threshold": 2},
    )
    assert r.status_code == 201, r.text
    uuid = r.json()["uuid"]
    authority = work / "authority"
    authority.mkdir(parents=True)
    (authority / "voters.txt").write_text("".join(f"v{i}@x.invalid\n" for i in range(voters)))
    cli("credentials", "generate", "--uuid", uuid, "--voters", authority / "voters.txt",
        "--group", group, "--out", authority)  # fmt: skip
    r = client.put(
        f"/api/admin/elections/{uuid}/credentials",
        content=(authority / "public_credentials.json").read_bytes(),
    )
    assert r.status_code == 200, r.text
    links = []
    for n in range(trustees):
        r = client.post(f"/api/admin/elections/{uuid}/trustees", json={"name": f"T{n + 1}"})
        assert r.status_code == 201, r.text
        links.append(f"{client.base_url}{r.json()['link']}")
    private = json.loads((authority / "private_credentials.json").read_text())
    return {"uuid": uuid, "links": links, "credentials": list(private.values())}


@pytest.mark.parametrize(
    ("group", "together", "database"),
    [
        pytest.param("Ed25519", True, "sqlite", id="Ed25519-concurrent"),
        pytest.param("Ed25519", True, "postgresql", id="Ed25519-concurrent-postgresql"),
        pytest.param(
            "BELENIOS-2048", False, "sqlite", id="BELENIOS-2048-in-turn", marks=needs_belenios
        ),
    ],
)
def test_a_two_of_three_election_with_the_ceremony(
    tmp_path: Path, request: pytest.FixtureRequest, group: str, together: bool, database: str
) -> None:
    url = str(request.getfixturevalue("postgres")) if database == "postgresql" else None
    data = tmp_path / "server"
    add_admin(data, url)
    homes = [tmp_path / f"trustee{n}" for n in range(1, 4)]
    with running(data, url) as server, server.client() as client:
        e = draft(client, tmp_path, group, voters=5, trustees=3)
        uuid, links = e["uuid"], e["links"]
        r = client.post(f"/api/admin/elections/{uuid}/open")
        assert r.status_code == 409 and "ceremony" in r.json()["error"]["message"]

        if together:
            # Each trustee starts the command once and it waits for the others.
            command = [*HRAMADA, "trustee", "threshold", "--wait", "--poll", "0.2"]
            runs = [
                subprocess.Popen(
                    [*command, "--url", link, "--state", str(home / "ceremony")],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for link, home in zip(links, homes, strict=True)
            ]
            for p in runs:
                out, errors = p.communicate(timeout=300)
                assert p.returncode == 0, f"{out}\n{errors}"
                assert "The key ceremony is complete" in out
        else:
            # Each trustee runs the command three times, in turn; each run says what is next.
            states = [home / "ceremony" for home in homes]
            first = [threshold_run(link, st) for link, st in zip(links, states, strict=True)]
            assert "Waiting for the certificate of: T2, T3" in first[0].stdout
            assert "Step 2 of 3 done" in first[2].stdout  # the last certificate: go on
            for link, home in zip(links, homes, strict=True):
                threshold_run(link, home / "ceremony")
            r = client.post(f"/api/admin/elections/{uuid}/open")
            assert r.status_code == 409 and "T1" in r.json()["error"]["message"]
            last = [threshold_run(link, st) for link, st in zip(links, states, strict=True)]
            assert all("The key ceremony is complete" in d.stdout for d in last)

        for home in homes:
            state = home / "ceremony" / "ceremony.json"
            assert state.stat().st_mode & 0o777 == 0o600
            assert '"sk"' not in state.read_text()  # the keys are forgotten at the end
            (key,) = (home / "ceremony").glob("*.privkey")
            assert key.stat().st_mode & 0o777 == 0o600
        info = client.get(f"/api/admin/elections/{uuid}").json()
        assert info["threshold"] == 2
        assert all(t["key_submitted"] for t in info["trustees"])

        r = client.post(f"/api/admin/elections/{uuid}/open")
        assert r.status_code == 200, r.text
        ctx = context_from_archive(read_archive(download(client, uuid, tmp_path / "voter")))
        (item,) = ctx.trustees
        assert isinstance(item, ThresholdParameters) and item.threshold == 2
        votes = [[[0, 1, 0, 0], [1, 0]], [[0, 0, 1, 1], [0, 1]], [[0, 1, 1, 0], [1, 0]]]
        for credential, vote in zip(e["credentials"], votes, strict=False):
            r = client.post(
                f"/api/elections/{uuid}/ballots", content=create_ballot(ctx, credential, vote)
            )
            assert r.status_code == 200, r.text  # fmt: skip
        r = client.post(f"/api/admin/elections/{uuid}/close")
        assert r.status_code == 200, r.text

        # Only trustees 1 and 3 decrypt, each with the key the ceremony left in its folder.
        for n in (1, 3):
            home, token = homes[n - 1], links[n - 1].rsplit("/", 1)[1]
            archive = download(client, uuid, home)
            (key,) = (home / "ceremony").glob("*.privkey")
            done = cli("trustee", "decrypt", archive, "--key", key, "--out", home / "pd.json")
            assert f"trustee number {n}" in done.stderr
            cli("trustee", "submit", f"{client.base_url}/api/trustee/{token}/decryption",
                home / "pd.json")  # fmt: skip
        r = client.post(f"/api/admin/elections/{uuid}/publish")
        assert r.status_code == 200, r.text
        assert r.json()["result"] == [[0, 2, 2, 1], [2, 1]]
        archive = download(client, uuid, tmp_path / "observer")
    assert hramada("verify", str(archive)).returncode == 0
    if group == "BELENIOS-2048":
        checked = belenios_verify(archive)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_relay_refuses_bad_uploads_and_a_bad_share_stops_its_recipient(
    tmp_path: Path,
) -> None:
    data = tmp_path / "server"
    add_admin(data, None)
    group = get_group("Ed25519")
    homes = [tmp_path / f"trustee{n}" / "ceremony" for n in range(1, 4)]
    with running(data) as server, server.client() as client:
        e = draft(client, tmp_path, "Ed25519", voters=2, trustees=3)
        uuid, links = e["uuid"], e["links"]
        api = [f"{client.base_url}/api/trustee/{link.rsplit('/', 1)[1]}/ceremony" for link in links]

        # Not a certificate; the wrong index; not self-signed; too early for step 2.
        r = client.put(f"{api[0]}/certificate", content=b'{"message": 1}')
        assert r.status_code == 400 and r.json()["error"]["check"] == "ceremony certificate"
        _, _, wrong_index = make_certificate(group, 3, 2, 2)
        r = client.put(f"{api[0]}/certificate", content=encode(wrong_index))
        assert r.status_code == 400 and "made for trustee 2 of 3" in r.json()["error"]["message"]
        _, _, cert = make_certificate(group, 3, 2, 1)
        forged = SignedMessage(cert.message, wrong_index.signature)
        r = client.put(f"{api[0]}/certificate", content=encode(forged))
        assert r.status_code == 400 and "signature is invalid" in r.json()["error"]["message"]
        r = client.put(f"{api[0]}/polynomial", content=b"{}")
        assert r.status_code == 409 and r.json()["error"]["check"] == "ceremony waiting"

        for link, home in zip(links[:2], homes[:2], strict=True):
            threshold_run(link, home)
        # Trustee 1's certificate is in: a different one is refused, the same one accepted.
        r = client.put(f"{api[0]}/certificate", content=encode(cert))
        assert r.status_code == 409 and "already" in r.json()["error"]["message"]
        sent = json.loads((homes[0] / "ceremony.json").read_text())["certificate"]
        assert client.put(f"{api[0]}/certificate", content=sent).status_code == 200
        # The ceremony has begun: the trustee list is fixed, keys are no longer submitted.
        r = client.post(f"/api/admin/elections/{uuid}/trustees", json={"name": "late"})
        assert r.status_code == 409 and "restart" in r.json()["error"]["message"]
        r = client.put(f"{api[0][: -len('/ceremony')]}/key", content=b"{}")
        assert r.status_code == 409 and "ceremony" in r.json()["error"]["message"]

        # Trustee 3 plays fair; trustee 2 is a cheat, sending trustee 3 a share off its
        # polynomial (well signed and sealed, so only trustee 3 can tell).
        threshold_run(links[2], homes[2])
        status = client.get(api[1]).json()
        certs = [decode(json.dumps(c), SignedMessage, "c") for c in status["certificates"]]
        state = json.loads((homes[1] / "ceremony.json").read_text())
        sk, dk = int(state["sk"]), int(state["dk"])
        poly, upload = make_polynomial(group, certs, 2, 2, sk, dk)
        ek3 = group.decode(decode(certs[2].message, CertKeys, "c").encryption)
        wrong = (evaluate(poly, 3, group.q) + 1) % group.q
        upload.shares[2] = seal_share(group, sk, 2, 3, ek3, wrong)
        r = client.put(f"{api[1]}/polynomial", content=encode(upload)[:-1])
        assert r.status_code == 400 and "malformed" in r.json()["error"]["message"]
        r = client.put(f"{api[1]}/verification-key", content=b"{}")
        assert r.status_code == 409 and "T1, T2" in r.json()["error"]["message"]
        r = client.put(f"{api[1]}/polynomial", content=encode(upload))
        assert r.status_code == 200, r.text
        threshold_run(links[0], homes[0])  # trustee 1: its share from trustee 2 is right
        done = threshold_run(links[2], homes[2], check=False)
        assert done.returncode == 1
        assert "Trustee 2 (T2) sent you a bad share" in done.stderr, done.stderr
        assert not list(homes[2].glob("*.privkey"))

        # The administrator restarts; everyone runs again with new keys, and it completes.
        r = client.post(f"/api/admin/elections/{uuid}/ceremony/restart")
        assert r.status_code == 200, r.text
        for _ in range(3):
            for link, home in zip(links, homes, strict=True):
                last = threshold_run(link, home)
        assert "The key ceremony is complete" in last.stdout
        r = client.post(f"/api/admin/elections/{uuid}/open")
        assert r.status_code == 200, r.text
        r = client.put(f"{api[0]}/certificate", content=sent)
        assert r.status_code == 409 and r.json()["error"]["check"] == "setup fixed"
