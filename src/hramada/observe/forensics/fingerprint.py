"""The election fingerprint: turnout against the leader's share, weighted by voters."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm

from hramada.observe.forensics.data import Results

BINS = np.linspace(0.0, 100.0, 201)  # half a percentage point


def fingerprint(results: Results, leader: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Turnout and leader's share in percent per station, and the 2-D voter-weighted histogram."""
    turnout = 100.0 * results.voted / results.registered
    share = 100.0 * results.leader(leader) / results.voted
    grid, _, _ = np.histogram2d(turnout, share, bins=(BINS, BINS), weights=results.voted)
    return turnout, share, grid


def draw(results: Results, leader: str | None, out: Path, title: str) -> list[Path]:
    """Write the figure as `out` (PNG) and beside it as SVG; return both paths."""
    turnout, share, grid = fingerprint(results, leader)
    fig = plt.figure(figsize=(6.4, 6.4))
    spec = fig.add_gridspec(
        2, 2, width_ratios=(4, 1), height_ratios=(1, 4), wspace=0.05, hspace=0.05
    )
    main = fig.add_subplot(spec[1, 0])
    top = fig.add_subplot(spec[0, 0], sharex=main)
    side = fig.add_subplot(spec[1, 1], sharey=main)
    shown = np.where(grid > 0, grid, np.nan).T
    main.imshow(
        shown, origin="lower", extent=(0, 100, 0, 100), aspect="auto", cmap="viridis",
        norm=LogNorm(vmin=max(1.0, np.nanmax(shown) / 1e4), vmax=np.nanmax(shown)),
    )  # fmt: skip
    main.set_facecolor("black")
    main.set_xlabel("turnout, %")
    main.set_ylabel(f"{results.leader_column(leader)[:40]}, % of ballots")
    top.hist(turnout, bins=list(BINS), weights=results.voted, color="0.3")
    side.hist(share, bins=list(BINS), weights=results.voted, color="0.3", orientation="horizontal")
    top.set_ylabel("voters")
    side.set_xlabel("voters")
    top.tick_params(labelbottom=False)
    side.tick_params(labelleft=False)
    top.set_title(title, fontsize=10)
    out.parent.mkdir(parents=True, exist_ok=True)
    svg = out.with_suffix(".svg")
    fig.savefig(out, dpi=100, bbox_inches="tight")
    fig.savefig(svg, bbox_inches="tight")
    plt.close(fig)
    return [out, svg]
