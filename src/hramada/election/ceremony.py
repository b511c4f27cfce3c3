"""The Pedersen k-of-n key ceremony between trustees on their own machines: the pure steps."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from msgspec import Struct
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

from hramada.crypto.group import Element, Group, GroupError
from hramada.election.errors import Rejected
from hramada.election.trustees import (
    check_pedersen,
    check_signed,
    check_trustee_key,
    public_key_with_pok,
    sign_message,
)
from hramada.protocol.canonical import FormatError, decode, decode_canonical, encode
from hramada.protocol.model import (
    CertContext,
    CertKeys,
    CertsToSign,
    Proof,
    RawCoefexps,
    SignedMessage,
    ThresholdParameters,
    TrusteePublicKey,
)

# The three uploads of each trustee, in order; "done" once every verification key is in.
STEPS = ("certificate", "polynomial", "verification key")
DONE = "done"

_KDF_PERSON = b"hramada-share-v1"  # BLAKE2b personalization: exactly 16 bytes
_MAX_SHARE_PLAINTEXT = 4096


# --- the wire format between trustees and the relay (ours: it never enters the archive) ----


class EncryptedShare(Struct):
    """A share sealed to its recipient's encryption key: ElGamal key encapsulation `alpha`
    = g^r, the key derived from ek^r, and `box` = Base64(nonce || crypto_secretbox)."""

    alpha: str
    box: str


class ShareMessage(Struct):
    """What a sealed share holds once opened, signed by the sender (as a SignedMessage)."""

    sender: int
    recipient: int
    recipient_key: str  # the recipient's encryption key: binds the share to this ceremony
    share: str


class PolynomialUpload(Struct):
    """Step 2: the signed coefficient commitments, the 2.5.1 signature over every certificate
    and these commitments, and P(j) sealed to each trustee j (1-based, in order)."""

    coefexps: SignedMessage
    signature: Proof
    shares: list[EncryptedShare]


class CeremonyStatus(Struct, kw_only=True, omit_defaults=True):
    """What the relay tells a trustee: where the ceremony is and what it needs from them."""

    election: str
    group: str
    threshold: int
    size: int
    index: int  # this trustee's position in the set, 1-based
    attempt: int  # incremented when the administrator restarts the ceremony
    trustees: list[str]  # names, in set order
    step: str  # the first of STEPS someone has not done, or DONE
    submitted: list[str]  # the STEPS this trustee has done
    waiting_for: list[str]  # names of the trustees who have not done `step`
    certificates: list[SignedMessage] | None = None  # once all are in
    coefexps: list[SignedMessage] | None = None  # once every polynomial is in
    signatures: list[Proof] | None = None  # likewise
    shares: list[EncryptedShare] | None = None  # the shares addressed to this trustee


class BadShare(Rejected):
    """A share that does not match its sender's commitments, or cannot be opened."""

    def __init__(self, sender: int, detail: str) -> None:
        super().__init__("ceremony share", detail)
        self.sender = sender


@dataclass(frozen=True)
class MemberKeys:
    """A trustee's two public keys from its certificate."""

    verification: Element
    encryption: Element


# --- small helpers ---------------------------------------------------------------------


def _element(group: Group, s: str, what: str) -> Element:
    """Decode a group element (membership checked) that must not be the identity."""
    try:
        x = group.decode(s)
    except GroupError as e:
        raise Rejected("ceremony", f"{what}: {e}") from None
    if x == group.one:
        raise Rejected("ceremony", f"{what}: the identity is not allowed")
    return x


def evaluate(poly: list[int], x: int, q: int) -> int:
    """P(x) mod q for the coefficients poly[0] + poly[1] x + ..."""
    acc = 0
    for a in reversed(poly):
        acc = (acc * x + a) % q
    return acc


def commitment_at(group: Group, row: list[Element], j: int) -> Element:
    """g^P(j) from the commitments A_k = g^a_k: prod_k A_k^(j^k)."""
    acc, jk = group.one, 1
    for a in row:
        acc = group.mul(acc, group.pow(a, jk))
        jk = jk * j % group.q
    return acc


def verification_key_for(group: Group, rows: list[list[Element]], j: int) -> Element:
    """Member j's verification key g^S_j, the product over senders of g^P_i(j)."""
    return group.prod(commitment_at(group, row, j) for row in rows)


