"""Console accounts: argon2 passwords, server-side sessions, CSRF, lock-out, roles."""
