"""PBKDF2 at a low work factor: tests hash and check passwords and client secrets on every login."""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    algorithm = "pbkdf2_sha256_quick"
    iterations = 1000
