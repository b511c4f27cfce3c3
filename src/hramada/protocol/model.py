"""The Belenios v1 data structures, fields in serialization order (big integers as strings)."""

from __future__ import annotations

from typing import Any, Literal

from msgspec import Struct

# Integers above this bound are written as decimal strings (weights, result counts).
MAX_JSON_INT = 2**30 - 1

Weight = int | str


def weight_to_json(w: int) -> Weight:
    return w if w <= MAX_JSON_INT else str(w)


def weight_from_json(w: Weight) -> int:
    """Parse a weight or count; raise ValueError unless it is canonical and positive-or-zero."""
    if isinstance(w, bool) or not isinstance(w, int | str):
        raise ValueError(f"a weight or count is an integer, not {w!r}")
    if isinstance(w, int):
        if w < 0 or w > MAX_JSON_INT:
            raise ValueError(f"weight {w} out of range")
        return w
    if not w.isdigit() or w != str(int(w)) or int(w) <= MAX_JSON_INT:
        raise ValueError(f"weight {w!r} is not canonical")
    return int(w)


class Proof(Struct):
    challenge: str
    response: str


class Ciphertext(Struct):
    alpha: str
    beta: str


class NonHomomorphicValue(Struct):
    answers: list[str]
    question: str


class ListCandidate(Struct, kw_only=True, omit_defaults=True):
    """One candidate on a party list: the name, and the gender where the seat rules need it."""

    name: str
    gender: str | None = None


class Question(Struct, kw_only=True, omit_defaults=True):
    """Homomorphic: answers, ?blank, min, max, question. Other kinds: type, value, ?extra.

    Hramada's extension `candidates` makes a homomorphic question a vote for one party list:
    one list of candidates per answer (the answers are the lists' names), in list order. Like
    `translations` it is covered by the fingerprint, and belenios-tool skips it."""

    answers: list[str] | None = None
    blank: bool | None = None
    min: int | None = None
    max: int | None = None
    question: str | None = None
    type: str | None = None
    value: Any = None
    extra: Any = None
    candidates: list[list[ListCandidate]] | None = None

    @property
    def homomorphic(self) -> bool:
        return self.type is None

    def slots(self) -> int:
        """Ciphertexts in a homomorphic answer: one per answer, plus the blank flag."""
        assert self.answers is not None
        return len(self.answers) + (1 if self.blank else 0)


class QuestionText(Struct):
    """One question's text and its answers' texts, in another language."""

    question: str
    answers: list[str]


class Translation(Struct):
    """The election's texts in one more language: name, description, every question."""

    name: str
    description: str
    questions: list[QuestionText]


# Hramada's extension: `translations` maps a language tag (such as "be") to the election's texts
# in that language. It is a field of the election itself, so the fingerprint (the SHA-256 of the
# election's bytes) covers every translation; belenios-tool ignores fields it does not know.
Translations = dict[str, Translation]


class Election(Struct, kw_only=True, omit_defaults=True):
    version: int
    description: str
    name: str
    group: str
    public_key: str
    questions: list[Question]
    uuid: str
    administrator: str | None = None
    credential_authority: str | None = None
    translations: Translations | None = None


class Template(Struct, kw_only=True, omit_defaults=True):
    """What the administrator writes: the election without group, key, uuid and version."""

    description: str
    name: str
    questions: list[Question]
    administrator: str | None = None
    credential_authority: str | None = None
    translations: Translations | None = None


class TrusteePublicKey(Struct, omit_defaults=True):
    pok: Proof
    public_key: str
    name: str | None = None


class SignedMessage(Struct):
    message: str
    signature: Proof


class CertContext(Struct):
    group: str
    size: int
    threshold: int
    index: int


class CertKeys(Struct, kw_only=True, omit_defaults=True):
    context: CertContext | None = None
    verification: str
    encryption: str


class RawCoefexps(Struct):
    coefexps: list[str]


class CertsToSign(Struct):
    """What each Pedersen trustee signs (Belenios >= 2.5.1), prefixed with "certs_sig|"."""

    certs: list[SignedMessage]
    coefexps: list[str]


class ThresholdParameters(Struct, kw_only=True, omit_defaults=True):
    threshold: int
    certs: list[SignedMessage]
    coefexps: list[SignedMessage]
    signatures: list[Proof] | None = None
    verification_keys: list[TrusteePublicKey]


class Signature(Struct):
    hash: str
    proof: Proof


class Answer(Struct, kw_only=True, omit_defaults=True):
    """Homomorphic: choices (list), individual_proofs, overall_proof, ?blank_proof.
    Non-homomorphic: choices (one ciphertext), proof."""

    choices: list[Ciphertext] | Ciphertext
    individual_proofs: list[list[Proof]] | None = None
    overall_proof: list[Proof] | None = None
    blank_proof: list[Proof] | None = None
    proof: Proof | None = None


class Ballot(Struct, kw_only=True, omit_defaults=True):
    election_uuid: str
    election_hash: str
    credential: str
    answers: list[Answer]
    signature: Signature | None = None


class ArchiveHeader(Struct):
    version: int
    timestamp: str | int


class SetupData(Struct):
    election: str
    trustees: str
    credentials: str


EventType = Literal[
    "Setup",
    "Ballot",
    "EndBallots",
    "EncryptedTally",
    "Shuffle",
    "EndShuffles",
    "PartialDecryption",
    "Result",
]


class Event(Struct, kw_only=True, omit_defaults=True):
    parent: str | None = None
    height: int
    type: EventType
    payload: str | None = None


EncryptedTally = list[list[Ciphertext]]


class SizedEncryptedTally(Struct):
    num_tallied: int
    total_weight: Weight
    encrypted_tally: str


class PartialDecryption(Struct):
    decryption_factors: list[list[str]]
    decryption_proofs: list[list[Proof]]


class Owned(Struct):
    """A trustee's contribution (partial decryption or shuffle), referenced by its hash."""

    owner: int
    payload: str


class Shuffle(Struct):
    """Re-encrypted, permuted ranked-question ciphertexts; the proofs are kept as they are."""

    ciphertexts: list[list[Ciphertext]]
    proofs: list[Any]


class Result(Struct):
    result: list[list[Any]]
