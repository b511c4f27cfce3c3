"""The registrar's client: normalize the document number, get its tag from k custodians (blinded,
so they never see it), sign the enrolment record, and send the registry only tag and key."""

from __future__ import annotations

import unicodedata

import httpx
from nacl.signing import SigningKey

from hramada.registry.custodian_client import Custodians
from hramada.registry.member import challenge
from hramada.registry.messages import record_message

DOCUMENT_PREFIX = b"hramada-document/1\n"
# Cyrillic capitals that passports print where Latin ones are meant (MP, AB, ...).
_LOOKALIKES = str.maketrans(
    "\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0406", "ABEKMHOPCTXI"
)  # Cyrillic A, Ve, Ie, Ka, Em, En, O, Er, Es, Te, Ha, Belarusian I
_SEPARATORS = str.maketrans("", "", " \t-./\u00a0")


def normalize(document: str) -> bytes:
    """The OPRF input for a document number: NFKC, capitals, Cyrillic look-alikes as Latin,
    no spaces or separators, so that the same document typed twice gives the same tag."""
    text = unicodedata.normalize("NFKC", document).upper().translate(_LOOKALIKES)
    text = text.translate(_SEPARATORS)
    if not text or not text.isalnum() or len(text) > 64:
        raise ValueError("a document number is 1 to 64 letters and digits")
    return DOCUMENT_PREFIX + text.encode()


def tag_for(custodians: Custodians, document: str) -> str:
    """The document's de-duplication tag (hex), from k custodians' verified answers."""
    return custodians.tags([normalize(document)]).tags[0].hex()


def record(registrar_key: SigningKey, challenge: str, tag: str, member_key: str) -> str:
    """The enrolling registrar's signature over (challenge, tag, member key), hex."""
    return registrar_key.sign(record_message(challenge, tag, member_key)).signature.hex()


def enrolment(registrar_key: SigningKey, nonce: str, tag: str, member_key: str) -> dict[str, str]:
    """The body of an enrolment: the tag, the member's key, and the record signing them over
    the registry's fresh challenge `nonce`."""
    return {
        "tag": tag,
        "member_key": member_key,
        "challenge": nonce,
        "record": record(registrar_key, nonce, tag, member_key),
    }


def login(http: httpx.Client, name: str, password: str) -> str:
    r = http.post("/api/registry/login", json={"name": name, "password": password})
    r.raise_for_status()
    return str(r.json()["token"])


def enrol(
    http: httpx.Client,
    session: str,
    custodians: Custodians,
    registrar_key: SigningKey,
    document: str,
    member_key: str,
) -> httpx.Response:
    """Enrol (or re-enrol, replacing the key of) the holder of `document`; the document number
    goes only, blinded, to the custodians. Returns the registry's answer (201 new, 200 replaced)."""
    tag = tag_for(custodians, document)
    body = enrolment(registrar_key, challenge(http), tag, member_key)
    return http.post(
        "/api/registry/members", json=body, headers={"authorization": f"Bearer {session}"}
    )
