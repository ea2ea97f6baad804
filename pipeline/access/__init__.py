"""Access control: accounts with argon2 hashes, roles and store assignments, sign-in sessions
that expire, permission checks and the audit log (see ``docs/SECURITY.md``)."""
