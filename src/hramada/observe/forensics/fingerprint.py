"""The election fingerprint: turnout against the leader's share, weighted by voters."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm

from hramada.observe.forensics.data import Results

BINS = np.linspace(0.0, 100.0, 201)  # half a percentage point
FORMATS = ("png", "svg")


def fingerprint(results: Results, leader: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Turnout and leader's share in percent per station, and the 2-D voter-weighted histogram."""
    turnout = 100.0 * results.voted / results.registered
    share = 100.0 * results.leader(leader) / results.voted
    grid, _, _ = np.histogram2d(turnout, share, bins=(BINS, BINS), weights=results.voted)
    return turnout, share, grid


@dataclass(frozen=True)
class Labels:
    """The figure's words, so a report can give them in its own language."""

    turnout: str = "turnout, %"
    share: str = "{leader}, % of ballots"
    voters: str = "voters"


def figure(
    results: Results, leader: str | None, *, fmt: str, title: str, labels: Labels = Labels()
) -> bytes:
    """The fingerprint with both marginals as a `fmt` ("png" or "svg") image."""
    if fmt not in FORMATS:
        raise ValueError(f"a figure is {' or '.join(FORMATS)}, not {fmt!r}")
    turnout, share, grid = fingerprint(results, leader)
    fig = plt.figure(figsize=(6.4, 6.4))
    spec = fig.add_gridspec(
        2, 2, width_ratios=(4, 1), height_ratios=(1, 4), wspace=0.08, hspace=0.05
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
    main.set_xlabel(labels.turnout)
    name = textwrap.shorten(results.leader_column(leader), 90, placeholder="…")
    main.set_ylabel(labels.share.format(leader=textwrap.fill(name, 45)))
    bins, weights = list(BINS), results.voted  # each marginal is one shape, not 200 bars
    top.hist(turnout, bins, weights=weights, color="0.3", histtype="stepfilled")
    side.hist(
        share, bins, weights=weights, color="0.3", histtype="stepfilled", orientation="horizontal"
    )
    top.set_ylabel(labels.voters)
    side.set_xlabel(labels.voters)
    top.tick_params(labelbottom=False, labelleft=False, left=False)  # the marginals' shape
    side.tick_params(labelleft=False, labelbottom=False, bottom=False)  # matters, not the scale
    top.set_title(title, fontsize=10)
    out = io.BytesIO()
    # no creation date and fixed SVG ids: the same data gives the same bytes
    with plt.rc_context({"svg.hashsalt": "hramada"}):
        fig.savefig(out, format=fmt, dpi=100, bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return out.getvalue()
