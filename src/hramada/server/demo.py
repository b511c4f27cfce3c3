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
from hramada.election.trustees import key_id, make_trustee_key
from hramada.protocol.archive import read_archive
from hramada.protocol.canonical import FormatError, encode
from hramada.protocol.secret_files import private_folder, write_secret
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
    closes_at = (now + timedelta(days=7)).isoformat()
    uuid = elections.create(
        admin,
        {
            "name": DEMO_TEMPLATE.name,
            "description": DEMO_TEMPLATE.description,
            "group": "Ed25519",
            "questions": [_question(q) for q in DEMO_TEMPLATE.questions],
            "opens_at": (now - timedelta(minutes=1)).isoformat(),
            "closes_at": closes_at,
        },
    )
    group = get_group("Ed25519")
    voters = [Voter(f"voter{i}@demo.invalid") for i in range(1, VOTERS + 1)]
    batch = generate_credentials(group, uuid, voters)
    elections.set_credentials(admin, uuid, batch.public)
    homes = []
    for n in range(1, TRUSTEES + 1):
        # Each trustee's folder holds the key where the trustee page's commands look for it.
        home = settings.data_dir / "demo" / f"trustee{n}"
        keys = home / f"hramada-trustee-{uuid[:8]}"
        private_folder(keys)
        x, public = make_trustee_key(group, f"Trustee {n}")
        link = elections.add_trustee(admin, uuid, f"Trustee {n}")["link"]
        elections.submit_key(link.rsplit("/", 1)[1], encode(public))
        pub = encode(public)
        write_secret(keys / f"{key_id(pub)}.privkey", json.dumps(str(x)))
        (keys / f"{key_id(pub)}.pubkey").write_bytes(pub)
        write_secret(home / "link.txt", link + "\n")
        homes.append({"folder": str(home), "link": link})
    await elections.open(admin, uuid)
    elections.close_all()
    elections.checker.close()
    engine.dispose()
    return {
        "uuid": uuid,
        "admin_password": password,
        "credentials": list(batch.private.values()),
        "trustees": homes,
        "closes_at": closes_at,
    }


def prepare_demo(settings: Settings) -> dict[str, Any]:
    """Set the demo up once per data folder; later starts reuse it."""
    record = settings.data_dir / "demo" / "demo.json"
    if record.exists():
        return json.loads(record.read_text())
    settings.prepare_data_dir()
    demo = asyncio.run(_make(settings))
    write_secret(record, json.dumps(demo, indent=1))
    return demo


# What the archive's last event says of the election, in the words of the public pages.
_STATE_AFTER = {
    "Setup": "open",
    "Ballot": "open",
    "EndBallots": "closed",
    "EncryptedTally": "tallied",
    "PartialDecryption": "tallied",
    "Result": "published",
}


def demo_state(settings: Settings, demo: dict[str, Any]) -> str:
    """open, closed (voting window over or closed), tallied, published, or unreadable."""
    try:
        archive = read_archive(settings.archives / f"{demo['uuid']}.bel")
    except (FormatError, OSError):
        return "unreadable"
    state = _STATE_AFTER.get(archive.events[-1][1].type, "unreadable")
    closes = demo.get("closes_at")
    if state == "open" and closes and datetime.fromisoformat(closes) <= datetime.now(UTC):
        return "closed"
    return state
