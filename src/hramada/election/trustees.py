"""Trustee keys: Single keys, Pedersen k-of-n threshold sets, their proofs and the election key."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from hramada.crypto.group import Element, Group, GroupError
from hramada.crypto.proofs import Proof, schnorr_prove, schnorr_verify
from hramada.election.errors import Rejected
from hramada.protocol.canonical import FormatError, decode, encode, sha256_hex
from hramada.protocol.model import (
    CertContext,
    CertKeys,
    CertsToSign,
    RawCoefexps,
    SignedMessage,
    ThresholdParameters,
    TrusteePublicKey,
)
from hramada.protocol.model import Proof as WireProof
from hramada.protocol.trustees import Trustee


def wire_proof(p: Proof) -> WireProof:
    return WireProof(challenge=str(p.challenge), response=str(p.response))


def read_proof(group: Group, p: WireProof) -> Proof:
    return Proof(group.decode_scalar(p.challenge), group.decode_scalar(p.response))


def pok_prefix(group: Group, public: Element) -> str:
    return f"pok|{group.name}|{group.encode(public)}|"


def make_trustee_key(group: Group, name: str | None = None) -> tuple[int, TrusteePublicKey]:
    """A Single trustee's private key and its public key with proof of knowledge."""
    x = group.random_scalar()
    return x, public_key_with_pok(group, x, name)


def key_id(pub: bytes) -> str:
    """The name of a trustee's key files (ID.pubkey, ID.privkey): 8 hex digits of its hash."""
    return sha256_hex(pub)[:8].upper()


def public_key_with_pok(group: Group, x: int, name: str | None = None) -> TrusteePublicKey:
    public = group.g_pow(x)
    pok = schnorr_prove(group, x, pok_prefix(group, public))
    return TrusteePublicKey(pok=wire_proof(pok), public_key=group.encode(public), name=name)


def check_trustee_key(group: Group, key: TrusteePublicKey, what: str) -> Element:
    """Decode a trustee public key and check its proof of knowledge; return the key."""
    try:
        public = group.decode(key.public_key)
        if public == group.one:
            raise GroupError("the identity is no key: its secret is 0")
        proof = read_proof(group, key.pok)
    except GroupError as e:
        raise Rejected("trustee key", f"{what}: {e}") from None
    if not schnorr_verify(group, public, proof, pok_prefix(group, public)):
        raise Rejected("trustee proof", f"{what}: the proof of knowledge of the key is invalid")
    return public


def sign_message(group: Group, x: int, message: str) -> SignedMessage:
    proof = schnorr_prove(group, x, f"sigmsg|{message}|")
    return SignedMessage(message=message, signature=wire_proof(proof))


def check_signed(group: Group, key: Element, msg: SignedMessage) -> bool:
    try:
        proof = read_proof(group, msg.signature)
    except GroupError:
        return False
    return schnorr_verify(group, key, proof, f"sigmsg|{msg.message}|")


def _vk_of(group: Group, coefexps: list[list[Element]], j: int) -> Element:
    """Verification key of member j (1-based): prod_i prod_k A_ik^(j^k)."""
    acc = group.one
    for row in coefexps:
        jk = 1
        for a in row:
            acc = group.mul(acc, group.pow(a, jk))
            jk = jk * j % group.q
    return acc


