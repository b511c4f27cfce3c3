"""`hramada forensics` as an observer runs it, on synthetic stations whose truth is known."""
# ruff: noqa: RUF001  (Russian text is meant to be Cyrillic)

from __future__ import annotations

import json
import re
import zipfile
from html import unescape
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pytest
from conftest import hramada
from PIL import Image

from hramada.booth.i18n import LANGUAGES, messages
from hramada.cli.forensics_report import Parameters, number, p_value, render_html
from hramada.observe.forensics.data import load
from hramada.observe.forensics.extremes import extremes
from hramada.observe.forensics.integers import integer_test

SENTENCE = "evidence of anomalies, not proof of fraud"
FEW = ("--simulations", "200")


def stations(path: Path, forced: int = 0, n: int = 10_000, seed: int = 1) -> Path:
    """Binomial turnout and votes at `n` stations in two regions; the first `forced` stations
    get a registered count that is a multiple of 100 and a turnout of exactly k %."""
    rng = np.random.default_rng(seed)
    registered = rng.integers(300, 3000, n)
    voted = rng.binomial(registered, rng.uniform(0.4, 0.8, n))
    registered[:forced] = 100 * rng.integers(3, 30, forced)
    voted[:forced] = registered[:forced] * rng.integers(60, 95, forced) // 100
    alena = rng.binomial(voted, 0.55)
    frame = pd.DataFrame(
        {"station": [f"S{i}" for i in range(n)],
         "region": np.where(np.arange(n) % 2, "North", "South"),
         "registered": registered, "voted": voted, "Alena": alena, "Bazyli": voted - alena}
    )  # fmt: skip
    frame.to_csv(path, index=False)
    return path


def integers(path: Path, *args: str) -> dict[str, dict[str, float]]:
    proc = hramada("forensics", "integers", str(path), "--json", *args)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"turnout", "leader"}
    for test in out.values():
        assert set(test) == {"observed", "expected", "excess", "p_value"}
    return out


def test_clean_binomial_data_is_not_flagged(tmp_path: Path) -> None:
    out = integers(stations(tmp_path / "clean.csv"), "--leader", "Alena", *FEW)
    assert out["turnout"]["p_value"] >= 0.01 and out["leader"]["p_value"] >= 0.01
    assert abs(out["turnout"]["excess"]) < 60  # the null's spread is about sqrt(1000)


def test_forced_integer_turnout_is_flagged_with_the_excess_forced(tmp_path: Path) -> None:
    out = integers(stations(tmp_path / "forced.csv", forced=300), "--leader", "Alena", *FEW)
    turnout = out["turnout"]
    assert turnout["p_value"] < 0.01
    assert turnout["p_value"] == pytest.approx(1 / 201)  # no draw reached the observed count
    assert abs(turnout["excess"] - 300) < 60  # ~30 forced ones would have been near anyway
    assert turnout["excess"] == pytest.approx(turnout["observed"] - turnout["expected"])
    assert out["leader"]["p_value"] >= 0.01  # the leader's votes were not forced


def test_the_parameters_change_the_test(tmp_path: Path) -> None:
    path = stations(tmp_path / "forced.csv", forced=300, n=4000)
    base = integers(path, "--leader", "Alena", "--simulations", "20")
    assert integers(path, "--leader", "Alena", "--simulations", "20") == base  # fixed seed
    seeded = integers(path, "--leader", "Alena", "--simulations", "20", "--seed", "7")
    assert seeded["turnout"]["expected"] != base["turnout"]["expected"]
    assert seeded["turnout"]["observed"] == base["turnout"]["observed"]
    wide = integers(path, "--leader", "Alena", "--simulations", "20", "--window", "0.1")
    assert wide["turnout"]["observed"] > base["turnout"]["observed"]
    big = integers(path, "--leader", "Alena", "--simulations", "20", "--min-registered", "2000")
    assert big["turnout"]["observed"] < base["turnout"]["observed"]


def test_the_table_shows_the_numbers_of_the_json(tmp_path: Path) -> None:
    path = stations(tmp_path / "forced.csv", forced=300, n=4000)
    out = integers(path, "--leader", "Alena", "--simulations", "20")
    proc = hramada("forensics", "integers", str(path), "--leader", "Alena", "--simulations", "20")
    assert proc.returncode == 0, proc.stderr
    for test in out.values():
        assert f"{test['observed']:,}" in proc.stdout
        assert f"{test['expected']:,.1f}" in proc.stdout
    assert "not proof of fraud" in proc.stdout


