"""Setting an election up: its UUID, the election text with the joint key, the trustees list."""

from __future__ import annotations

import secrets

from hramada.crypto.credentials import BASE58
from hramada.crypto.group import Element, Group
from hramada.protocol.canonical import encode
from hramada.protocol.model import Election, Template
from hramada.protocol.trustees import Trustee, encode_trustees


def new_uuid() -> str:
    """A fresh election identifier: 14 random Base58 characters, as Belenios draws them."""
    return "".join(secrets.choice(BASE58) for _ in range(14))


def check_uuid(uuid: str) -> str:
    """Refuse what cannot be a Belenios election UUID (at least 14 Base58 characters)."""
    if len(uuid) < 14 or any(c not in BASE58 for c in uuid):
        raise ValueError(f"{uuid[:40]!r} is not an election UUID (14+ Base58 characters)")
    return uuid


def make_election(template: Template, group: Group, uuid: str, public_key: Element) -> bytes:
    """The election member: the template with version, group, joint key and UUID filled in."""
    election = Election(
        version=1,
        description=template.description,
        name=template.name,
        group=group.name,
        public_key=group.encode(public_key),
        questions=template.questions,
        uuid=uuid,
        administrator=template.administrator,
        credential_authority=template.credential_authority,
        translations=template.translations,
    )
    return encode(election)


def make_trustees(trustees: list[Trustee]) -> bytes:
    return encode_trustees(trustees)
