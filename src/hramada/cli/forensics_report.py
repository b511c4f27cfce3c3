"""The forensics report: one HTML page in one of six languages, with its figures beside it."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from hramada.booth.i18n import messages, translate
from hramada.observe.forensics.data import Results
from hramada.observe.forensics.extremes import Extremes
from hramada.observe.forensics.fingerprint import Labels, figure
from hramada.observe.forensics.integers import Outcome, to_json

environment = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Parameters:
    """What the report was asked for: the data, the leader and the tests' settings."""

    file: Path
    region: str | None
    leader: str
    window: float
    min_registered: int
    simulations: int
    seed: int
    top: int

    @property
    def title(self) -> str:
        return self.file.name + (f" ({self.region})" if self.region else "")


def number(lang: str, value: float, digits: int = 0, sign: bool = False) -> str:
    """`value` with grouped thousands: 11,437.2 in English, 11 437,2 in the other languages."""
    text = f"{value:{'+' if sign else ''},.{digits}f}"
    return text if lang == "en" else text.replace(",", "\u202f").replace(".", ",")


def p_value(lang: str, value: float) -> str:
    """A p-value to three significant digits, with the language's decimal separator."""
    text = f"{value:.3g}"
    return text if lang == "en" else text.replace(".", ",")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def render_html(
    lang: str,
    results: Results,
    params: Parameters,
    outcome: dict[str, Outcome],
    found: Extremes,
    png: bytes,
) -> str:
    """The page in `lang`, the fingerprint `png` embedded so that the page alone is complete."""
    over_90 = found.per_region[found.per_region["over_90"] > 0]
    return environment.get_template("forensics_report.html").render(
        lang=lang,
        t=partial(translate, lang),
        num=partial(number, lang),
        p=partial(p_value, lang),
        params=params,
        title=params.title,
        sha256=_sha256(params.file),
        stations=len(results.station),
        registered=int(results.registered.sum()),
        voted=int(results.voted.sum()),
        tested=int((results.registered >= params.min_registered).sum()),
        outcome=outcome,
        regions=over_90.head(params.top),
        regions_total=len(over_90),
        largest=found.stations.head(params.top),
        largest_total=len(found.stations),
        png=base64.b64encode(png).decode("ascii"),
    )


def write_report(
    out: Path,
    lang: str,
    results: Results,
    params: Parameters,
    outcome: dict[str, Outcome],
    found: Extremes,
) -> Path:
    """Write `out`/index.html, fingerprint.png and .svg (labelled in `lang`) and integers.json
    (as `hramada forensics integers --json` prints it); return the page's path."""
    catalog = messages(lang)
    labels = Labels(
        catalog["forensics.figure.turnout"],
        catalog["forensics.figure.share"],
        catalog["forensics.figure.voters"],
    )
    draw = partial(figure, results, params.leader, title=params.title, labels=labels)
    png, svg = draw(fmt="png"), draw(fmt="svg")
    out.mkdir(parents=True, exist_ok=True)
    (out / "fingerprint.png").write_bytes(png)
    (out / "fingerprint.svg").write_bytes(svg)
    (out / "integers.json").write_text(to_json(outcome) + "\n", encoding="utf-8")
    index = out / "index.html"
    index.write_text(render_html(lang, results, params, outcome, found, png), encoding="utf-8")
    return index
