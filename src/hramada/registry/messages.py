"""What registrars and members sign for the registry: enrolment records and credential requests."""

from __future__ import annotations

RECORD_PREFIX = b"hramada-enrolment/2\n"
REQUEST_PREFIX = b"hramada-credential-request/1\n"
TAG_HEX = 128  # a VOPRF output (SHA-512): 64 bytes
KEY_HEX = 64  # an Ed25519 public key: 32 bytes
SIGNATURE_HEX = 128  # an Ed25519 signature: 64 bytes
CHALLENGE_HEX = 64  # 32 random bytes from the registry


def record_message(challenge: str, tag: str, member_key: str) -> bytes:
    """The enrolling registrar's record: this document's tag now belongs to this member key,
    in answer to a fresh challenge of the registry's (POST /api/registry/challenge; used once,
    within minutes), so that nobody can send a record again to point a tag back to an older
    key, such as a lost phone's. The bytes signed (Ed25519, by the registrar's record key):
    RECORD_PREFIX, then the challenge, the tag and the member key in lowercase hex, each
    followed by a newline but the last. The registry keeps the challenge beside the record."""
    return RECORD_PREFIX + b"\n".join(s.encode() for s in (challenge, tag, member_key))


def request_message(election: str, challenge: str, blinded: bytes) -> bytes:
    """What a member's key signs to ask for a blind signature: the election, a fresh challenge
    of the registry's (used once), and the blinded message."""
    return REQUEST_PREFIX + election.encode() + b"\n" + challenge.encode() + b"\n" + blinded
