"""The test server's accounts: a user's stable subject id, display name, role and permissions."""
