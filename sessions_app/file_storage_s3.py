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

    # A multipart upload that fails is aborted by boto3's transfer manager: no object appears under the name.
    _save = _unavailable_on_failure(S3Storage._save)
    exists = _unavailable_on_failure(S3Storage.exists)
    size = _unavailable_on_failure(S3Storage.size)
    listdir = _unavailable_on_failure(S3Storage.listdir)
    delete = _unavailable_on_failure(S3Storage.delete)
