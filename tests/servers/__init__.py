"""Real servers started by the tests on loopback (Dovecot IMAP, aiosmtpd SMTP)."""
