"""`hramada serve --demo`: an administrator, trustees and voters made up on this machine, and
a demo election open for a week. Its secrets are kept in the data folder: it is a demo."""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from hramada.crypto.groups import get_group
from hramada.election.credentials import Voter, generate_credentials
from hramada.election.demo import DEMO_TEMPLATE
from hramada.election.trustees import make_trustee_key
from hramada.protocol.canonical import encode
from hramada.server import accounts
from hramada.server.checking import Checker
from hramada.server.config import Settings
from hramada.server.database import connect
from hramada.server.elections import Elections
from hramada.server.tables import admins

VOTERS = 20
TRUSTEES = 3


def _question(q: Any) -> dict[str, Any]:
    return {
        "question": q.question,
        "answers": q.answers,
        "min": q.min,
        "max": q.max,
        "blank": bool(q.blank),
    }


async def _make(settings: Settings) -> dict[str, Any]:
    engine = connect(settings.db_url)
    elections = Elections(engine, settings, Checker(1))
    password = secrets.token_urlsafe(12)
    accounts.create_admin(engine, "admin", password)
    with engine.connect() as db:
        admin_id = db.execute(select(admins.c.id).where(admins.c.username == "admin")).scalar_one()
    admin = (admin_id, "admin")
    now = datetime.now(UTC).replace(microsecond=0)
    uuid = elections.create(
        admin,
        {
            "name": DEMO_TEMPLATE.name,
            "description": DEMO_TEMPLATE.description,
            "group": "Ed25519",
            "questions": [_question(q) for q in DEMO_TEMPLATE.questions],
            "opens_at": (now - timedelta(minutes=1)).isoformat(),
            "closes_at": (now + timedelta(days=7)).isoformat(),
        },
    )
    group = get_group("Ed25519")
    voters = [Voter(f"voter{i}@demo.invalid") for i in range(1, VOTERS + 1)]
    batch = generate_credentials(group, uuid, voters)
    elections.set_credentials(admin, uuid, batch.public)
    keys_dir = settings.data_dir / "demo" / "trustees"
    keys_dir.mkdir(parents=True, exist_ok=True)
    for n in range(1, TRUSTEES + 1):
        x, public = make_trustee_key(group, f"Trustee {n}")
        link = elections.add_trustee(admin, uuid, f"Trustee {n}")["link"]
        elections.submit_key(link.rsplit("/", 1)[1], encode(public))
        (keys_dir / f"trustee{n}.privkey").write_text(json.dumps(str(x)))
        (keys_dir / f"trustee{n}.link").write_text(link)
    await elections.open(admin, uuid)
    elections.checker.close()
    engine.dispose()
    return {
        "uuid": uuid,
        "admin_password": password,
        "credentials": list(batch.private.values()),
        "trustee_keys": str(keys_dir),
    }


def prepare_demo(settings: Settings) -> dict[str, Any]:
    """Set the demo up once per data folder; later starts reuse it."""
    record = settings.data_dir / "demo" / "demo.json"
    if record.exists():
        return json.loads(record.read_text())
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    demo = asyncio.run(_make(settings))
    record.write_text(json.dumps(demo, indent=1))
    record.chmod(0o600)
    return demo
