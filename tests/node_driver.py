"""A JavaScript library run by node through a driver in tests/js/: one JSON line each way."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


class Node:
    """One driver process (e.g. blindrsa_driver.mjs, voprf_driver.mjs), one JSON line each way."""

    def __init__(self, driver: str) -> None:
        node = shutil.which("node")
        assert node is not None, "node is needed for the interoperability tests"
        self.proc = subprocess.Popen(
            [node, str(ROOT / "tests" / "js" / driver)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )

    def __call__(self, op: str, **request: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"op": op, **request}) + "\n")
        self.proc.stdin.flush()
        reply: dict[str, Any] = json.loads(self.proc.stdout.readline())
        return reply

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)