def certs_sig_message(certs: list[SignedMessage], coefexps: list[str]) -> str:
    """What each trustee signs in Belenios >= 2.5.1: every certificate and its commitments."""
    return "certs_sig|" + encode(CertsToSign(certs=certs, coefexps=coefexps)).decode()


# --- step 1: certificates -------------------------------------------------------------


def make_certificate(
    group: Group, size: int, threshold: int, index: int
) -> tuple[int, int, SignedMessage]:
    """A fresh signing key sk, decryption key dk, and the certificate of their public keys."""
    sk, dk = group.random_scalar(), group.random_scalar()
    keys = CertKeys(
        context=CertContext(group=group.name, size=size, threshold=threshold, index=index),
        verification=group.encode(group.g_pow(sk)),
        encryption=group.encode(group.g_pow(dk)),
    )
    return sk, dk, sign_message(group, sk, encode(keys).decode())


def _describe(c: CertContext) -> str:
    return f"trustee {c.index} of {c.size}, threshold {c.threshold}, group {c.group}"


def check_certificate(group: Group, cert: SignedMessage, context: CertContext) -> MemberKeys:
    """Check one certificate: canonical, the expected context, valid keys, self-signed."""
    what = f"certificate {context.index}"
    try:
        keys = decode_canonical(cert.message.encode(), CertKeys, what)
    except FormatError as e:
        raise Rejected("ceremony certificate", str(e)) from None
    if keys.context != context:
        made = "no context" if keys.context is None else _describe(keys.context)
        raise Rejected(
            "ceremony certificate",
            f"{what} was made for {made}, but the ceremony is for {_describe(context)} "
            "(run the command again: the trustee list may have changed)",
        )
    vk = _element(group, keys.verification, f"{what}, verification key")
    ek = _element(group, keys.encryption, f"{what}, encryption key")
    if not check_signed(group, vk, cert):
        raise Rejected("ceremony certificate", f"{what}: the signature is invalid")
    return MemberKeys(vk, ek)


def check_certificates(
    group: Group, certs: list[SignedMessage], threshold: int
) -> list[MemberKeys]:
    """Check every certificate of a set of len(certs) trustees; return their keys."""
    n = len(certs)
    if not 1 <= threshold <= n:
        raise Rejected("ceremony", f"a threshold of {threshold} among {n} trustees")
    keys = [
        check_certificate(group, c, CertContext(group.name, n, threshold, i))
        for i, c in enumerate(certs, 1)
    ]
    seen: set[str] = set()
    for i, k in enumerate(keys, 1):
        for key in (k.verification, k.encryption):
            s = group.encode(key)
            if s in seen:
                raise Rejected("ceremony certificate", f"certificate {i} reuses a key")
            seen.add(s)
    return keys


def _find_me(group: Group, keys: list[MemberKeys], index: int, sk: int, dk: int) -> MemberKeys:
    if not 1 <= index <= len(keys):
        raise Rejected("ceremony", f"trustee {index} is not in a set of {len(keys)}")
    me = keys[index - 1]
    if me.verification != group.g_pow(sk) or me.encryption != group.g_pow(dk):
        raise Rejected(
            "ceremony certificate",
            f"certificate {index} is not the one this trustee made (the ceremony was "
            "restarted, or this is another trustee's state)",
        )
    return me


# --- step 2: polynomials and sealed shares --------------------------------------------


def _box_key(group: Group, alpha: Element, shared: Element) -> bytes:
    data = f"{group.name}|{group.encode(alpha)}|{group.encode(shared)}".encode()
    return hashlib.blake2b(data, digest_size=SecretBox.KEY_SIZE, person=_KDF_PERSON).digest()


def seal(group: Group, key: Element, plaintext: bytes) -> EncryptedShare:
    """Hybrid encryption to the public key `key`: ElGamal key encapsulation in the group, a
    BLAKE2b-derived key, then libsodium's crypto_secretbox with a random nonce."""
    r = group.random_scalar()
    alpha = group.g_pow(r)
    box = SecretBox(_box_key(group, alpha, group.pow(key, r))).encrypt(plaintext)
    return EncryptedShare(alpha=group.encode(alpha), box=base64.b64encode(bytes(box)).decode())


