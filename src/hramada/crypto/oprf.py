"""RFC 9497 OPRF(ristretto255, SHA-512) in the base and verifiable modes, on libsodium."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import pysodium as na

ORDER = 2**252 + 27742317777372353535851937790883648493
ELEMENT_BYTES = 32
SCALAR_BYTES = 32
PROOF_BYTES = 2 * SCALAR_BYTES
OUTPUT_BYTES = 64
IDENTITY = bytes(ELEMENT_BYTES)
GENERATOR = na.crypto_scalarmult_ristretto255_base((1).to_bytes(SCALAR_BYTES, "little"))
MAX_INPUT = 2**16 - 1
MODE_OPRF = 0
MODE_VOPRF = 1
SUITE_ID = b"ristretto255-SHA512"


class OprfError(ValueError):
    """Base of every refusal below; the message says what was wrong."""


class InputValidationError(OprfError):
    """A byte string is not a canonical non-identity element or an in-range scalar."""


class VerifyError(OprfError):
    """A DLEQ proof does not verify: the server did not use the key it published."""


class InvalidInputError(OprfError):
    """The input hashes to the identity (probability about 2^-252) or is too long."""


def _i2osp(n: int, length: int) -> bytes:
    return n.to_bytes(length, "big")


def _lp(b: bytes) -> bytes:
    """The RFC's length-prefixed field: I2OSP(len(b), 2) || b."""
    return _i2osp(len(b), 2) + b


