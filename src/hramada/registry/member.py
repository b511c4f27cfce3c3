"""The member's device and the registry: ask for one blind signature, authenticated with the
member key over a fresh challenge (the credential and its blinding are election/registrations)."""

from __future__ import annotations

import base64

import httpx
from nacl.signing import SigningKey

from hramada.crypto.groups import get_group
from hramada.election import registrations as reg
from hramada.registry.messages import request_message


def prepare(election: str, group_name: str, key: reg.RegistryKey) -> reg.Request:
    """A fresh credential on the device and its blinded registration message."""
    return reg.request_credential(get_group(group_name), election, reg.blind_key(key))


def challenge(http: httpx.Client) -> str:
    """A fresh challenge of the registry's, to sign into one request or enrolment record."""
    r = http.post("/api/registry/challenge")
    r.raise_for_status()
    return str(r.json()["challenge"])


def request_body(
    http: httpx.Client, member: SigningKey, election: str, request: reg.Request
) -> dict[str, str]:
    """The signed request for a blind signature, over a fresh challenge of the registry's."""
    nonce = challenge(http)
    blinded = request.blinded.blinded_msg
    return {
        "member_key": member.verify_key.encode().hex(),
        "challenge": nonce,
        "blinded": base64.b64encode(blinded).decode(),
        "signature": member.sign(request_message(election, nonce, blinded)).signature.hex(),
    }


def finalize(
    key: reg.RegistryKey, request: reg.Request, blind_signature: bytes
) -> reg.Registration:
    """The registration to post to the election server (raises if the signature is wrong)."""
    return reg.finish_registration(request, reg.blind_key(key), blind_signature)
