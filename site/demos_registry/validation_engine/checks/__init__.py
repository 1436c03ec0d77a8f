"""The checks; each takes the shared Context and returns one CheckResult."""