def expand_message_xmd(msg: bytes, dst: bytes, length: int) -> bytes:
    """RFC 9380 section 5.3.1 with SHA-512 (block 128 bytes, output 64)."""
    b_bytes, block = 64, 128
    ell = -(-length // b_bytes)
    if ell > 255 or length > 65535 or len(dst) > 255:
        raise OprfError("expand_message_xmd: requested length or DST too long")
    dst_prime = dst + _i2osp(len(dst), 1)
    b0 = hashlib.sha512(bytes(block) + msg + _i2osp(length, 2) + b"\x00" + dst_prime).digest()
    bi = hashlib.sha512(b0 + b"\x01" + dst_prime).digest()
    out = bi
    for i in range(2, ell + 1):
        bi = hashlib.sha512(
            bytes(x ^ y for x, y in zip(b0, bi, strict=True)) + _i2osp(i, 1) + dst_prime
        ).digest()
        out += bi
    return out[:length]


def deserialize_element(buf: bytes) -> bytes:
    """RFC 9497 DeserializeElement: canonical ristretto255 encoding, not the identity."""
    if not isinstance(buf, bytes | bytearray) or len(buf) != ELEMENT_BYTES:
        raise InputValidationError("an element is exactly 32 bytes")
    buf = bytes(buf)
    if not na.crypto_core_ristretto255_is_valid_point(buf):
        raise InputValidationError("not a canonical ristretto255 encoding")
    if buf == IDENTITY:
        raise InputValidationError("the identity element is not accepted")
    return buf


def deserialize_scalar(buf: bytes) -> bytes:
    """RFC 9497 DeserializeScalar: 32 little-endian bytes below the group order."""
    if not isinstance(buf, bytes | bytearray) or len(buf) != SCALAR_BYTES:
        raise InputValidationError("a scalar is exactly 32 bytes")
    if int.from_bytes(buf, "little") >= ORDER:
        raise InputValidationError("scalar out of range (not below the group order)")
    return bytes(buf)


def random_scalar() -> bytes:
    """A uniform non-zero scalar from libsodium's OS randomness."""
    return bytes(na.crypto_core_ristretto255_scalar_random())


def scalar_from_int(n: int) -> bytes:
    return (n % ORDER).to_bytes(SCALAR_BYTES, "little")


def scalar_mul(a: bytes, b: bytes) -> bytes:
    return bytes(na.crypto_core_ristretto255_scalar_mul(a, b))


def scalar_add(a: bytes, b: bytes) -> bytes:
    return bytes(na.crypto_core_ristretto255_scalar_add(a, b))


def scalar_sub(a: bytes, b: bytes) -> bytes:
    return bytes(na.crypto_core_ristretto255_scalar_sub(a, b))


def scalar_invert(s: bytes) -> bytes:
    try:
        return bytes(na.crypto_core_ristretto255_scalar_invert(s))
    except ValueError:
        raise InputValidationError("zero has no inverse") from None


def mul(scalar: bytes, element: bytes) -> bytes:
    """scalar * element; libsodium refuses exactly when the product is the identity."""
    try:
        if element == GENERATOR:
            return bytes(na.crypto_scalarmult_ristretto255_base(scalar))
        return bytes(na.crypto_scalarmult_ristretto255(scalar, element))
    except ValueError:
        return IDENTITY


def add(a: bytes, b: bytes) -> bytes:
    return bytes(na.crypto_core_ristretto255_add(a, b))


def public_key(sk: bytes) -> bytes:
    return mul(sk, GENERATOR)


@dataclass(frozen=True)
class Suite:
    """One mode of the ristretto255-SHA512 suite: its context string and the DSTs built on it."""

    mode: int

    @property
    def context(self) -> bytes:
        return b"OPRFV1-" + _i2osp(self.mode, 1) + b"-" + SUITE_ID

    def hash_to_group(self, msg: bytes) -> bytes:
        uniform = expand_message_xmd(msg, b"HashToGroup-" + self.context, 64)
        return bytes(na.crypto_core_ristretto255_from_hash(uniform))

    def hash_to_scalar(self, msg: bytes, dst: bytes | None = None) -> bytes:
        dst = b"HashToScalar-" + self.context if dst is None else dst
        uniform = expand_message_xmd(msg, dst, 64)
        return bytes(na.crypto_core_ristretto255_scalar_reduce(uniform))

    def derive_key_pair(self, seed: bytes, info: bytes) -> tuple[bytes, bytes]:
        """RFC 9497 DeriveKeyPair: the key from a 32-byte secret seed and a public info string."""
        if len(seed) != SCALAR_BYTES or len(info) > MAX_INPUT:
            raise OprfError("DeriveKeyPair needs a 32-byte seed and info under 65535 bytes")
        derive_input = seed + _lp(info)
        for counter in range(256):
            sk = self.hash_to_scalar(
                derive_input + _i2osp(counter, 1), b"DeriveKeyPair" + self.context
            )
            if sk != bytes(SCALAR_BYTES):
                return sk, public_key(sk)
        raise OprfError("DeriveKeyPair found no non-zero scalar")

    def _input_element(self, private_input: bytes) -> bytes:
        if len(private_input) > MAX_INPUT:
            raise InvalidInputError("OPRF inputs are under 65535 bytes")
        element = self.hash_to_group(private_input)
        if element == IDENTITY:
            raise InvalidInputError("the input hashes to the identity")
        return element

    def blind(self, private_input: bytes, blind: bytes | None = None) -> tuple[bytes, bytes]:
        """Blind: (blind, blindedElement); `blind` is fixed only by the test vectors."""
        r = random_scalar() if blind is None else deserialize_scalar(blind)
        return r, mul(r, self._input_element(private_input))

    def evaluate(self, sk: bytes, private_input: bytes) -> bytes:
        """Evaluate: the PRF output computed directly by whoever holds the key."""
        return _finalize_hash(private_input, mul(sk, self._input_element(private_input)))

    def _composites(
        self, b: bytes, cs: Sequence[bytes], ds: Sequence[bytes], k: bytes | None
    ) -> tuple[bytes, bytes]:
        """ComputeComposites (and ComputeCompositesFast when the key k is known)."""
        seed = hashlib.sha512(_lp(b) + _lp(b"Seed-" + self.context)).digest()
        m = z = IDENTITY
        for i, (c, d) in enumerate(zip(cs, ds, strict=True)):
            di = self.hash_to_scalar(_lp(seed) + _i2osp(i, 2) + _lp(c) + _lp(d) + b"Composite")
            m = add(mul(di, c), m)
            if k is None:
                z = add(mul(di, d), z)
        return m, (mul(k, m) if k is not None else z)

    def _challenge(self, b: bytes, m: bytes, z: bytes, t2: bytes, t3: bytes) -> bytes:
        return self.hash_to_scalar(b"".join(_lp(x) for x in (b, m, z, t2, t3)) + b"Challenge")

    def generate_proof(
        self,
        k: bytes,
        a: bytes,
        b: bytes,
        cs: Sequence[bytes],
        ds: Sequence[bytes],
        r: bytes | None = None,
    ) -> bytes:
        """GenerateProof: a batched DLEQ proof that k*A == B and k*C[i] == D[i]; c || s."""
        if not cs or len(cs) != len(ds):
            raise OprfError("a proof needs two non-empty lists of the same length")
        m, z = self._composites(b, cs, ds, k)
        r = random_scalar() if r is None else deserialize_scalar(r)
        c = self._challenge(b, m, z, mul(r, a), mul(r, m))
        return c + scalar_sub(r, scalar_mul(c, k))

    def verify_proof(
        self, a: bytes, b: bytes, cs: Sequence[bytes], ds: Sequence[bytes], proof: bytes
    ) -> bool:
        """VerifyProof; a malformed proof is an InputValidationError, a wrong one is False."""
        if len(proof) != PROOF_BYTES:
            raise InputValidationError("a proof is exactly 64 bytes")
        if not cs or len(cs) != len(ds):
            raise OprfError("a proof needs two non-empty lists of the same length")
        c = deserialize_scalar(proof[:SCALAR_BYTES])
        s = deserialize_scalar(proof[SCALAR_BYTES:])
        m, z = self._composites(b, cs, ds, None)
        t2 = add(mul(s, a), mul(c, b))
        t3 = add(mul(s, m), mul(c, z))
        return self._challenge(b, m, z, t2, t3) == c

    def blind_evaluate_verifiable(
        self, sk: bytes, pk: bytes, blinded: Sequence[bytes], r: bytes | None = None
    ) -> tuple[list[bytes], bytes]:
        """VOPRF BlindEvaluate over a batch: the evaluated elements and one proof for all."""
        evaluated = [blind_evaluate(sk, x) for x in blinded]
        return evaluated, self.generate_proof(sk, GENERATOR, pk, blinded, evaluated, r)

    def finalize_verifiable(
        self,
        inputs: Sequence[bytes],
        blinds: Sequence[bytes],
        evaluated: Sequence[bytes],
        blinded: Sequence[bytes],
        pk: bytes,
        proof: bytes,
    ) -> list[bytes]:
        """VOPRF Finalize over a batch: checks the proof, then unblinds and hashes each."""
        evaluated = [deserialize_element(x) for x in evaluated]
        pk = deserialize_element(pk)
        if not self.verify_proof(GENERATOR, pk, blinded, evaluated, proof):
            raise VerifyError("the server's proof does not verify against its public key")
        return [finalize(i, r, e) for i, r, e in zip(inputs, blinds, evaluated, strict=True)]


OPRF = Suite(MODE_OPRF)
VOPRF = Suite(MODE_VOPRF)


def generate_key_pair() -> tuple[bytes, bytes]:
    sk = random_scalar()
    return sk, public_key(sk)


def blind_evaluate(sk: bytes, blinded_element: bytes) -> bytes:
    """BlindEvaluate (both modes): skS * blindedElement, after validating the element."""
    return mul(sk, deserialize_element(blinded_element))


def _finalize_hash(private_input: bytes, unblinded: bytes) -> bytes:
    return hashlib.sha512(_lp(private_input) + _lp(unblinded) + b"Finalize").digest()


def unblind(blind: bytes, evaluated_element: bytes) -> bytes:
    return mul(scalar_invert(blind), deserialize_element(evaluated_element))


def finalize(private_input: bytes, blind: bytes, evaluated_element: bytes) -> bytes:
    """OPRF Finalize: unblind the server's answer and hash it with the input."""
    return _finalize_hash(private_input, unblind(blind, evaluated_element))