def check_pedersen(group: Group, t: ThresholdParameters, what: str) -> Element:
    """Check a threshold set as Belenios 2.5.1 does; return its public key prod_i A_i0."""
    n = len(t.certs)
    if not (1 <= t.threshold <= n) or len(t.coefexps) != n or len(t.verification_keys) != n:
        raise Rejected("threshold set", f"{what}: inconsistent sizes or threshold")
    if t.signatures is not None and len(t.signatures) != n:
        raise Rejected("threshold signature", f"{what}: expected {n} signatures")
    certs: list[CertKeys] = []
    rows: list[list[Element]] = []
    try:
        for i, cert in enumerate(t.certs):
            keys = decode(cert.message, CertKeys, "certificate")
            expected = CertContext(group=group.name, size=n, threshold=t.threshold, index=i + 1)
            if keys.context is not None and keys.context != expected:
                raise Rejected("threshold certificate", f"{what}: certificate {i + 1} context")
            vk = group.decode(keys.verification)
            if not check_signed(group, vk, cert):
                raise Rejected("threshold certificate", f"{what}: certificate {i + 1} signature")
            certs.append(keys)
            raw = decode(t.coefexps[i].message, RawCoefexps, "coefexps")
            if not check_signed(group, vk, t.coefexps[i]):
                raise Rejected("threshold coefexps", f"{what}: coefexps {i + 1} signature")
            if len(raw.coefexps) != t.threshold:
                raise Rejected("threshold coefexps", f"{what}: coefexps {i + 1} degree")
            rows.append([group.decode(a) for a in raw.coefexps])
            if t.signatures is not None:
                signed = (
                    "certs_sig|"
                    + encode(CertsToSign(certs=t.certs, coefexps=raw.coefexps)).decode()
                )
                sig = SignedMessage(message=signed, signature=t.signatures[i])
                if not check_signed(group, vk, sig):
                    raise Rejected("threshold signature", f"{what}: signature {i + 1}")
    except (FormatError, GroupError) as e:
        raise Rejected("threshold set", f"{what}: {e}") from None
    for j, key in enumerate(t.verification_keys, 1):
        vk = check_trustee_key(group, key, f"{what}, verification key {j}")
        if vk != _vk_of(group, rows, j):
            raise Rejected("threshold verification key", f"{what}: key {j} does not match")
    return group.prod(row[0] for row in rows)


def election_public_key(group: Group, trustees: list[Trustee]) -> Element:
    """Check every trustee item and return y, the product of their public keys."""
    if not trustees:
        raise Rejected("trustees", "no trustees")
    keys = []
    for i, t in enumerate(trustees, 1):
        if isinstance(t, TrusteePublicKey):
            keys.append(check_trustee_key(group, t, f"trustee item {i}"))
        else:
            keys.append(check_pedersen(group, t, f"trustee item {i}"))
    return group.prod(keys)


def lagrange(indexes: list[int], j: int, q: int) -> int:
    """The Lagrange coefficient at 0 of member j among `indexes` (1-based), mod q."""
    num, den = 1, 1
    for k in indexes:
        if k != j:
            num = num * k % q
            den = den * (k - j) % q
    return num * pow(den, -1, q) % q


@dataclass(frozen=True)
class PedersenSetup:
    """A threshold set and each member's private decryption key share S_j."""

    parameters: ThresholdParameters
    shares: list[int]


def make_pedersen(group: Group, size: int, threshold: int) -> PedersenSetup:
    """Run the Pedersen key generation for `size` trustees in one process (demo and tests).

    Each member draws its own polynomial of degree threshold-1 and signing key; member j's
    share is S_j = sum_i f_i(j), and the 2.5.1 certificates, coefexps and signatures are
    produced so that both Belenios 2.0 and 2.5.1+ accept the set.
    """
    if not 1 <= threshold <= size:
        raise ValueError("need 1 <= threshold <= size")
    q = group.q
    sks = [group.random_scalar() for _ in range(size)]
    certs = []
    for i, sk in enumerate(sks):
        keys = CertKeys(
            context=CertContext(group=group.name, size=size, threshold=threshold, index=i + 1),
            verification=group.encode(group.g_pow(sk)),
            # The encryption key only protects the point-to-point channel of the real protocol.
            encryption=group.encode(group.g_pow(group.random_scalar())),
        )
        certs.append(sign_message(group, sk, encode(keys).decode()))
    polys = [[secrets.randbelow(q) for _ in range(threshold)] for _ in range(size)]
    coefexps_raw = [[group.encode(group.g_pow(a)) for a in poly] for poly in polys]
    coefexps = [
        sign_message(group, sk, encode(RawCoefexps(coefexps=raw)).decode())
        for sk, raw in zip(sks, coefexps_raw, strict=True)
    ]
    signatures = [
        sign_message(
            group, sk, "certs_sig|" + encode(CertsToSign(certs=certs, coefexps=raw)).decode()
        ).signature
        for sk, raw in zip(sks, coefexps_raw, strict=True)
    ]
    shares = [
        sum(sum(a * pow(j, k, q) for k, a in enumerate(poly)) for poly in polys) % q
        for j in range(1, size + 1)
    ]
    params = ThresholdParameters(
        threshold=threshold,
        certs=certs,
        coefexps=coefexps,
        signatures=signatures,
        verification_keys=[public_key_with_pok(group, s) for s in shares],
    )
    return PedersenSetup(params, shares)
