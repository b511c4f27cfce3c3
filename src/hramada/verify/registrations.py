"""Check registrations.json (and the registry's issuance statement) against a verified Setup."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from hramada.election import registrations as reg
from hramada.election.context import ElectionContext
from hramada.election.errors import Rejected
from hramada.protocol.canonical import FormatError, decode
from hramada.verify.report import Problem, Report

REGISTRATIONS = reg.REGISTRATIONS_FILE
ISSUANCE = reg.ISSUANCE_FILE


def _fail(report: Report, check: str, detail: str) -> None:
    report.problems.append(Problem(None, "registrations", check, detail))


def check_registrations(folder: Path, ctx: ElectionContext, report: Report) -> None:
    """When the election binds a registry, or registrations.json lies beside the archive:
    the key is the bound one, every credential is signed, none twice, the list is exactly
    the Setup's, and no more were registered than the registry says it issued."""
    bound = ctx.election.credential_authority
    path = folder / REGISTRATIONS
    if not path.exists():
        if reg.is_binding(bound):
            report.unsupported.append(
                f"the election takes anonymous registrations but {REGISTRATIONS} is not beside "
                "the archive: the registry's signatures were not checked"
            )
        return
    try:
        published = decode(path.read_bytes(), reg.Registrations, REGISTRATIONS)
        key = reg.blind_key(published.registry)
        binding = reg.binding(published.registry)
    except (FormatError, OSError) as e:
        _fail(report, "registrations format", str(e))
        return
    except Rejected as e:
        _fail(report, "registry key", e.detail)
        return
    uuid = ctx.election.uuid
    if published.election != uuid:
        _fail(report, "registrations election", f"they are for election {published.election}")
    if bound != binding:
        _fail(report, "registry key", "the registry key is not the one bound to the election")
    counts = Counter(r.credential for r in published.registrations)
    for credential, n in sorted(counts.items()):
        if n > 1:
            _fail(report, "registrations duplicate", f"{credential[:16]}... is listed {n} times")
    for i, r in enumerate(published.registrations):
        try:
            prefix, signature = reg.decode_registration(r)
            reg.check_registration(uuid, key, r.credential, prefix, signature)
        except Rejected as e:
            _fail(
                report, "registration signature", f"entry {i} ({r.credential[:16]}...): {e.detail}"
            )
    setup = set(ctx.credentials)
    if set(counts) != setup:
        missing, extra = len(setup - set(counts)), len(set(counts) - setup)
        _fail(
            report,
            "registrations list",
            f"the Setup's credentials differ: {missing} not registered, {extra} not in the Setup",
        )
    if any(w != 1 for w in ctx.credentials.values()):
        _fail(report, "registrations list", "registered credentials carry no weights")
    report.registrations = len(published.registrations)
    _check_issuance(folder / ISSUANCE, published, binding, report)


def _check_issuance(path: Path, published: reg.Registrations, binding: str, report: Report) -> None:
    if not path.exists():
        report.unsupported.append(
            f"no {ISSUANCE} beside the archive: the number of registrations was not compared "
            "with the number of signatures the registry issued"
        )
        return
    try:
        signed = decode(path.read_bytes(), reg.SignedStatement, ISSUANCE)
        reg.check_statement(published.registry, signed)
    except (FormatError, OSError) as e:
        _fail(report, "issuance format", str(e))
        return
    except Rejected as e:
        _fail(report, "issuance signature", e.detail)
        return
    statement = signed.statement
    if statement.election != published.election or statement.registry != binding:
        _fail(report, "issuance election", "the statement is for another election or key")
    if (
        sum(statement.registrars.values()) != statement.issued
        or statement.issued > statement.members
    ):
        _fail(
            report,
            "issuance counts",
            f"{statement.issued} signatures issued, but {sum(statement.registrars.values())} by "
            f"the registrars and {statement.members} members enrolled (one signature each at most)",
        )
    if len(published.registrations) > statement.issued:
        _fail(
            report,
            "issuance count",
            f"{len(published.registrations)} credentials registered, "
            f"but the registry issued only {statement.issued} signatures",
        )
