"""`hramada verify --ray` on a real local Ray cluster (a head and a worker node on loopback):
the same output and exit code as the local verifier, for a good and a tampered archive."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from archive_edit import EditableArchive
from conftest import hramada
from ray_harness import local_cluster

from hramada.crypto.groups import get_group
from hramada.election.demo import DemoOutcome
from hramada.verify import ray_cluster
from hramada.verify.verifier import verify_archive


def test_no_cluster_to_join_exits_4(demo_archives: dict[str, DemoOutcome], tmp_path: Path) -> None:
    """`auto` with no Ray cluster running: it runs before this module starts its cluster (Ray
    finds a local cluster by its files in RAY_TMPDIR, empty here, and by its processes)."""
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"} | {
        "RAY_TMPDIR": str(tmp_path)
    }
    path = demo_archives["ed-threshold"].path
    done = subprocess.run(
        [sys.executable, "-m", "hramada", "verify", str(path), "--ray", "auto"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 4, done.stdout + done.stderr
    assert "cannot join the Ray cluster at auto" in done.stderr


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    with local_cluster(head_cpus=1, worker_cpus=(1,)) as address:
        yield address


@pytest.fixture(scope="module")
def tampered(
    demo_archives: dict[str, DemoOutcome], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The Ed25519 demo with one proof of its fourth ballot changed (and the ballot re-hashed,
    so only the ballot check can find it)."""
    edit = EditableArchive.read(demo_archives["ed-threshold"].path)

    def bump(ballot: dict[str, object]) -> None:
        proof = ballot["answers"][0]["individual_proofs"][1][0]  # type: ignore[index]
        proof["response"] = str(int(proof["response"]) + 1)

    edit.step("Ballot", 3).edit(bump)
    return edit.write(tmp_path_factory.mktemp("tampered") / "tampered.bel")


@pytest.fixture(scope="module")
def bad_roll(
    demo_archives: dict[str, DemoOutcome], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The Ed25519 demo with 300 more credential keys, two of them bad (the identity at the
    150th, then at the 290th a point outside the subgroup): they span several chunks of keys."""
    edit = EditableArchive.read(demo_archives["ed-threshold"].path)
    group = get_group("Ed25519")
    entries = json.loads(edit.credentials)
    extra = [group.encode(group.g_pow(group.random_scalar())) for _ in range(300)]
    extra[150] = group.encode(group.one)
    extra[290] = "ec" + "ff" * 30 + "7f"
    weight = entries[0].partition(",")[2]
    edit.credentials = json.dumps(
        entries + [f"{k},{weight}" if weight else k for k in extra]
    ).encode()
    return edit.write(tmp_path_factory.mktemp("roll") / "roll.bel")


def test_a_bad_roll_on_ray_says_what_the_local_verifier_says(
    cluster: str, demo_archives: dict[str, DemoOutcome], bad_roll: Path
) -> None:
    """The credential keys are checked on the cluster too, and the first bad one is named."""
    entries = len(json.loads(EditableArchive.read(demo_archives["ed-threshold"].path).credentials))
    local = verify_archive(bad_roll, workers=1)
    on_ray = verify_archive(bad_roll, ray=cluster)
    assert on_ray == local
    [problem] = local.problems
    assert (problem.height, problem.check) == (0, "credentials")
    assert problem.detail.startswith(f"entry {entries + 150}: the identity is no credential")


@pytest.mark.parametrize("which", ["good", "tampered"])
def test_verify_on_ray_says_what_the_local_verifier_says(
    cluster: str, demo_archives: dict[str, DemoOutcome], tampered: Path, which: str
) -> None:
    path = demo_archives["ed-threshold"].path if which == "good" else tampered
    local = hramada("verify", str(path))
    on_ray = hramada("verify", str(path), "--ray", cluster)
    assert local.returncode == (0 if which == "good" else 1), local.stdout + local.stderr
    assert (on_ray.returncode, on_ray.stdout) == (local.returncode, local.stdout), on_ray.stderr
    failed = [line for line in local.stderr.splitlines() if line.startswith("FAILED")]
    assert [line for line in on_ray.stderr.splitlines() if line.startswith("FAILED")] == failed
    if which == "tampered":
        assert failed and "event 4 (Ballot)" in failed[0]


def test_ballots_go_out_in_bounded_chunks_over_both_nodes(
    cluster: str,
    demo_archives: dict[str, DemoOutcome],
    tampered: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Chunks of two ballots (and of 32 credential keys), at most one per CPU out at a time;
    the reports, every problem included, are the local ones."""
    monkeypatch.setattr(ray_cluster, "CHUNK", 2)
    monkeypatch.setattr(ray_cluster, "IN_FLIGHT", 1)
    sizes: dict[str, list[int]] = {}
    try:
        for path in (demo_archives["ed-threshold"].path, tampered):
            local = verify_archive(path, collect_all=True, workers=1)
            report = verify_archive(
                path,
                collect_all=True,
                ray=cluster,
                progress=lambda stage, done, total: sizes.setdefault(stage, []).append(done),
            )
            assert report == local
            steps = {
                stage: {b - a for a, b in zip([0, *done], done, strict=False)}
                for stage, done in sizes.items()
            }
            sizes.clear()
            assert steps["credentials"] <= set(range(1, 33)) and max(steps["credentials"]) > 2
            assert steps["ballots"] <= {1, 2} and steps["tally"] <= {1, 2}
    finally:
        ray_cluster.connect(cluster).shutdown()