def _box_bytes(enc: EncryptedShare, what: str) -> bytes:
    try:
        data = base64.b64decode(enc.box, validate=True)
    except (binascii.Error, ValueError):
        raise Rejected("ceremony share", f"{what}: the box is not Base64") from None
    overhead = SecretBox.NONCE_SIZE + SecretBox.MACBYTES
    if not overhead < len(data) <= overhead + _MAX_SHARE_PLAINTEXT:
        raise Rejected("ceremony share", f"{what}: the box has an impossible size")
    return data


def check_sealed(group: Group, enc: EncryptedShare, what: str) -> None:
    """What anyone can check of a sealed share: a valid alpha and a box of a sane size."""
    _element(group, enc.alpha, f"{what}, alpha")
    _box_bytes(enc, what)


def unseal(group: Group, dk: int, enc: EncryptedShare, what: str) -> bytes:
    """Open a sealed message with the decryption key dk; Rejected if it does not open."""
    alpha = _element(group, enc.alpha, f"{what}, alpha")
    data = _box_bytes(enc, what)
    try:
        return SecretBox(_box_key(group, alpha, group.pow(alpha, dk))).decrypt(data)
    except CryptoError:
        raise Rejected("ceremony share", f"{what} does not open with this trustee's key") from None


def seal_share(
    group: Group, sk: int, sender: int, recipient: int, recipient_key: Element, share: int
) -> EncryptedShare:
    """Sign (sender, recipient, recipient's key, share) with sk, then seal it to the key."""
    msg = ShareMessage(sender, recipient, group.encode(recipient_key), str(share))
    return seal(group, recipient_key, encode(sign_message(group, sk, encode(msg).decode())))


def make_polynomial(
    group: Group, certs: list[SignedMessage], threshold: int, index: int, sk: int, dk: int
) -> tuple[list[int], PolynomialUpload]:
    """Step 2 for trustee `index`: check every certificate, draw a random polynomial of degree
    threshold-1, and upload its signed commitments and each trustee's sealed share."""
    keys = check_certificates(group, certs, threshold)
    _find_me(group, keys, index, sk, dk)
    poly = [group.random_scalar() for _ in range(threshold)]
    raw = [group.encode(group.g_pow(a)) for a in poly]
    coefexps = sign_message(group, sk, encode(RawCoefexps(coefexps=raw)).decode())
    signature = sign_message(group, sk, certs_sig_message(certs, raw)).signature
    shares = [
        seal_share(group, sk, index, j, k.encryption, evaluate(poly, j, group.q))
        for j, k in enumerate(keys, 1)
    ]
    return poly, PolynomialUpload(coefexps=coefexps, signature=signature, shares=shares)


def check_commitments(
    group: Group,
    certs: list[SignedMessage],
    keys: list[MemberKeys],
    threshold: int,
    sender: int,
    coefexps: SignedMessage,
    signature: Proof,
) -> list[Element]:
    """Check trustee `sender`'s signed commitments and certs_sig signature; return them."""
    what = f"the commitments of trustee {sender}"
    vk = keys[sender - 1].verification
    try:
        raw = decode_canonical(coefexps.message.encode(), RawCoefexps, what)
    except FormatError as e:
        raise Rejected("ceremony polynomial", str(e)) from None
    if len(raw.coefexps) != threshold:
        raise Rejected(
            "ceremony polynomial", f"{what}: {len(raw.coefexps)} values, not {threshold}"
        )
    try:
        row = [group.decode(a) for a in raw.coefexps]
    except GroupError as e:
        raise Rejected("ceremony polynomial", f"{what}: {e}") from None
    if not check_signed(group, vk, coefexps):
        raise Rejected("ceremony polynomial", f"{what}: the signature is invalid")
    signed = SignedMessage(message=certs_sig_message(certs, raw.coefexps), signature=signature)
    if not check_signed(group, vk, signed):
        raise Rejected(
            "ceremony polynomial",
            f"trustee {sender}'s signature over the certificates and commitments is invalid "
            "(they saw other certificates than these)",
        )
    return row


