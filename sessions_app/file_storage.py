"""The storage classes behind session files: local disk by default, S3-compatible with NAVI_STORAGE=s3.

Both name a file `<session_id>/<name>` relative to their root (the local folder NAVI_SESSION_FILES_DIR, or the
bucket prefix `session_files/`), and both give a taken name a counter: `report.pdf`, `report_1.pdf`, ...
Beyond Django's Storage API both offer `open_stream(name)`: a binary file object to `read(n)` and `close()`
that never holds the whole file (Django's S3 `open()` downloads the object whole before the first read).
"""

from __future__ import annotations

import os
import posixpath

from django.core.files.storage import FileSystemStorage

MAX_NAME_ATTEMPTS = 10_000


class StorageUnavailable(Exception):
    """The storage could not be reached or refused the operation (S3 down, credentials refused, ...)."""


class NumberedNames:
    """`name_1.ext`, `name_2.ext`, ... instead of Django's random suffix (people read these names)."""

    def get_available_name(self, name, max_length=None):
        folder, base = posixpath.split(str(name).replace("\\", "/"))
        root, ext = posixpath.splitext(base)
        candidate = name
        for counter in range(1, MAX_NAME_ATTEMPTS):
            if not self.exists(candidate):
                return candidate
            candidate = posixpath.join(folder, f"{root}_{counter}{ext}")
        raise FileExistsError(f"no free name for {base!r} after {MAX_NAME_ATTEMPTS} attempts")


class LocalSessionStorage(NumberedNames, FileSystemStorage):
    def _save(self, name, content):
        try:
            return super()._save(name, content)
        except FileExistsError:
            raise
        except OSError:
            # A disk that fills mid-write leaves a partial file under the name just reserved, which Django's
            # storage leaves behind: it was created here (O_EXCL), so it goes.
            path = self.path(name)
            if os.path.isfile(path):
                os.remove(path)
            raise

    def open_stream(self, name):
        return open(self.path(name), "rb")  # noqa: SIM115 - the caller closes it when the download ends
