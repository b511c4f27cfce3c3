"""Ballots: the voter's encryption with proofs and signature, and every acceptance rule."""

from __future__ import annotations

from dataclasses import dataclass

from hramada.crypto.credentials import derive_secret
from hramada.crypto.elgamal import Ciphertext, encrypt, product
from hramada.crypto.group import Element, Group, GroupError
from hramada.crypto.proofs import (
    Proof,
    or_prove,
    or_verify_decimal,
    schnorr_prove,
    schnorr_verify,
)
from hramada.election.context import ElectionContext
from hramada.election.errors import Rejected
from hramada.election.trustees import read_proof, wire_proof
from hramada.protocol import model
from hramada.protocol.canonical import FormatError, decode_canonical, encode, sha256_b64, sha256_hex
from hramada.protocol.model import Answer, Ballot, Question, Signature

Pairs = list[tuple[Element, Element]]


@dataclass(frozen=True)
class AcceptedBallot:
    """A ballot that passed every rule, with what the tally needs from it."""

    tracker: str  # Base64 SHA-256 of the ballot: the voter's tracking code
    hash: str  # the same digest in hex: the ballot's member name in the archive
    credential: str
    weight: int
    ciphertexts: list[list[Ciphertext]]  # per question; one ciphertext for a ranked question


def _wire_ct(group: Group, c: Ciphertext) -> model.Ciphertext:
    return model.Ciphertext(alpha=group.encode(c.alpha), beta=group.encode(c.beta))


def _choices_string(wire: list[model.Ciphertext]) -> str:
    return ",".join(f"{c.alpha},{c.beta}" for c in wire)


def _shifted(group: Group, c: Ciphertext, m: int) -> tuple[Element, Element]:
    """(alpha, beta / g^m): an encryption of 0 exactly when c encrypts m."""
    return (c.alpha, c.beta if m == 0 else group.mul(c.beta, group.g_pow_small(-m)))


def _statements(cs: list[tuple[Ciphertext, int]]) -> list[tuple[Element, Element, int]]:
    """What or_verify takes: each ciphertext with the plaintext it may encrypt."""
    return [(c.alpha, c.beta, m) for c, m in cs]


def _individual_pairs(group: Group, c: Ciphertext) -> Pairs:
    return [_shifted(group, c, 0), _shifted(group, c, 1)]


def _overall_pairs(group: Group, total: Ciphertext, lo: int, hi: int) -> Pairs:
    return [_shifted(group, total, m) for m in range(lo, hi + 1)]


def _individual_prefix(zkp: str, c: model.Ciphertext) -> str:
    return f"prove|{zkp}|{c.alpha},{c.beta}|"


def check_plaintext(question: Question, m: list[int], index: int) -> None:
    """Raise ValueError unless m is a valid answer to a homomorphic question."""
    what = f"question {index}"
    if len(m) != question.slots():
        raise ValueError(f"{what}: expected {question.slots()} values, got {len(m)}")
    if any(x not in (0, 1) for x in m):
        raise ValueError(f"{what}: every value must be 0 or 1")
    assert question.min is not None and question.max is not None
    chosen = sum(m[1:]) if question.blank else sum(m)
    if question.blank and m[0] == 1:
        if chosen:
            raise ValueError(f"{what}: a blank vote selects no answer")
    elif not question.min <= chosen <= question.max:
        raise ValueError(f"{what}: select between {question.min} and {question.max} answers")


