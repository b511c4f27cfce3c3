"""RSA blind signatures (RFC 9474, RSABSSA-SHA384, all four variants) on cryptography + gmpy2.

The client prepares and blinds a message, the signer signs the blinded value without learning
it, and the client unblinds into an ordinary RSASSA-PSS signature that anyone verifies with the
public key. Blinding is perfect: the signer's view is independent of the message.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import NamedTuple

import gmpy2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

_HASH_LEN = 48  # SHA-384
_PREFIX_LEN = 32  # the random prefix of the randomized variants
MIN_BITS = 2048
KEY_BITS = (2048, 3072, 4096)


class BlindRSAError(ValueError):
    """An input is malformed or a signature does not verify."""


@dataclass(frozen=True)
class Variant:
    """One of RFC 9474's four RSABSSA-SHA384 variants."""

    name: str
    salt_len: int
    randomized: bool


PSS_RANDOMIZED = Variant("RSABSSA-SHA384-PSS-Randomized", _HASH_LEN, True)
PSSZERO_RANDOMIZED = Variant("RSABSSA-SHA384-PSSZERO-Randomized", 0, True)
PSS_DETERMINISTIC = Variant("RSABSSA-SHA384-PSS-Deterministic", _HASH_LEN, False)
PSSZERO_DETERMINISTIC = Variant("RSABSSA-SHA384-PSSZERO-Deterministic", 0, False)
VARIANTS = {
    v.name: v
    for v in (PSS_RANDOMIZED, PSSZERO_RANDOMIZED, PSS_DETERMINISTIC, PSSZERO_DETERMINISTIC)
}


class PublicKey:
    """An RSA public key for blind signatures, kept as SubjectPublicKeyInfo (DER)."""

    def __init__(self, key: rsa.RSAPublicKey) -> None:
        numbers = key.public_numbers()
        if numbers.n.bit_length() < MIN_BITS or numbers.e % 2 == 0 or numbers.e < 3:
            raise BlindRSAError(f"an RSA key of at least {MIN_BITS} bits with an odd exponent")
        self.key = key
        self.n = gmpy2.mpz(numbers.n)
        self.e = gmpy2.mpz(numbers.e)
        self.size = (numbers.n.bit_length() + 7) // 8  # modulus_len

    @classmethod
    def from_der(cls, der: bytes) -> PublicKey:
        try:
            key = serialization.load_der_public_key(der)
        except ValueError as exc:
            raise BlindRSAError("not a DER SubjectPublicKeyInfo") from exc
        if not isinstance(key, rsa.RSAPublicKey):
            raise BlindRSAError("not an RSA public key")
        return cls(key)

    def to_der(self) -> bytes:
        return self.key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def fingerprint(self) -> str:
        """SHA-256 of the DER encoding, in hex: what an election binds."""
        return hashlib.sha256(self.to_der()).hexdigest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and self.to_der() == other.to_der()

    def __hash__(self) -> int:
        return hash(self.to_der())


class PrivateKey:
    """The signer's RSA key, with its CRT parameters for constant-time exponentiation."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        self.key = key
        self.public = PublicKey(key.public_key())
        numbers = key.private_numbers()
        self._p = gmpy2.mpz(numbers.p)
        self._q = gmpy2.mpz(numbers.q)
        self._dp = gmpy2.mpz(numbers.dmp1)
        self._dq = gmpy2.mpz(numbers.dmq1)
        self._qinv = gmpy2.mpz(numbers.iqmp)

    @classmethod
    def from_pem(cls, pem: bytes) -> PrivateKey:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise BlindRSAError("not an RSA private key")
        return cls(key)

    def to_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def _rsasp1(self, m: gmpy2.mpz) -> gmpy2.mpz:
        """m^d mod n by CRT with GMP's side-channel-silent powm, on a randomly blinded input."""
        n, e = self.public.n, self.public.e
        while True:
            b = gmpy2.mpz(secrets.randbelow(int(n) - 2) + 2)
            if gmpy2.gcd(b, n) == 1:
                break
        c = m * gmpy2.powmod(b, e, n) % n
        s1 = gmpy2.powmod_sec(c % self._p, self._dp, self._p)
        s2 = gmpy2.powmod_sec(c % self._q, self._dq, self._q)
        s = s2 + self._q * (self._qinv * (s1 - s2) % self._p)
        return s * gmpy2.invert(b, n) % n


def generate_key(bits: int = 3072) -> PrivateKey:
    """A fresh signer key with public exponent 65537."""
    if bits not in KEY_BITS:
        raise BlindRSAError(f"key size must be one of {KEY_BITS}")
    return PrivateKey(rsa.generate_private_key(public_exponent=65537, key_size=bits))


def _i2osp(x: gmpy2.mpz | int, length: int) -> bytes:
    return int(x).to_bytes(length, "big")


def _os2ip(b: bytes) -> gmpy2.mpz:
    return gmpy2.mpz(int.from_bytes(b, "big"))