def test_fingerprint_writes_png_and_svg_per_region(tmp_path: Path) -> None:
    path = stations(tmp_path / "s.csv", n=4000)
    png, svg = tmp_path / "fig.png", tmp_path / "out" / "fig.svg"
    for out in (png, svg):
        proc = hramada(
            "forensics", "fingerprint", str(path), "--leader", "Alena", "--out", str(out)
        )
        assert proc.returncode == 0, proc.stderr
    with Image.open(png) as image:
        assert image.format == "PNG" and image.size[0] > 400
        image.verify()
    root = ElementTree.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    north = tmp_path / "north.svg"
    proc = hramada(
        "forensics", "fingerprint", str(path), "--leader", "Alena", "--out", str(north),
        "--region", "north",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "2,000 stations" in proc.stdout  # half of them
    assert north.read_bytes() != svg.read_bytes()


def test_report_has_the_figure_the_tests_and_the_sentence(tmp_path: Path) -> None:
    path = stations(tmp_path / "forced.csv", forced=300, n=4000)
    args = ("--leader", "Alena", "--simulations", "50")
    out = integers(path, *args)
    proc = hramada("forensics", "report", str(path), *args, "--out", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "r" / "index.html").read_text()
    text = unescape(html)
    assert SENTENCE in text
    assert json.loads((tmp_path / "r" / "integers.json").read_text()) == out
    for name, test in out.items():
        row = re.search(rf'<tr id="integers-{name}">(.*?)</tr>', html)
        assert row is not None
        cells = re.findall(r'<td class="n">([^<]*)</td>', row.group(1))
        assert cells == [
            number("en", test["observed"]),
            number("en", test["expected"], 1),
            number("en", test["excess"], 1, sign=True),
            p_value("en", test["p_value"]),
        ]
    assert "data:image/png;base64," in html  # the page alone is complete
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing from elsewhere
    with Image.open(tmp_path / "r" / "fingerprint.png") as image:
        image.verify()
    assert ElementTree.parse(tmp_path / "r" / "fingerprint.svg").getroot().tag.endswith("svg")
    # the null models in words, with the parameters used
    assert "binomial distribution with the station's own size" in text
    assert "mean over 50 such draws (seed 2016)" in text


def test_the_report_in_every_language(tmp_path: Path) -> None:
    path = stations(tmp_path / "s.csv", n=400)
    results = load(path)
    outcome = integer_test(results, "Alena", simulations=5)
    found = extremes(results, "Alena")
    params = Parameters(path, None, "Alena", 0.05, 100, 5, 2016, 20)
    for lang in LANGUAGES:
        html = render_html(lang, results, params, outcome, found, b"")
        assert f'<html lang="{lang}">' in html
        assert messages(lang)["forensics.caveat.text"] in unescape(html)
        assert (SENTENCE in unescape(html)) == (lang == "en")
    north = Parameters(path, "North", "Alena", 0.05, 100, 5, 2016, 20)
    html = render_html("en", results.only("North"), north, outcome, found, b"")
    assert "matching “North”. Parameters: window ±0.05 percentage points" in unescape(html)


def cec_file(path: Path) -> Path:
    """A CEC-shaped file, zipped as the CEC files are: Putin wins, though not in Orel."""
    frame = pd.DataFrame(
        {"region": ["Москва", "Тыва", "Орловская область"], "tik": ["ТИК 1", "ТИК 2", "ТИК 3"],
         "uik": ["1", "2", "3"],
         "Число избирателей, включенных в список избирателей": [1000, 2000, 800],
         "Число недействительных избирательных бюллетеней": [10, 0, 0],
         "Число действительных избирательных бюллетеней": [590, 1990, 500],
         "Зюганов Геннадий Андреевич": [190, 40, 300],
         "Путин Владимир Владимирович": [400, 1950, 200],
         "url": ["http://a", "http://b", "http://c"]}
    )  # fmt: skip
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("2012.csv", frame.to_csv(index=False))
    return path


def test_a_cec_file_defaults_to_the_official_winner(tmp_path: Path) -> None:
    path = cec_file(tmp_path / "2012.csv.zip")
    out = integers(path, "--simulations", "10")
    assert out["turnout"]["observed"] == 1  # 600 of 1000 is exactly 60 %
    args = ("--simulations", "5", "--lang", "ru", "--out", str(tmp_path))
    proc = hramada("forensics", "report", str(path), *args)
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "index.html").read_text()
    assert "Лидер: Путин Владимир Владимирович." in html
    assert "Это свидетельство аномалий, а не доказательство фальсификаций." in html
    assert "Тыва / ТИК 2 / 2" in html  # 99.5 % turnout, 98 % for the leader
    proc = hramada("forensics", "integers", str(path), "--region", "Орлов", "--simulations", "5")
    assert proc.returncode == 0, proc.stderr
    assert "Leader: Путин Владимир Владимирович" in proc.stdout  # the official winner


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, ("--leader", "Alena"), "no such file"),
        ("station,registered,voted,Alena\nS1,100,50,20\n", (), "name the leader with --leader"),
        ("station,registered,voted,Alena\nS1,100,50,20\n", ("--leader", "Zed"), "matches 0"),
        ("station,registered,voted,Alena\nS1,many,50,20\n", ("--leader", "Alena"), "line 2"),
        ("station,registered,voted,Alena\nS1,100,50\n,,,,,\n", ("--leader", "A"), "not a CSV"),
        ("name,votes\nA,1\n", ("--leader", "A"), "neither `station,registered,voted"),
        ("station,registered,voted\nS1,100,50\n", ("--leader", "A"), "no candidate column"),
        (b"PK\x03\x04 broken", ("--leader", "A"), "not a zipped CSV"),
        ("station,registered,voted,A\nS1,100,150,20\n", ("--leader", "A"), "no station with"),
        (
            "station,registered,voted,Alena\nS1,100,50,20\n",
            ("--leader", "Al", "--region", "X"),
            "no station in a",
        ),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_code_2(
    tmp_path: Path, content: str | bytes | None, args: tuple[str, ...], message: str
) -> None:
    path = tmp_path / ("bad.csv.zip" if isinstance(content, bytes) else "bad.csv")
    if isinstance(content, str):
        path.write_text(content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    proc = hramada("forensics", "integers", str(path), "--simulations", "5", *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.startswith("error: ") and message in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_the_figure_needs_a_known_format(tmp_path: Path) -> None:
    path = stations(tmp_path / "s.csv", n=100)
    proc = hramada(
        "forensics", "fingerprint", str(path), "--leader", "Alena", "--out", str(tmp_path / "f.jpg")
    )
    assert proc.returncode == 2 and "must end in .png or .svg" in proc.stderr
    proc = hramada("forensics", "report", str(path), "--leader", "Alena", "--lang", "fr",
                   "--out", str(tmp_path))  # fmt: skip
    assert proc.returncode == 2 and "--lang is one of" in proc.stderr
