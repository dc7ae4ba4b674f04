"""Upload a day's treatments as CSV: valid rows registered, each bad row reported."""

from __future__ import annotations

import io

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from scheduler.followups.csv_import import KNOWN, REQUIRED, CsvFormatError, ImportReport, import_csv
from scheduler.staff import audit
from scheduler.web.csrf import CsrfForm
from scheduler.web.deps import ClockDep, EngineDep, SessionDep, SettingsDep
from scheduler.web.i18n import N_, request_translations
from scheduler.web.pages.access import Registrar
from scheduler.web.pages.rendering import render
from scheduler.web.pages.rule_texts import rule_text

router = APIRouter(include_in_schema=False)

MAX_BYTES = 2 * 1024 * 1024  # a day's treatments are a few kilobytes


def _page(
    request: Request,
    *,
    report: ImportReport | None = None,
    error: str | None = None,
    filename: str = "",
    status_code: int = 200,
) -> Response:
    rows: list[tuple[int, str | None, int | None]] = []
    if report is not None:
        rows += [(line, None, treatment_id) for line, treatment_id in report.registered]
        gettext = request_translations(request).gettext
        rows += [(line, rule_text(reason, gettext), None) for line, reason in report.errors]
    return render(
        request,
        "import.html",
        status_code=status_code,
        report=report,
        rows=sorted(rows, key=lambda row: row[0]),
        error=error,
        filename=filename,
        required=sorted(REQUIRED),
        optional=sorted(KNOWN - REQUIRED),
    )


@router.get("/import", response_class=HTMLResponse)
def import_page(request: Request, staff: Registrar) -> Response:
    return _page(request)


@router.post("/import", response_class=HTMLResponse)
async def import_upload(
    request: Request,
    staff: Registrar,
    form: CsrfForm,
    engine: EngineDep,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> Response:
    gettext = request_translations(request).gettext
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _page(request, error=gettext(N_("Choose a CSV file to upload.")), status_code=400)
    filename = upload.filename
    raw = await upload.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        return _page(
            request,
            error=gettext(N_("The file is larger than 2 MB.")),
            filename=filename,
            status_code=400,
        )
    try:
        # Decoded whole first: a bad byte late in the file must not leave half of it imported.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = gettext(
            N_("The file is not UTF-8 text (byte %(byte)s). Save it as “CSV UTF-8”.")
        ) % {"byte": exc.start}
        return _page(request, error=message, filename=filename, status_code=400)
    now = clock()
    try:
        report = await run_in_threadpool(
            import_csv, io.StringIO(text, newline=""), engine, settings=settings, now=now
        )
    except CsvFormatError as exc:
        said = rule_text(str(exc), gettext)
        message = said[0].upper() + said[1:] + "."
        return _page(request, error=message, filename=filename, status_code=400)
    ids = ",".join(str(treatment_id) for _, treatment_id in report.registered)
    audit.record(
        db,
        actor=staff.email,
        action="import",
        detail=(
            f"{len(report.registered)} registered, {len(report.errors)} rejected"
            + (f"; treatments {ids}" if ids else "")
        ),
        now=now,
    )
    db.commit()
    return _page(request, report=report, filename=filename)
