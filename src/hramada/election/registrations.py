"""Anonymous registration: the registry's keys, what it blind-signs, and the published lists.

A member's device signs nothing itself: it blinds `registration_message(uuid, credential)`
(`request_credential`), the registry blind-signs it (RFC 9474, RSABSSA-SHA384-PSS-Randomized),
and the device posts (credential, prefix, signature) to the election server
(`finish_registration`). The registry's keys are bound to the election through its
`credential_authority` field, which the election's fingerprint covers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

import msgspec
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from hramada.crypto import blind_rsa
from hramada.crypto.credentials import derive_secret, generate_credential
from hramada.crypto.group import Group, GroupError
from hramada.election.errors import Rejected
from hramada.protocol.canonical import encode

VARIANT = blind_rsa.PSS_RANDOMIZED
MESSAGE_PREFIX = b"hramada-registration/1\n"
STATEMENT_PREFIX = b"hramada-issuance/1\n"
REGISTRATIONS_FILE = "registrations.json"  # published beside the archive
ISSUANCE_FILE = "issuance.json"  # the registry's signed statement, beside it too
_BINDING = re.compile(
    r"hramada-registry/1 blind:sha256:([0-9a-f]{64}) statement:ed25519:([0-9a-f]{64})"
)


class RegistryKey(msgspec.Struct, kw_only=True):
    """The registry's public keys for one election: blind signatures and its statements."""

    variant: str  # always VARIANT.name for now
    blind_key: str  # base64 of the RSA SubjectPublicKeyInfo (DER)
    statement_key: str  # hex of the Ed25519 key that signs the issuance statement


class Registration(msgspec.Struct, kw_only=True):
    """One posted credential with the registry's unblinded signature."""

    credential: str  # the public credential, as in the Setup's list
    prefix: str  # base64 of the 32 random bytes the device prepended (randomized variant)
    signature: str  # base64 of the RSASSA-PSS signature


class Registrations(msgspec.Struct, kw_only=True):
    """registrations.json: every accepted registration, sorted as the Setup's credentials."""

    election: str
    registry: RegistryKey
    registrations: list[Registration]


class IssuanceStatement(msgspec.Struct, kw_only=True):
    """What the registry states it issued for an election."""

    election: str
    registry: str  # the binding (credential_authority) of the election
    issued: int  # blind signatures issued
    members: int  # members enrolled
    registrars: dict[str, int]  # signatures issued per enrolling registrar


class SignedStatement(msgspec.Struct, kw_only=True):
    statement: IssuanceStatement
    signature: str  # hex of the Ed25519 signature of STATEMENT_PREFIX + canonical statement


def registration_message(uuid: str, credential: str) -> bytes:
    """The message the registry blind-signs: a fixed prefix, the election UUID, the credential."""
    return MESSAGE_PREFIX + uuid.encode() + b"\n" + credential.encode()


@dataclass(frozen=True)
class Request:
    """What a member's device keeps between blinding and the registry's answer (secret)."""

    credential: str  # the private credential: it never leaves the device
    public: str  # the public credential, as the Setup will list it
    input_msg: bytes  # prefix + registration_message
    blinded: blind_rsa.Blinded  # blinded_msg goes to the registry, inv stays here


def request_credential(group: Group, uuid: str, key: blind_rsa.PublicKey) -> Request:
    """A member's device: a fresh credential, and the blinded message for the registry."""
    credential = generate_credential()
    public = group.encode(group.g_pow(derive_secret(credential, uuid, group.q)))
    input_msg = blind_rsa.prepare(VARIANT, registration_message(uuid, public))
    return Request(credential, public, input_msg, blind_rsa.blind(VARIANT, key, input_msg))


def finish_registration(
    request: Request, key: blind_rsa.PublicKey, blind_sig: bytes
) -> Registration:
    """Unblind the registry's answer into what the device posts to the election server.

    Raises BlindRSAError when the answer does not verify (a wrong or cheating registry)."""
    sig = blind_rsa.finalize(VARIANT, key, request.input_msg, blind_sig, request.blinded.inv)
    return Registration(
        credential=request.public,
        prefix=base64.b64encode(request.input_msg[:32]).decode(),
        signature=base64.b64encode(sig).decode(),
    )


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Rejected("registration", f"{what} is not base64") from None


def blind_key(registry: RegistryKey) -> blind_rsa.PublicKey:
    if registry.variant != VARIANT.name:
        raise Rejected(
            "registry", f"the registry key is for {registry.variant}, not {VARIANT.name}"
        )
    try:
        return blind_rsa.PublicKey.from_der(_b64(registry.blind_key, "the blind key"))
    except blind_rsa.BlindRSAError as e:
        raise Rejected("registry", str(e)) from None


def statement_key(registry: RegistryKey) -> VerifyKey:
    try:
        raw = bytes.fromhex(registry.statement_key)
    except ValueError:
        raise Rejected("registry", "the statement key is not hex") from None
    if len(raw) != 32:
        raise Rejected("registry", "the statement key is not 32 bytes")
    return VerifyKey(raw)


def binding(registry: RegistryKey) -> str:
    """The text bound into the election (as its credential_authority): both keys' digests."""
    der = blind_key(registry).to_der()
    statement_key(registry)
    return (
        f"hramada-registry/1 blind:sha256:{hashlib.sha256(der).hexdigest()} "
        f"statement:ed25519:{registry.statement_key}"
    )


def is_binding(text: str | None) -> bool:
    return text is not None and _BINDING.fullmatch(text) is not None


def check_credential(group: Group, credential: str) -> None:
    """A registered credential is one unweighted public key: a valid group element, not 1."""
    try:
        if group.decode(credential) == group.one:
            raise GroupError("the identity is no credential")
    except GroupError as e:
        raise Rejected("registration", f"the public credential is invalid: {e}") from None


def check_registration(
    uuid: str, key: blind_rsa.PublicKey, credential: str, prefix: bytes, signature: bytes
) -> None:
    """Raise Rejected unless the registry signed this credential for this election."""
    if len(prefix) != 32:
        raise Rejected("registration", "the prefix must be 32 bytes")
    message = prefix + registration_message(uuid, credential)
    if not blind_rsa.verify(VARIANT, key, message, signature):
        raise Rejected("registration", "the registry's signature does not verify")


def decode_registration(reg: Registration) -> tuple[bytes, bytes]:
    return _b64(reg.prefix, "the prefix"), _b64(reg.signature, "the signature")


def sorted_credentials(group: Group, credentials: list[str]) -> bytes:
    """The Setup's public_credentials.json, sorted the way generated lists are (each
    credential was checked on arrival)."""
    return encode(sorted(credentials, key=lambda c: group.element_key(group.decode_unchecked(c))))


def statement_message(statement: IssuanceStatement) -> bytes:
    """What the statement key signs: the statement with its registrars in sorted order."""
    registrars = dict(sorted(statement.registrars.items()))
    return STATEMENT_PREFIX + encode(msgspec.structs.replace(statement, registrars=registrars))


def sign_statement(key: SigningKey, statement: IssuanceStatement) -> SignedStatement:
    sig = key.sign(statement_message(statement)).signature
    return SignedStatement(statement=statement, signature=sig.hex())


def check_statement(registry: RegistryKey, signed: SignedStatement) -> None:
    try:
        sig = bytes.fromhex(signed.signature)
        statement_key(registry).verify(statement_message(signed.statement), sig)
    except (ValueError, BadSignatureError):
        raise Rejected("issuance", "the issuance statement's signature does not verify") from None
