"""Merkle trees over a closed period's entries, and inclusion proofs a resident can check.

When a period closes, each entry dated in it (in entry-number order) becomes a *leaf*: the
public facts of the entry, written as one line of text (`leaf_text`): the entity, the entry's
number, date and chain hash, the SHA-256 of its receipt code if it records a resident's
payment, and every posting (account, currency, debit, credit in minor units). So a leaf
changes if the amount, the account or the receipt changes, and a proof is bound to one
receipt code.

Hashing, with domain separation as in RFC 6962 (a leaf can never pass for an inner node):

    leaf = SHA-256(0x00 || UTF-8 leaf text)
    node = SHA-256(0x01 || left || right)

Each level pairs its nodes left to right; an odd last node is carried up unchanged (it is
not paired with itself). The root of an empty period is SHA-256 of nothing.

A proof is the leaf's position, the leaf's facts and the sibling hashes from the bottom up,
each with its side; `verify` recomputes the root from them. This module uses only the
standard library, so `python -m ledger.core.merkle proof.json --code CODE --root HEX` checks a
downloaded proof with nothing of the service running.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

LEAF_VERSION = "huzhu-leaf/1"
EMPTY_ROOT = hashlib.sha256(b"").hexdigest()
CODE_CHARACTERS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32


@dataclass(frozen=True, slots=True)
class Leaf:
    """The public facts of one entry; `receipt` is the SHA-256 of its receipt code, or ''.
    `postings` are (account, currency, debit, credit), amounts in minor units (fen), in the
    entry's line order."""

    entity: str
    seq: int
    date: str  # ISO 8601
    entry_hash: str
    receipt: str
    postings: tuple[tuple[str, str, int, int], ...]

    def as_dict(self) -> dict[str, object]:
        return {"entity": self.entity, "seq": self.seq, "date": self.date,
                "entry_hash": self.entry_hash, "receipt": self.receipt,
                "postings": [list(p) for p in self.postings]}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Leaf:
        postings = data["postings"]
        if not isinstance(postings, list):
            raise ValueError("postings is a list")
        return cls(entity=str(data["entity"]), seq=_int(data["seq"]), date=str(data["date"]),
                   entry_hash=str(data["entry_hash"]), receipt=str(data["receipt"]),
                   postings=tuple((str(a), str(cur), _int(d), _int(c))
                                  for a, cur, d, c in postings))


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{value!r} is not a whole number")
    return value


def leaf_text(leaf: Leaf) -> str:
    """The one line that is hashed: fields separated by '|', postings by ';'."""
    postings = ";".join(f"{account}:{currency}:{debit}:{credit}"
                        for account, currency, debit, credit in leaf.postings)
    return "|".join((LEAF_VERSION, leaf.entity, str(leaf.seq), leaf.date, leaf.entry_hash,
                     leaf.receipt or "-", postings))


def normal_code(text: str) -> str:
    """A receipt code as printed (XXXX-XXXX-XXXX), from what a resident typed: full-width
    characters, case, spaces and dashes do not matter; O, I and L read as 0, 1 and 1."""
    plain = unicodedata.normalize("NFKC", text).upper()
    plain = plain.translate(str.maketrans("OIL", "011"))
    kept = "".join(c for c in plain if c in CODE_CHARACTERS)
    return "-".join(kept[i:i + 4] for i in range(0, len(kept), 4))


def code_digest(code: str) -> str:
    """SHA-256 (hex) of a receipt code in its printed form: what a leaf holds."""
    return hashlib.sha256(normal_code(code).encode()).hexdigest()


