"""Session files in an S3-compatible bucket (NAVI_STORAGE=s3). A module of its own so boto3 loads only when used."""

from __future__ import annotations

import functools

from boto3.exceptions import Boto3Error
from botocore.exceptions import BotoCoreError, ClientError
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from sessions_app.file_storage import NumberedNames, StorageUnavailable

_FAILURES = (BotoCoreError, Boto3Error, ClientError)


def _not_found(err: Exception) -> bool:
    return isinstance(err, ClientError) and err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404


def _unavailable_on_failure(method):
    """An unreachable endpoint (or one that refuses us) as StorageUnavailable, which the callers turn into 503."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except _FAILURES as err:
            if _not_found(err):
                raise FileNotFoundError(str(err)) from None
            raise StorageUnavailable(f"{type(err).__name__}: {err}") from err

    return wrapper


class S3SessionStorage(NumberedNames, S3Storage):
    @_unavailable_on_failure
    def open_stream(self, name):
        """The object's body as it arrives over HTTP (botocore's StreamingBody: `read(n)`, `close()`)."""
        return self.bucket.Object(self._normalize_name(clean_name(name))).get()["Body"]

    @_unavailable_on_failure
    def abort_unfinished_uploads(self, prefix: str) -> int:
        """Abort the multipart uploads under `prefix` that never completed; their parts take space, unseen.

        boto3 aborts a failed upload itself, but not when the endpoint went away: its parts stay until this runs
        (on session deletion and in the cleanup command).
        """
        client, key_prefix = self.connection.meta.client, self._normalize_name(clean_name(prefix)) + "/"
        aborted = 0
        for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket_name, Prefix=key_prefix):
            for upload in page.get("Uploads", ()):
                client.abort_multipart_upload(Bucket=self.bucket_name, Key=upload["Key"], UploadId=upload["UploadId"])
                aborted += 1
        return aborted

    # A failed upload leaves no object under its name (a multipart upload is only visible once completed).
    _save = _unavailable_on_failure(S3Storage._save)
    exists = _unavailable_on_failure(S3Storage.exists)
    size = _unavailable_on_failure(S3Storage.size)
    listdir = _unavailable_on_failure(S3Storage.listdir)
    delete = _unavailable_on_failure(S3Storage.delete)