def check_polynomial(
    group: Group,
    certs: list[SignedMessage],
    keys: list[MemberKeys],
    threshold: int,
    sender: int,
    upload: PolynomialUpload,
) -> list[Element]:
    """What the relay checks of a step-2 upload (the shares themselves only their recipients
    can check); returns the sender's commitments."""
    row = check_commitments(
        group, certs, keys, threshold, sender, upload.coefexps, upload.signature
    )
    if len(upload.shares) != len(keys):
        raise Rejected(
            "ceremony polynomial", f"{len(upload.shares)} shares for {len(keys)} trustees"
        )
    for j, enc in enumerate(upload.shares, 1):
        check_sealed(group, enc, f"the share for trustee {j}")
    return row


# --- step 3: open the shares, check them, make the decryption key ----------------------


def open_share(
    group: Group,
    dk: int,
    me: MemberKeys,
    index: int,
    sender: int,
    sender_key: Element,
    enc: EncryptedShare,
) -> int:
    """Open the share `sender` sealed to trustee `index`, check its signature and addressing;
    raise BadShare naming the sender otherwise."""
    what = f"the share from trustee {sender}"
    try:
        signed = decode(unseal(group, dk, enc, what), SignedMessage, what)
        if not check_signed(group, sender_key, signed):
            raise Rejected("ceremony share", f"{what} is not signed by them")
        msg = decode_canonical(signed.message.encode(), ShareMessage, what)
        if (msg.sender, msg.recipient) != (sender, index) or msg.recipient_key != group.encode(
            me.encryption
        ):
            raise Rejected("ceremony share", f"{what} was addressed to someone else")
        return group.decode_scalar(msg.share)
    except BadShare:
        raise
    except (Rejected, FormatError, GroupError) as e:
        detail = e.detail if isinstance(e, Rejected) else f"{what}: {e}"
        raise BadShare(sender, detail) from None


def make_decryption_key(
    group: Group,
    certs: list[SignedMessage],
    threshold: int,
    coefexps: list[SignedMessage],
    signatures: list[Proof],
    shares: list[EncryptedShare],
    index: int,
    sk: int,
    dk: int,
) -> tuple[int, TrusteePublicKey]:
    """Step 3 for trustee `index`: check every certificate and commitment, open the share from
    each trustee and check g^share against the sender's commitments; return the decryption
    key S_j (the sum of the shares) and its verification key with a proof of knowledge."""
    n = len(certs)
    if not len(coefexps) == len(signatures) == len(shares) == n:
        raise Rejected("ceremony", f"expected {n} commitments, signatures and shares")
    keys = check_certificates(group, certs, threshold)
    me = _find_me(group, keys, index, sk, dk)
    rows = [
        check_commitments(group, certs, keys, threshold, i, c, s)
        for i, (c, s) in enumerate(zip(coefexps, signatures, strict=True), 1)
    ]
    total = 0
    for i, enc in enumerate(shares, 1):
        share = open_share(group, dk, me, index, i, keys[i - 1].verification, enc)
        if group.g_pow(share) != commitment_at(group, rows[i - 1], index):
            raise BadShare(
                i, f"the share from trustee {i} does not match the commitments they published"
            )
        total = (total + share) % group.q
    if total == 0:
        raise Rejected("ceremony", "the decryption key is 0: the ceremony must be restarted")
    return total, public_key_with_pok(group, total)


def check_verification_key(
    group: Group, rows: list[list[Element]], index: int, key: TrusteePublicKey
) -> None:
    """A member's uploaded verification key: its proof, and g^S_j from the commitments."""
    what = f"the verification key of trustee {index}"
    try:
        public = check_trustee_key(group, key, what)
    except Rejected as e:
        raise Rejected("ceremony verification key", e.detail) from None
    if public != verification_key_for(group, rows, index):
        raise Rejected(
            "ceremony verification key", f"{what} does not match the published commitments"
        )


def assemble(
    group: Group,
    threshold: int,
    certs: list[SignedMessage],
    polynomials: list[PolynomialUpload],
    verification_keys: list[TrusteePublicKey],
) -> ThresholdParameters:
    """The threshold set for the archive, exactly as `make_pedersen` lays it out, checked as
    Belenios 2.5.1 checks it."""
    params = ThresholdParameters(
        threshold=threshold,
        certs=certs,
        coefexps=[p.coefexps for p in polynomials],
        signatures=[p.signature for p in polynomials],
        verification_keys=verification_keys,
    )
    check_pedersen(group, params, "the key ceremony")
    return params
