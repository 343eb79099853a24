#!/usr/bin/env bash
# Debian packages the tests drive for real: headless Chromium, the Dovecot IMAP server,
# nginx (the shipped site, deploy/nginx/, run in front of two web processes) and the tools
# the deployment tests run (tests/deploy/: pg_dump/pg_restore, gpg, openssl, logrotate,
# systemd-analyze).
set -eu
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium chromium-driver)
[ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
[ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v pg_dump >/dev/null 2>&1 || missing+=(postgresql-client)
command -v gpg >/dev/null 2>&1 || missing+=(gnupg)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ -x /usr/sbin/logrotate ] || missing+=(logrotate)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
# the test suite starts its own Dovecot on loopback; the packaged one is not needed
$SUDO systemctl disable --now dovecot >/dev/null 2>&1 || true
# the same for nginx: the tests start their own on loopback ports; the packaged one would
# hold port 80 (without systemd, stop the daemon the package's postinst started)
$SUDO systemctl disable --now nginx >/dev/null 2>&1 || true
if [ -f /run/nginx.pid ]; then $SUDO /usr/sbin/nginx -s quit >/dev/null 2>&1 || true; fi