def leaf_hash(leaf: Leaf) -> bytes:
    return hashlib.sha256(b"\x00" + leaf_text(leaf).encode()).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the tree, the leaves' hashes first and the root's level last."""
    if not leaves:
        return [[bytes.fromhex(EMPTY_ROOT)]]
    found = [list(leaves)]
    while len(found[-1]) > 1:
        below = found[-1]
        above = [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
        if len(below) % 2:
            above.append(below[-1])
        found.append(above)
    return found


def root(leaves: Sequence[bytes]) -> str:
    return levels(leaves)[-1][0].hex()


@dataclass(frozen=True, slots=True)
class Step:
    """A sibling on the way up: `side` is where it stands, "L" (left) or "R" (right)."""

    side: str
    hash: str


def path(tree: Sequence[Sequence[bytes]], index: int) -> list[Step]:
    """The siblings of leaf `index`, from the bottom up (levels without one are skipped)."""
    steps = []
    for level in tree[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            steps.append(Step("L" if sibling < index else "R", level[sibling].hex()))
        index //= 2
    return steps


def root_from(leaf: Leaf, steps: Sequence[Step]) -> str:
    """The root that `leaf` and its path lead to."""
    current = leaf_hash(leaf)
    for step in steps:
        sibling = bytes.fromhex(step.hash)
        if step.side == "L":
            current = node_hash(sibling, current)
        elif step.side == "R":
            current = node_hash(current, sibling)
        else:
            raise ValueError(f"a step's side is L or R, not {step.side!r}")
    return current.hex()


@dataclass(frozen=True, slots=True)
class Proof:
    """That `leaf` is leaf `index` of the `size` leaves whose root is `root`."""

    period: str
    root: str
    size: int
    index: int
    leaf: Leaf
    path: tuple[Step, ...]

    def as_dict(self) -> dict[str, object]:
        return {"version": LEAF_VERSION, "period": self.period, "root": self.root,
                "size": self.size, "index": self.index, "leaf": self.leaf.as_dict(),
                "leaf_text": leaf_text(self.leaf),
                "path": [{"side": s.side, "hash": s.hash} for s in self.path]}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Proof:
        steps = data["path"]
        leaf = data["leaf"]
        if not isinstance(steps, list) or not isinstance(leaf, dict):
            raise ValueError("a proof has a leaf object and a path list")
        return cls(period=str(data["period"]), root=str(data["root"]), size=_int(data["size"]),
                   index=_int(data["index"]), leaf=Leaf.from_dict(leaf),
                   path=tuple(Step(str(s["side"]), str(s["hash"])) for s in steps))


def expected_steps(size: int, index: int) -> list[str]:
    """The sides a path must have for leaf `index` of `size` (its shape)."""
    sides = []
    while size > 1:
        sibling = index ^ 1
        if sibling < size:
            sides.append("L" if sibling < index else "R")
        index, size = index // 2, (size + 1) // 2
    return sides


@dataclass(frozen=True, slots=True)
class Check:
    ok: bool
    reason: str


def verify(proof: Proof, *, root_hex: str | None = None, code: str | None = None,
           amount_fen: int | None = None) -> Check:
    """Whether `proof` holds: its path has the shape of its position, leads from its leaf to
    `root_hex` (the signed root; the proof's own if none is given) and, when given, the leaf
    is the payment of receipt `code` of `amount_fen`."""
    expected = (root_hex or proof.root).lower()
    if code is not None and proof.leaf.receipt != code_digest(code):
        return Check(False, "this proof is not for that receipt code")
    if amount_fen is not None and not any(debit == amount_fen
                                          for _, _, debit, _ in proof.leaf.postings):
        return Check(False, "the entry does not record that amount")
    if not 0 <= proof.index < proof.size:
        return Check(False, "the leaf's position is outside the tree")
    if [s.side for s in proof.path] != expected_steps(proof.size, proof.index):
        return Check(False, "the path does not fit the leaf's position")
    try:
        found = root_from(proof.leaf, proof.path)
    except ValueError as error:
        return Check(False, str(error))
    if found != expected:
        return Check(False, f"the path leads to {found}, not to the signed root {expected}")
    return Check(True, f"entry {proof.leaf.seq} is leaf {proof.index + 1} of {proof.size} "
                       f"under root {expected}")


def _parse_amount(text: str) -> int:
    whole, _, cents = text.replace(",", "").partition(".")
    if not whole.isdigit() or not (cents.isdigit() or cents == "") or len(cents) > 2:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount like 22.09")
    return int(whole) * 100 + int(cents.ljust(2, "0") or 0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ledger.core.merkle",
        description="Check a payment's inclusion proof (proof.json from the transparency "
                    "page) offline. Exit status 0 if it holds, 1 if not.")
    parser.add_argument("proof", type=Path, help="the downloaded proof.json")
    parser.add_argument("--root", help="the signed root printed on the period's page and PDF "
                                       "(default: the root written in the proof)")
    parser.add_argument("--code", help="your receipt code, e.g. 7K3Q-M9XD-2TPA")
    parser.add_argument("--amount", type=_parse_amount, help="the amount you paid, e.g. 22.09")
    args = parser.parse_args(argv)
    try:
        proof = Proof.from_dict(json.loads(args.proof.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"not a proof: {error}", file=sys.stderr)
        return 1
    check = verify(proof, root_hex=args.root, code=args.code, amount_fen=args.amount)
    print(("OK: " if check.ok else "FAILED: ") + check.reason)
    return 0 if check.ok else 1


if __name__ == "__main__":
    sys.exit(main())
