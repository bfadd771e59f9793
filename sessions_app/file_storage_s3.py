"""Session files in an S3-compatible bucket (NAVI_STORAGE=s3). A module of its own so boto3 loads only when used."""

from __future__ import annotations

from storages.backends.s3 import S3Storage

from sessions_app.file_storage import NumberedNames


class S3SessionStorage(NumberedNames, S3Storage):
    pass
