"""The credential authority's lists: private credentials for voters, public ones for the archive."""

from __future__ import annotations

from dataclasses import dataclass

from hramada.crypto.credentials import derive_secret, generate_credential
from hramada.crypto.group import Group, GroupError, decode_decimal
from hramada.election.errors import Rejected
from hramada.protocol.canonical import FormatError, decode, encode


@dataclass(frozen=True)
class Voter:
    """One voter of the list, by login or email; the id never reaches the archive."""

    id: str
    weight: int = 1


@dataclass(frozen=True)
class CredentialBatch:
    private: dict[str, str]  # voter id -> private credential, handed to the voter only
    public: bytes  # the archived public credential list


def parse_voters(text: str) -> list[Voter]:
    """Read belenios-tool's voter list: one `email[,login[,weight]]` per line.

    The voter is known by the login when there is one, else by the email; weights are
    positive integers, 1 when absent.
    """
    voters: list[Voter] = []
    seen: set[str] = set()
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split(",")]
        if len(fields) > 3 or not fields[0]:
            raise ValueError(f"line {n}: expected email[,login[,weight]]")
        vid = fields[1] if len(fields) > 1 and fields[1] else fields[0]
        weight = 1
        if len(fields) == 3:
            if not fields[2].isdigit() or int(fields[2]) <= 0:
                raise ValueError(f"line {n}: the weight must be a positive integer")
            weight = int(fields[2])
        if vid in seen:
            raise ValueError(f"line {n}: voter {vid!r} listed twice")
        seen.add(vid)
        voters.append(Voter(vid, weight))
    return voters


def generate_credentials(group: Group, uuid: str, voters: list[Voter]) -> CredentialBatch:
    """One fresh credential per voter; the public list is sorted so it reveals no voter order."""
    weighted = any(v.weight != 1 for v in voters)
    private: dict[str, str] = {}
    public: list[tuple[int, str]] = []
    for v in voters:
        cred = generate_credential()
        private[v.id] = cred
        pub = group.g_pow(derive_secret(cred, uuid, group.q))
        entry = group.encode(pub)
        if weighted:
            entry += f",{v.weight}"
        public.append((group.element_key(pub), entry))
    public.sort()
    return CredentialBatch(private, encode([e for _, e in public]))


def parse_public_credentials(group: Group, data: bytes, check_keys: bool = True) -> dict[str, int]:
    """Map each public credential (as written) to its weight. Every key is validated as a
    group element too, unless `check_keys` is False: then the caller checks them
    (`credential_key_problem` for each), on other cores, say."""
    try:
        entries = decode(data, list[str], "public credentials")
    except FormatError as e:
        raise Rejected("credentials", str(e)) from None
    out: dict[str, int] = {}
    forms: set[int] = set()
    for i, entry in enumerate(entries):
        key, *rest = entry.split(",")
        forms.add(len(rest))
        if len(rest) > 1:
            raise Rejected("credentials", f"entry {i} is not 'key' or 'key,weight'")
        if check_keys and (problem := credential_key_problem(group, key)) is not None:
            raise Rejected("credentials", f"entry {i}: {problem}")
        try:
            weight = decode_decimal(rest[0], "weight") if rest else 1
        except GroupError as e:
            raise Rejected("credentials", f"entry {i}: {e}") from None
        if weight <= 0:
            raise Rejected("credentials", f"entry {i}: weight must be positive")
        if key in out:
            raise Rejected("credentials", f"public credential {key[:16]}... is listed twice")
        out[key] = weight
    if len(forms) > 1:
        raise Rejected("credentials", "entries mix weighted and unweighted forms")
    return out


def credential_key_problem(group: Group, key: str) -> str | None:
    """Why `key` is no public credential (not an encoded element of the group's prime-order
    subgroup, or the identity), or None."""
    try:
        if group.decode(key) == group.one:
            return "the identity is no credential: its secret is 0"
    except GroupError as e:
        return str(e)
    return None
