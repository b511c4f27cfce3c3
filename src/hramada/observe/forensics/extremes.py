"""The stations with the most extreme patterns, counted per region."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hramada.observe.forensics.data import Results
from hramada.observe.forensics.integers import near_integer


@dataclass(frozen=True)
class Extremes:
    """Per region: stations over 90 %/90 %, and the integer turnouts several stations share."""

    per_region: pd.DataFrame  # region, stations, over_90, over_90_voters, top_cluster, cluster_size
    stations: pd.DataFrame  # station, region, registered, turnout, leader, both over 90 %


def extremes(results: Results, leader: str | None, window: float = 0.05) -> Extremes:
    """A round-number cluster is an integer turnout (within `window`) shared by the most stations
    of a region; the >90 % table lists every such station, largest first."""
    turnout = 100.0 * results.voted / results.registered
    share = 100.0 * results.leader(leader) / results.voted
    high = (turnout > 90) & (share > 90)
    frame = pd.DataFrame(
        {"station": results.station, "region": results.region, "registered": results.registered,
         "voted": results.voted, "turnout": turnout, "leader": share, "high": high,
         "round": np.where(near_integer(results.voted, results.registered, window),
                           np.rint(turnout), np.nan)}
    )  # fmt: skip
    rows = []
    for region, group in frame.groupby("region", sort=False):
        clusters = group["round"].dropna()
        clusters = clusters[(clusters > 50) & (clusters < 100)].value_counts()
        top, size = (int(clusters.index[0]), int(clusters.iloc[0])) if len(clusters) else (0, 0)
        rows.append(
            {"region": region, "stations": len(group), "over_90": int(group["high"].sum()),
             "over_90_voters": int(group.loc[group["high"], "voted"].sum()),
             "top_cluster": top, "cluster_size": size}
        )  # fmt: skip
    per_region = pd.DataFrame(rows).sort_values("over_90_voters", ascending=False)
    stations = frame[frame["high"]].sort_values("voted", ascending=False)
    columns = ["station", "region", "registered", "turnout", "leader"]
    return Extremes(per_region.reset_index(drop=True), stations[columns].reset_index(drop=True))