def _create_answer(ctx: ElectionContext, q: Question, m: list[int], zkp: str) -> Answer:
    group, y = ctx.group, ctx.y_table
    rs = [group.random_scalar() for _ in m]
    cts = [encrypt(group, y, mi, r) for mi, r in zip(m, rs, strict=True)]
    wire = [_wire_ct(group, c) for c in cts]
    individual = [
        [
            wire_proof(p)
            for p in or_prove(
                group, y, _individual_pairs(group, c), mi, r, _individual_prefix(zkp, w)
            )
        ]
        for c, w, mi, r in zip(cts, wire, m, rs, strict=True)
    ]
    s = f"{zkp}|{_choices_string(wire)}"
    q_ = group.q
    assert q.min is not None and q.max is not None
    blank_proof: list[Proof] | None = None
    if q.blank:
        c0, r0, m0 = cts[0], rs[0], m[0]
        total, r_total, m_total = product(group, cts[1:]), sum(rs[1:]) % q_, sum(m[1:])
        blank_pairs = [_shifted(group, c0, 0), _shifted(group, total, 0)]
        blank_proof = or_prove(group, y, blank_pairs, m0, r_total if m0 else r0, f"bproof0|{s}|")
        pairs = [_shifted(group, c0, 1), *_overall_pairs(group, total, q.min, q.max)]
        true = 0 if m0 else m_total - q.min + 1
        overall = or_prove(group, y, pairs, true, r0 if m0 else r_total, f"bproof1|{s}|")
    else:
        total, r_total = product(group, cts), sum(rs) % q_
        prefix = f"prove|{s}|{group.encode(total.alpha)},{group.encode(total.beta)}|"
        pairs = _overall_pairs(group, total, q.min, q.max)
        overall = or_prove(group, y, pairs, sum(m) - q.min, r_total, prefix)
    return Answer(
        choices=wire,
        individual_proofs=individual,
        overall_proof=[wire_proof(p) for p in overall],
        blank_proof=None if blank_proof is None else [wire_proof(p) for p in blank_proof],
    )


def create_ballot(ctx: ElectionContext, credential: str, plaintexts: list[list[int]]) -> bytes:
    """Encrypt the voter's choices (blank flag first where allowed), prove and sign them."""
    questions = ctx.election.questions
    if len(plaintexts) != len(questions):
        raise ValueError(f"expected answers to {len(questions)} questions")
    for i, (q, m) in enumerate(zip(questions, plaintexts, strict=True), 1):
        if not q.homomorphic:
            raise ValueError(f"question {i}: ranked questions are not supported yet")
        check_plaintext(q, m, i)
    group = ctx.group
    secret = derive_secret(credential, ctx.uuid, group.q)
    cred = group.encode(group.g_pow(secret))
    zkp = f"{ctx.fingerprint}|{cred}"
    answers = [_create_answer(ctx, q, m, zkp) for q, m in zip(questions, plaintexts, strict=True)]
    ballot = Ballot(
        election_uuid=ctx.uuid, election_hash=ctx.fingerprint, credential=cred, answers=answers
    )
    h = sha256_b64(encode(ballot))
    proof = schnorr_prove(group, secret, f"sig|{h}|")
    ballot.signature = Signature(hash=h, proof=wire_proof(proof))
    return encode(ballot)


def _decode_ct(group: Group, c: model.Ciphertext) -> Ciphertext:
    return Ciphertext(group.decode(c.alpha), group.decode(c.beta))


def _decimal(ps: list[model.Proof] | None) -> list[tuple[str, str]]:
    """A proof's (challenge, response) strings, as `or_verify_decimal` takes them."""
    return [(p.challenge, p.response) for p in ps or []]


