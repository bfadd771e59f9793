"""POST /sessions/{id}/files and GET /sessions/{id}/files/{filename}.

Plain Django views rather than DRF ones: the upload must choose its upload handler before anything reads the
body, and the download streams a file response. Both are async: the download reads each chunk on a file thread
(`files.in_file_thread`) as the client takes them; the upload parses and stores on the request's own thread.
"""

from __future__ import annotations

from uuid import UUID

from channels.db import database_sync_to_async
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.http import content_disposition_header
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse

from accounts_app.auth import user_required
from navi_project.errors import ApplicationError, json_view
from navi_project.openapi import ErrorSerializer, plain_operation
from sessions_app import files, presenters, schemas
from sessions_app.selectors import session_get_for_user, session_id_parse
from sessions_app.services.sessions import session_touch

# Room for the multipart framing around the file when judging a request by its Content-Length.
MULTIPART_OVERHEAD = 64 * 1024


class UploadTooLarge(ApplicationError):
    def __init__(self, limit: int):
        super().__init__(f"The file exceeds the {limit // (1024 * 1024)} MB upload limit", 413)


class CappedUploadHandler(FileUploadHandler):
    """Streams the `file` field to a temporary file on disk, and stops past the limit (the partial file goes)."""

    def __init__(self, request, limit: int):
        super().__init__(request)
        self.limit = limit
        self.file: TemporaryUploadedFile | None = None

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        if field_name != "file":
            return  # other handlers (none) would get it; the view reports the missing `file` field
        name = files.safe_name(file_name)
        files.check_extension(name)  # refuse before a byte is written
        # The safe name, not the raw one: the temporary file's suffix is the name's extension, which may be long.
        self.file = TemporaryUploadedFile(name, self.content_type, 0, self.charset, self.content_type_extra)
        raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data, start):
        if self.file is None:
            return raw_data
        if start + len(raw_data) > self.limit:
            self.abort()
            raise UploadTooLarge(self.limit)
        self.file.write(raw_data)
        return None

    def file_complete(self, file_size):
        if self.file is None:
            return None
        self.file.seek(0)
        self.file.size = file_size
        return self.file

    def abort(self) -> None:
        if self.file is not None:
            self.file.close()  # a NamedTemporaryFile: closing removes it
            self.file = None

    def upload_interrupted(self):
        self.abort()


def _declared_length(request) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def _owned_session_id(request, session_id: str) -> UUID:
    """The path's session id, once it is surely the caller's (401 unsigned, 404 malformed, missing or not theirs)."""
    user = user_required(request)
    return session_get_for_user(user=user, session_id=session_id_parse(session_id)).id


def _receive_and_store(request, session_id: UUID) -> files.StoredFile:
    """Parse the multipart body (the file goes to a temporary file as it is read) and store the file."""
    limit = files.max_upload_bytes()
    length = _declared_length(request)
    if length is not None and length > limit + MULTIPART_OVERHEAD:
        raise UploadTooLarge(limit)
    if not request.content_type.startswith("multipart/form-data"):
        raise ApplicationError("Send the file as multipart/form-data in the field `file`")
    handler = CappedUploadHandler(request, limit)
    request.upload_handlers = [handler]
    try:
        upload = request.FILES.get("file")
    except MultiPartParserError as exc:
        handler.abort()
        raise ApplicationError(f"The multipart body could not be read: {exc}") from None
    except ApplicationError:
        handler.abort()
        raise
    if upload is None:
        raise ApplicationError("Send the file in the multipart field `file`")
    try:
        return files.session_file_save(
            session_id=session_id, name=upload.name, content=upload, content_type=upload.content_type
        )
    finally:
        upload.close()


async def _upload(request, session_id: str) -> dict:
    # Thread-sensitive calls here run on this request's own thread: Django's ASGI handler gives each request a
    # ThreadSensitiveContext. Parsing and storing a 200 MB file (seconds, on S3) stays off the process-wide
    # thread the WebSocket consumers and the runner share, and out of the file threads' queue of short reads.
    owned = await database_sync_to_async(_owned_session_id)(request, session_id)
    stored = await database_sync_to_async(_receive_and_store)(request, owned)
    await database_sync_to_async(session_touch)(session_id=owned)  # a file just sent is part of current work: not idle
    return presenters.stored_file(stored)


@plain_operation(
    "post",
    operation_id="sessions_files_upload",
    summary="Upload a file to the session's folder (streamed to storage, never held in memory whole)",
    request={"multipart/form-data": schemas.UploadSerializer},
    responses={
        201: schemas.StoredFileSerializer,
        400: OpenApiResponse(ErrorSerializer, description="A blocked file type, or no `file` field"),
        413: OpenApiResponse(ErrorSerializer, description="Past NAVI_MAX_UPLOAD_MB"),
    },
)
@csrf_exempt
@json_view("POST", wrong_method="Use POST with a multipart body")
async def session_files_upload(request, session_id: str):
    return JsonResponse(await _upload(request, session_id), status=201)


@plain_operation(
    "get",
    operation_id="sessions_files_download",
    summary="A file of the session: images, PDFs and plain text inline, anything else as an attachment",
    responses={
        (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The file"),
        403: OpenApiResponse(ErrorSerializer, description="The name escapes the session's folder"),
    },
)
@json_view("GET", "HEAD", wrong_method="Use GET")
async def session_file_download(request, session_id: str, filename: str):
    owned = await database_sync_to_async(_owned_session_id)(request, session_id)
    opened = await files.in_file_thread(files.session_file_open, session_id=owned, filename=filename)
    content_type = files.content_type_for(opened.name)
    if request.method == "HEAD":
        await files.in_file_thread(opened.handle.close)
        response = HttpResponse(content_type=content_type)
    else:
        # An async iterator: Django's ASGI handler sends each chunk as it is read. (A FileResponse's sync iterator
        # would be read whole into memory first, `sync_to_async(list)`, before the first byte went out.)
        response = StreamingHttpResponse(files.file_chunks(opened.handle), content_type=content_type)
        # Closed with the response too (as FileResponse does), should its body never be read: a client that
        # went away before the first chunk.
        response._resource_closers.append(opened.handle.close)
    response["Content-Length"] = str(opened.size)
    response["Content-Disposition"] = content_disposition_header(not files.shown_inline(content_type), opened.name)
    response["X-Content-Type-Options"] = "nosniff"
    # Even a file opened inline runs no script and loads nothing else.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    return response
