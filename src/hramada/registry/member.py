"""The member's device and the registry: ask for one blind signature, authenticated with the
member key over a fresh challenge, for an election's credential (its blinding is in
election/registrations) or for a parallel vote tabulation's one-time token."""

from __future__ import annotations

import base64
import secrets

import httpx
import msgspec
from nacl.signing import SigningKey

from hramada.crypto import blind_rsa
from hramada.crypto.groups import get_group
from hramada.election import registrations as reg
from hramada.observe.pvt import tokens
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
    return signed_request(http, member, election, request.blinded.blinded_msg)


def signed_request(
    http: httpx.Client, member: SigningKey, election: str, blinded: bytes
) -> dict[str, str]:
    """The member's request for the blind signature of `blinded` in this election."""
    nonce = challenge(http)
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


def registry_key(http: httpx.Client, election: str) -> reg.RegistryKey:
    """The key the registry publishes for an election (or a tabulation); ValueError when its
    answer holds none."""
    r = http.get(f"/api/registry/elections/{election}")
    r.raise_for_status()
    try:
        return msgspec.convert(r.json()["registry"], reg.RegistryKey)
    except (KeyError, TypeError, msgspec.ValidationError) as e:
        raise ValueError(f"the registry's answer holds no key: {e}") from None


def pvt_token(http: httpx.Client, member: SigningKey, uuid: str) -> str:
    """A one-time token for the parallel vote tabulation the registry knows as `uuid`: the
    registry blind-signs a random nonce (one signature per member), so the token it makes
    possible names nobody. Raises httpx.HTTPStatusError when the registry refuses, and
    BlindRSAError when its answer does not verify."""
    blind_key = reg.blind_key(registry_key(http, uuid))
    nonce = secrets.token_bytes(tokens.NONCE_BYTES)
    input_msg = blind_rsa.prepare(reg.VARIANT, tokens.token_message(uuid, nonce))
    blinded = blind_rsa.blind(reg.VARIANT, blind_key, input_msg)
    body = signed_request(http, member, uuid, blinded.blinded_msg)
    r = http.post(f"/api/registry/elections/{uuid}/signature", json=body)
    r.raise_for_status()
    answer = base64.b64decode(r.json()["blind_signature"])
    signature = blind_rsa.finalize(reg.VARIANT, blind_key, input_msg, answer, blinded.inv)
    return tokens.make_token(input_msg, nonce, signature)