def _mgf1(seed: bytes, length: int) -> bytes:
    out = b"".join(
        hashlib.sha384(seed + i.to_bytes(4, "big")).digest()
        for i in range((length + _HASH_LEN - 1) // _HASH_LEN)
    )
    return out[:length]


def emsa_pss_encode(msg: bytes, em_bits: int, salt: bytes) -> bytes:
    """EMSA-PSS-ENCODE of RFC 8017 with SHA-384 and MGF1-SHA-384."""
    em_len = (em_bits + 7) // 8
    if em_len < _HASH_LEN + len(salt) + 2:
        raise BlindRSAError("encoding error: the modulus is too small")
    m_hash = hashlib.sha384(msg).digest()
    h = hashlib.sha384(bytes(8) + m_hash + salt).digest()
    db = bytes(em_len - len(salt) - _HASH_LEN - 2) + b"\x01" + salt
    masked = bytearray(a ^ b for a, b in zip(db, _mgf1(h, len(db)), strict=True))
    masked[0] &= 0xFF >> (8 * em_len - em_bits)
    return bytes(masked) + h + b"\xbc"


def prepare(variant: Variant, msg: bytes, prefix: bytes | None = None) -> bytes:
    """The input_msg: 32 random bytes then msg for randomized variants, msg itself otherwise.

    `prefix` is for test vectors only; leave it None.
    """
    if not variant.randomized:
        return msg
    if prefix is None:
        prefix = secrets.token_bytes(_PREFIX_LEN)
    if len(prefix) != _PREFIX_LEN:
        raise BlindRSAError(f"the prefix must be {_PREFIX_LEN} bytes")
    return prefix + msg


class Blinded(NamedTuple):
    """What blinding gives the client: the value to send, and the inverse to keep secret."""

    blinded_msg: bytes
    inv: bytes


def blind(
    variant: Variant,
    pk: PublicKey,
    input_msg: bytes,
    *,
    salt: bytes | None = None,
    r: int | None = None,
) -> Blinded:
    """Blind(pk, input_msg) of RFC 9474 section 4.2. `salt` and `r` are for test vectors only."""
    if salt is None:
        salt = secrets.token_bytes(variant.salt_len)
    if len(salt) != variant.salt_len:
        raise BlindRSAError(f"the salt must be {variant.salt_len} bytes")
    n = pk.n
    m = _os2ip(emsa_pss_encode(input_msg, int(n.bit_length()) - 1, salt))
    if gmpy2.gcd(m, n) != 1:
        raise BlindRSAError("invalid input: the message is not coprime to the modulus")
    while True:
        rr = gmpy2.mpz(secrets.randbelow(int(n) - 1) + 1) if r is None else gmpy2.mpz(r)
        if not 0 < rr < n:
            raise BlindRSAError("r out of range")
        if gmpy2.gcd(rr, n) == 1:
            break
        if r is not None:
            raise BlindRSAError("r is not invertible")
    inv = gmpy2.invert(rr, n)
    z = m * gmpy2.powmod(rr, pk.e, n) % n
    return Blinded(_i2osp(z, pk.size), _i2osp(inv, pk.size))


def blind_sign(sk: PrivateKey, blinded_msg: bytes) -> bytes:
    """BlindSign(sk, blinded_msg): checks the result before releasing it (section 4.3)."""
    pk = sk.public
    if len(blinded_msg) != pk.size:
        raise BlindRSAError(f"the blinded message must be {pk.size} bytes")
    m = _os2ip(blinded_msg)
    if m >= pk.n:
        raise BlindRSAError("message representative out of range")
    s = sk._rsasp1(m)
    if gmpy2.powmod(s, pk.e, pk.n) != m:
        raise BlindRSAError("signing failure")
    return _i2osp(s, pk.size)


def finalize(
    variant: Variant, pk: PublicKey, input_msg: bytes, blind_sig: bytes, inv: bytes
) -> bytes:
    """Finalize: unblind the signer's answer and return the signature only if it verifies."""
    if len(blind_sig) != pk.size or len(inv) != pk.size:
        raise BlindRSAError(f"the blind signature and inverse must be {pk.size} bytes")
    z, r_inv = _os2ip(blind_sig), _os2ip(inv)
    if z >= pk.n or r_inv >= pk.n:
        raise BlindRSAError("value out of range")
    sig = _i2osp(z * r_inv % pk.n, pk.size)
    if not verify(variant, pk, input_msg, sig):
        raise BlindRSAError("invalid signature")
    return sig


def verify(variant: Variant, pk: PublicKey, input_msg: bytes, sig: bytes) -> bool:
    """RSASSA-PSS-VERIFY with SHA-384, MGF1-SHA-384 and the variant's salt length."""
    if len(sig) != pk.size:
        return False
    try:
        pk.key.verify(
            sig,
            input_msg,
            padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=variant.salt_len),
            hashes.SHA384(),
        )
    except InvalidSignature:
        return False
    return True
