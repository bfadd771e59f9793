"""Every state change of sessions, messages and runs. Synchronous; async callers wrap them."""
