"""Issue 10's reliability suite: the CI subset of each long run in bench/ (model-based
testing, crash safety, concurrency, hostile input, tamper evidence, backup and restore)."""