def _check_answer(
    ctx: ElectionContext, q: Question, a: Answer, zkp: str, i: int
) -> list[Ciphertext]:
    group, y = ctx.group, ctx.y_table
    if not q.homomorphic:
        if not isinstance(a.choices, model.Ciphertext) or a.proof is None:
            raise Rejected("ballot format", f"question {i}: not a ranked-question answer")
        c = _decode_ct(group, a.choices)
        prefix = (
            f"raweg|{zkp}|{group.encode(ctx.y)},{group.encode(c.alpha)},{group.encode(c.beta)}|"
        )
        if not schnorr_verify(group, c.alpha, read_proof(group, a.proof), prefix):
            raise Rejected("answer proof", f"question {i}: invalid proof of knowledge")
        return [c]
    if (
        not isinstance(a.choices, list)
        or a.proof is not None
        or len(a.choices) != q.slots()
        or a.individual_proofs is None
        or len(a.individual_proofs) != q.slots()
        or a.overall_proof is None
        or (a.blank_proof is not None) != bool(q.blank)
    ):
        raise Rejected("ballot format", f"question {i}: answer does not fit the question")
    cts = [_decode_ct(group, c) for c in a.choices]
    # Decoding accepted only canonical strings: the wire's strings are the elements' encodings.
    for j, (c, w, ps) in enumerate(zip(cts, a.choices, a.individual_proofs, strict=True)):
        if not or_verify_decimal(
            group, y, _statements([(c, 0), (c, 1)]), _decimal(ps), _individual_prefix(zkp, w)
        ):
            raise Rejected("individual proof", f"question {i}, choice {j}: not a proof of 0 or 1")
    s = f"{zkp}|{_choices_string(a.choices)}"
    assert q.min is not None and q.max is not None
    if q.blank:
        total = product(group, cts[1:])
        blank = _statements([(cts[0], 0), (total, 0)])
        if not or_verify_decimal(group, y, blank, _decimal(a.blank_proof), f"bproof0|{s}|"):
            raise Rejected("blank proof", f"question {i}: invalid blank proof")
        overall = [(cts[0], 1), *((total, m) for m in range(q.min, q.max + 1))]
        prefix = f"bproof1|{s}|"
    else:
        total = product(group, cts)
        overall = [(total, m) for m in range(q.min, q.max + 1)]
        prefix = f"prove|{s}|{group.encode(total.alpha)},{group.encode(total.beta)}|"
    if not or_verify_decimal(group, y, _statements(overall), _decimal(a.overall_proof), prefix):
        raise Rejected("overall proof", f"question {i}: not a proof of {q.min}..{q.max} choices")
    return cts


def check_ballot(ctx: ElectionContext, data: bytes) -> AcceptedBallot:
    """Apply every acceptance rule of Belenios v1 to a ballot; raise Rejected naming the rule."""
    try:
        ballot = decode_canonical(data, Ballot, "ballot")
    except FormatError as e:
        raise Rejected("ballot format", str(e)) from None
    if ballot.election_uuid != ctx.uuid:
        raise Rejected("election uuid", f"ballot is for election {ballot.election_uuid[:40]!r}")
    if ballot.election_hash != ctx.fingerprint:
        raise Rejected("election fingerprint", "ballot was made for another election text")
    weight = ctx.credentials.get(ballot.credential)
    if weight is None:
        raise Rejected("credential", "the credential is not in the list of eligible voters")
    if ballot.signature is None:
        raise Rejected("signature", "the ballot is not signed")
    signature = ballot.signature
    ballot.signature = None
    if signature.hash != sha256_b64(encode(ballot)):
        raise Rejected("signature", "the signed hash is not the hash of the ballot")
    if len(ballot.answers) != len(ctx.election.questions):
        raise Rejected("ballot format", "the number of answers differs from the questions")
    group = ctx.group
    try:
        # The credential is a key of the list, whose every entry was validated at setup.
        cred = group.decode_unchecked(ballot.credential)
        if not schnorr_verify(
            group, cred, read_proof(group, signature.proof), f"sig|{signature.hash}|"
        ):
            raise Rejected("signature", "invalid signature by the credential")
        zkp = f"{ctx.fingerprint}|{ballot.credential}"
        cts = [
            _check_answer(ctx, q, a, zkp, i)
            for i, (q, a) in enumerate(zip(ctx.election.questions, ballot.answers, strict=True), 1)
        ]
    except GroupError as e:
        raise Rejected("ballot element", str(e)) from None
    return AcceptedBallot(sha256_b64(data), sha256_hex(data), ballot.credential, weight, cts)


def reread_ballot(ctx: ElectionContext, data: bytes) -> AcceptedBallot:
    """What the tally needs from a ballot `check_ballot` accepted, read again from the same bytes
    (their hash checked again by the reader) without checking its proofs or elements again."""
    ballot = decode_canonical(data, Ballot, "ballot")
    group = ctx.group

    def ciphertext(c: model.Ciphertext) -> Ciphertext:
        return Ciphertext(group.decode_unchecked(c.alpha), group.decode_unchecked(c.beta))

    cts = [
        [ciphertext(a.choices)]
        if isinstance(a.choices, model.Ciphertext)
        else [ciphertext(c) for c in a.choices]
        for a in ballot.answers
    ]
    weight = ctx.credentials[ballot.credential]
    return AcceptedBallot(sha256_b64(data), sha256_hex(data), ballot.credential, weight, cts)
