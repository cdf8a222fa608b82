"""Property-based tests (hypothesis) over the whole auth API."""
