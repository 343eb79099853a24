#!/usr/bin/env bash
# Debian packages the tests drive for real: headless Chromium and the Dovecot IMAP server.
set -eu
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium chromium-driver)
[ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
# the test suite starts its own Dovecot on loopback; the packaged one is not needed
$SUDO systemctl disable --now dovecot >/dev/null 2>&1 || true
