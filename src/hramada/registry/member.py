"""The member's device: make a credential, blind its registration message, ask the registry for
one blind signature with the member key, and finalize it into a registration for the election."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import httpx
from nacl.signing import SigningKey

from hramada.crypto import blind_rsa
from hramada.crypto.credentials import derive_secret, generate_credential
from hramada.crypto.groups import get_group
from hramada.election import registrations as reg
from hramada.registry.messages import request_message


@dataclass
class Request:
    """A credential being obtained: the private credential stays on the device."""

    election: str
    credential: str
    public: str
    input_msg: bytes
    blinded: blind_rsa.Blinded


def prepare(election: str, group_name: str, key: reg.RegistryKey) -> Request:
    group = get_group(group_name)
    credential = generate_credential()
    public = group.encode(group.g_pow(derive_secret(credential, election, group.q)))
    input_msg = blind_rsa.prepare(reg.VARIANT, reg.registration_message(election, public))
    blinded = blind_rsa.blind(reg.VARIANT, reg.blind_key(key), input_msg)
    return Request(election, credential, public, input_msg, blinded)


def request_body(http: httpx.Client, member: SigningKey, request: Request) -> dict[str, str]:
    """The signed request for a blind signature, over a fresh challenge of the registry's."""
    r = http.post("/api/registry/challenge")
    r.raise_for_status()
    challenge = str(r.json()["challenge"])
    message = request_message(request.election, challenge, request.blinded.blinded_msg)
    return {
        "member_key": member.verify_key.encode().hex(),
        "challenge": challenge,
        "blinded": base64.b64encode(request.blinded.blinded_msg).decode(),
        "signature": member.sign(message).signature.hex(),
    }


def finalize(key: reg.RegistryKey, request: Request, blind_signature: bytes) -> dict[str, str]:
    """The registration to post to the election server (raises if the signature is wrong)."""
    sig = blind_rsa.finalize(
        reg.VARIANT, reg.blind_key(key), request.input_msg, blind_signature, request.blinded.inv
    )
    return {
        "credential": request.public,
        "prefix": base64.b64encode(request.input_msg[:32]).decode(),
        "signature": base64.b64encode(sig).decode(),
    }
