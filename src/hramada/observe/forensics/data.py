"""Read station-level results: the Russian CEC files (zipped CSV) and a generic CSV."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

GENERIC = ("station", "registered", "voted")
_RU_KEYS = ("name", "region", "tik", "uik", "url")


@dataclass(frozen=True)
class Results:
    """One row per polling station: who may vote, who did, and each candidate's count."""

    station: np.ndarray  # str
    region: np.ndarray  # str
    registered: np.ndarray  # int64
    voted: np.ndarray  # int64
    votes: pd.DataFrame  # one int64 column per candidate
    official: bool = False  # a CEC file, whose winner is known; a generic CSV names none

    def leader_column(self, name: str | None) -> str:
        """The column `name` names (exactly, else a unique substring); by default (CEC files
        only) the official winner, the candidate with the most votes."""
        columns = [str(c) for c in self.votes.columns]
        if name is None:
            if not self.official:
                raise ValueError(f"name the leader with --leader, one of the columns: {columns}")
            return str(self.votes.sum().idxmax())
        if name in columns:
            return name
        hits = [c for c in columns if name.casefold() in c.casefold()]
        if len(hits) != 1:
            raise ValueError(f"--leader {name!r} matches {len(hits)} of the columns: {columns}")
        return hits[0]

    def leader(self, name: str | None) -> np.ndarray:
        return self.votes[self.leader_column(name)].to_numpy(np.int64)

    def only(self, region: str | None) -> Results:
        """The stations of one region (matched as a case-insensitive substring)."""
        if region is None:
            return self
        keep = np.array([region.casefold() in r.casefold() for r in self.region], dtype=bool)
        if not keep.any():
            raise ValueError(f"no station in a region matching {region!r}")
        return self.where(keep)

    def where(self, keep: np.ndarray) -> Results:
        """The stations where the boolean mask `keep` is true."""
        return Results(
            self.station[keep],
            self.region[keep],
            self.registered[keep],
            self.voted[keep],
            self.votes[keep].reset_index(drop=True),
            self.official,
        )


def _ints(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column of counts; an empty cell is 0 (CEC files leave stations without data empty)."""
    raw = frame[column]
    numbers = pd.to_numeric(raw, errors="coerce")
    bad = (numbers.isna() & raw.notna()) | (numbers < 0) | (numbers % 1 != 0)
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise ValueError(f"line {row + 2}, column {column!r}: {raw.iloc[row]!r} is not a count")
    return numbers.fillna(0).to_numpy(np.int64)


def _russian(frame: pd.DataFrame) -> Results:
    cols = [str(c) for c in frame.columns]
    registered = next(c for c in cols if c.startswith("Число") and "список" in c)
    invalid = next(c for c in cols if c.startswith("Число недействительных"))
    valid = next((c for c in cols if c.startswith("Число действительных")), None)
    candidates = [c for c in cols if c not in _RU_KEYS and not c.startswith("Число")]
    votes = pd.DataFrame({c: _ints(frame, c) for c in candidates})
    cast = _ints(frame, valid) if valid else votes.to_numpy().sum(axis=1)
    station = frame["tik"].astype(str) + " / " + frame["uik"].astype(str)
    return Results(
        (frame["region"].astype(str) + " / " + station).to_numpy(str),
        frame["region"].astype(str).to_numpy(str),
        _ints(frame, registered),
        _ints(frame, invalid) + cast,
        votes,
        official=True,
    )


def _generic(frame: pd.DataFrame) -> Results:
    candidates = [c for c in frame.columns if c not in GENERIC and c != "region"]
    if not candidates:
        raise ValueError("no candidate column after `station,registered,voted`")
    region = frame["region"].astype(str) if "region" in frame else pd.Series([""] * len(frame))
    return Results(
        frame["station"].astype(str).to_numpy(str),
        region.to_numpy(str),
        _ints(frame, "registered"),
        _ints(frame, "voted"),
        pd.DataFrame({str(c): _ints(frame, c) for c in candidates}),
    )


def load(path: Path) -> Results:
    """Stations with at least one registered voter and one ballot cast, and no more ballots than
    voters or votes than ballots, from either format; ValueError names what is malformed."""
    try:
        frame = pd.read_csv(path, dtype=str)  # pandas reads a one-file .zip as it is
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: not a CSV file ({str(e).strip()})") from None
    except zipfile.BadZipFile as e:
        raise ValueError(f"{path}: not a zipped CSV file ({e})") from None
    cols = set(frame.columns)
    try:
        if set(GENERIC) <= cols:
            results = _generic(frame)
        elif {"region", "tik", "uik"} <= cols:
            results = _russian(frame)
        else:
            raise ValueError("neither `station,registered,voted,...` nor a CEC file")
    except (ValueError, StopIteration) as e:
        raise ValueError(f"{path}: {str(e) or 'a CEC file without its count columns'}") from None
    keep = (results.registered > 0) & (results.voted > 0) & (results.voted <= results.registered)
    keep &= results.votes.to_numpy().sum(axis=1) <= results.voted
    if not keep.any():
        raise ValueError(f"{path}: no station with registered voters and plausible counts")
    return results.where(keep)
