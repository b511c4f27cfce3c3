"""Read station-level results: the Russian CEC files (zipped CSV) and a generic CSV."""

from __future__ import annotations

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

    def leader_column(self, name: str | None) -> str:
        """The column `name` names (exactly, else a unique substring); by default the winner."""
        columns = [str(c) for c in self.votes.columns]
        if name is None:
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
        )


def _ints(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column], errors="coerce").fillna(0).to_numpy(np.int64)


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
    )


def _generic(frame: pd.DataFrame) -> Results:
    candidates = [c for c in frame.columns if c not in GENERIC and c != "region"]
    region = frame["region"].astype(str) if "region" in frame else pd.Series([""] * len(frame))
    return Results(
        frame["station"].astype(str).to_numpy(str),
        region.to_numpy(str),
        _ints(frame, "registered"),
        _ints(frame, "voted"),
        pd.DataFrame({str(c): _ints(frame, c) for c in candidates}),
    )


def load(path: Path) -> Results:
    """Stations with at least one registered voter and one ballot cast, from either format."""
    frame = pd.read_csv(path, dtype=str)  # pandas reads a one-file .zip as it is
    cols = set(frame.columns)
    if set(GENERIC) <= cols:
        results = _generic(frame)
    elif {"region", "tik", "uik"} <= cols:
        results = _russian(frame)
    else:
        raise ValueError(f"{path}: neither `station,registered,voted,...` nor a CEC file")
    keep = (results.registered > 0) & (results.voted > 0) & (results.voted <= results.registered)
    return results.where(keep)
