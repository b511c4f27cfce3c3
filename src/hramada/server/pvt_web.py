"""The parallel vote tabulation's pages and API: the public report, the voters' form, the
moderators' review. No request's address, agent or time is stored with what it sends."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import anyio.to_thread
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import FormParser, MultiPartParser
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from hramada.booth.i18n import translate
from hramada.observe.pvt.chart import flagged_chart
from hramada.observe.pvt.photo import MAX_BYTES
from hramada.observe.pvt.tally import flagged_csv
from hramada.server import accounts
from hramada.server.api import start_session
from hramada.server.limits import penalized, read_body
from hramada.server.problems import Problem
from hramada.server.pvt_store import PvtStore
from hramada.server.web import language, page

SESSION_COOKIE = "hramada_pvt_session"
FORM_BYTES = MAX_BYTES + 64 * 1024  # the photo and a few short fields
UPLOADS = 32  # submissions being received at once; beyond, 503


class InMemoryParser(MultiPartParser):
    """Starlette's form parser, keeping an upload in memory: a photo as sent still carries
    its GPS position, and a temporary file would leave it on the disk. The body is read
    whole first (by `read_body`, within FORM_BYTES), so a 413 reaches the browser."""

    spool_max_size = FORM_BYTES


def _store(request: Request) -> PvtStore:
    return request.app.state.store


async def report_page(request: Request) -> Response:
    store = _store(request)
    data = await run_in_threadpool(store.report)
    lang = language(request)
    chart = flagged_chart(
        data, translate(lang, "pvt.report.verified"), translate(lang, "pvt.report.official")
    )
    chain = await run_in_threadpool(store.publications)
    return page(
        request,
        "pvt_report.html",
        report=data,
        chart=Markup(chart),  # built from escaped values only
        head=chain[-1].hash if chain else None,
        public_key=store.election,
    )


async def report_json(request: Request) -> Response:
    return JSONResponse(await run_in_threadpool(_store(request).report))


async def report_csv(request: Request) -> Response:
    data = await run_in_threadpool(_store(request).report)
    return Response(flagged_csv(data), media_type="text/csv; charset=utf-8")


async def publications_json(request: Request) -> Response:
    store = _store(request)
    chain = await run_in_threadpool(store.publications)
    return JSONResponse({"public_key": store.election, "publications": [p.__dict__ for p in chain]})


async def _read_submission(request: Request) -> tuple[str, str, str, bytes | None]:
    try:
        body = await read_body(request, FORM_BYTES)
    except Problem as p:
        if p.status != 413:
            raise
        raise Problem(413, "photo", f"the photo is larger than {MAX_BYTES >> 20} MB") from None

    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    try:
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            parser = InMemoryParser(
                request.headers, stream(), max_files=1, max_fields=4, max_part_size=4096
            )
            form = await parser.parse()
        else:
            form = await FormParser(request.headers, stream()).parse()
    except Exception as e:  # Starlette's parser reports malformed forms as several types
        raise Problem(400, "form", f"not a valid form: {e}") from None
    fields = []
    for name in ("code", "station", "candidate"):
        value = form.get(name)
        if not isinstance(value, str) or not value.strip():
            raise Problem(400, "form", f"the field {name} is missing")
        fields.append(value.strip())
    upload = form.get("photo")
    photo = await upload.read() if isinstance(upload, UploadFile) else None
    await form.close()
    return fields[0], fields[1], fields[2], photo or None


async def _submit(request: Request) -> int:
    """Read and store one submission. At most UPLOADS are read at once (each holds up to
    9 MB in memory), and photos are cleaned a core's worth at a time (a large one takes
    over 100 MB while it is decoded)."""
    state = request.app.state
    if state.uploads >= UPLOADS:
        raise Problem(503, "busy", "too many submissions are arriving: try again in a minute")
    state.uploads += 1
    try:
        code, station, candidate, photo = await _read_submission(request)
        store = _store(request)
        return await anyio.to_thread.run_sync(
            store.submit, code, station, candidate, photo, limiter=state.cleaners
        )
    finally:
        state.uploads -= 1


@penalized("submit")
async def submit_api(request: Request) -> Response:
    return JSONResponse({"submission": await _submit(request)}, status_code=201)


async def submit_page(request: Request) -> Response:
    candidates = await run_in_threadpool(_store(request).candidates)
    if request.method == "GET":
        return page(request, "pvt_submit.html", candidates=candidates, done=False, error=None)
    try:
        await penalized("submit")(_submit_ok)(request)
    except Problem as p:
        error = {"check": p.check, "message": p.message}
        return page(
            request, "pvt_submit.html", p.status, candidates=candidates, done=False, error=error
        )
    return page(request, "pvt_submit.html", candidates=candidates, done=True, error=None)


async def _submit_ok(request: Request) -> Response:
    await _submit(request)
    return Response(status_code=204)


async def _moderator(request: Request) -> tuple[int, str] | None:
    engine, token = request.app.state.engine, request.cookies.get(SESSION_COOKIE)
    return await run_in_threadpool(accounts.session_user, engine, token)


async def _need_moderator(request: Request) -> int:
    user = await _moderator(request)
    if user is None:
        raise Problem(401, "login", "log in as a moderator first")
    return user[0]


async def moderate_page(request: Request) -> Response:
    user = await _moderator(request)
    pending = [] if user is None else await run_in_threadpool(_store(request).pending, user[0])
    return page(request, "pvt_moderate.html", user=user and user[1], pending=pending)


@penalized("login")
async def moderator_login(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=3, max_part_size=1024)
    response = RedirectResponse("/moderate", status_code=303)
    username, password = form.get("username"), form.get("password")
    return await start_session(request, username, password, response, SESSION_COOKIE)


async def moderator_logout(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    await run_in_threadpool(accounts.logout, request.app.state.engine, token)
    response = RedirectResponse("/moderate", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


async def photo(request: Request) -> Response:
    await _need_moderator(request)
    data = await run_in_threadpool(_store(request).photo, int(request.path_params["id"]))
    if data is None:
        raise Problem(404, "photo", "no such photo")
    return Response(data, media_type="image/jpeg", headers={"cache-control": "no-store"})


async def review(request: Request) -> Response:
    moderator = await _need_moderator(request)
    form = await request.form(max_files=0, max_fields=2, max_part_size=64)
    verdict = form.get("verdict")
    if verdict not in ("confirm", "reject"):
        raise Problem(400, "review", "the verdict is confirm or reject")
    submission = int(request.path_params["id"])
    await run_in_threadpool(_store(request).review, submission, moderator, verdict == "confirm")
    return RedirectResponse("/moderate", status_code=303)


async def publish(request: Request) -> Response:
    await _need_moderator(request)
    await run_in_threadpool(_store(request).publish)
    return RedirectResponse("/", status_code=303)


async def delete_photos(request: Request) -> Response:
    await _need_moderator(request)
    await run_in_threadpool(_store(request).delete_verified_photos)
    return RedirectResponse("/moderate", status_code=303)


routes = [
    Route("/", report_page),
    Route("/report.json", report_json),
    Route("/report.csv", report_csv),
    Route("/publications.json", publications_json),
    Route("/submit", submit_page, methods=["GET", "POST"]),
    Route("/api/pvt/submissions", submit_api, methods=["POST"]),
    Route("/moderate", moderate_page),
    Route("/moderate/login", moderator_login, methods=["POST"]),
    Route("/moderate/logout", moderator_logout, methods=["POST"]),
    Route("/moderate/photos/{id:int}.jpg", photo),
    Route("/moderate/{id:int}/review", review, methods=["POST"]),
    Route("/moderate/publish", publish, methods=["POST"]),
    Route("/moderate/delete-photos", delete_photos, methods=["POST"]),
]
