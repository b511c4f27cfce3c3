"""Stations, official protocols and verified votes: the per-station comparison and the flags."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


class CsvError(ValueError):
    """A CSV file that cannot be imported as it is; nothing was imported."""


@dataclass(frozen=True)
class Station:
    code: str
    region: str
    address: str


@dataclass
class StationResult:
    station: Station
    verified: dict[str, int] = field(default_factory=dict)
    official: dict[str, int] | None = None

    @property
    def flagged(self) -> list[str]:
        """The candidates with more verified votes than the protocol gives them: each one
        proves the protocol false."""
        if self.official is None:
            return []
        return sorted(c for c, n in self.verified.items() if n > self.official.get(c, 0))


def read_stations(text: str) -> list[Station]:
    """Rows `code,region,address` (with that header); codes must be unique and non-empty."""
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or not {"code", "region", "address"} <= set(rows[0]):
        raise CsvError("the stations file needs the columns code,region,address")
    stations, seen = [], set()
    for line, row in enumerate(rows, start=2):
        code = (row["code"] or "").strip()
        if not code:
            raise CsvError(f"line {line}: empty station code")
        if code in seen:
            raise CsvError(f"line {line}: station {code} appears twice")
        seen.add(code)
        stations.append(
            Station(code, (row["region"] or "").strip(), (row["address"] or "").strip())
        )
    return stations


def read_protocols(text: str, known: Iterable[str]) -> dict[str, dict[str, int]]:
    """Rows `station,<one column per candidate>` of non-negative counts, for known stations."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if not header or header[0] != "station" or len(header) < 2:
        raise CsvError("the protocols file needs the columns station,<candidate>,...")
    candidates = [c.strip() for c in header[1:]]
    stations = set(known)
    protocols: dict[str, dict[str, int]] = {}
    for line, row in enumerate(reader, start=2):
        code = (row["station"] or "").strip()
        if code not in stations:
            raise CsvError(f"line {line}: unknown station {code!r}")
        if code in protocols:
            raise CsvError(f"line {line}: station {code} appears twice")
        counts = {}
        for name, raw in zip(candidates, header[1:], strict=True):
            value = (row[raw] or "").strip()
            if not value.isdigit():
                raise CsvError(f"line {line}: {name}: {value!r} is not a count")
            counts[name] = int(value)
        protocols[code] = counts
    return protocols


def compare(
    stations: Iterable[Station],
    verified: Mapping[str, Mapping[str, int]],
    official: Mapping[str, Mapping[str, int]],
) -> list[StationResult]:
    """One result per station, in station-code order."""
    return [
        StationResult(
            s,
            dict(verified.get(s.code, {})),
            dict(official[s.code]) if s.code in official else None,
        )
        for s in sorted(stations, key=lambda s: s.code)
    ]


def report(results: list[StationResult]) -> dict[str, object]:
    """The public report: coverage and the flagged stations, as plain JSON-ready data."""
    covered = [r for r in results if r.verified]
    with_protocol = [r for r in results if r.official is not None]
    flagged = [r for r in results if r.flagged]
    return {
        "coverage": {
            "stations": len(results),
            "with_protocol": len(with_protocol),
            "with_verified_votes": len(covered),
            "verified_votes": sum(sum(r.verified.values()) for r in results),
            "official_votes": sum(sum(r.official.values()) for r in with_protocol if r.official),
        },
        "flagged": [
            {
                "station": r.station.code,
                "region": r.station.region,
                "address": r.station.address,
                "candidates": [
                    {
                        "candidate": c,
                        "verified": r.verified[c],
                        "official": (r.official or {}).get(c, 0),
                    }
                    for c in r.flagged
                ],
            }
            for r in flagged
        ],
    }


def flagged_csv(data: Mapping[str, object]) -> str:
    """The flagged stations as CSV: one row per station and candidate proven undercounted."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["station", "region", "address", "candidate", "verified", "official"])
    for entry in data["flagged"]:  # type: ignore[attr-defined]
        for c in entry["candidates"]:
            writer.writerow(
                [
                    entry["station"],
                    entry["region"],
                    entry["address"],
                    c["candidate"],
                    c["verified"],
                    c["official"],
                ]
            )
    return out.getvalue()
