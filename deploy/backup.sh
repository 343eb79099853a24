#!/usr/bin/env bash
# Nightly backup of the Tổng đài 1022 hub (run by tongdai1022-backup.timer, or by hand):
#   1. the database: `python -m bot backup` (pg_dump -Fc for PostgreSQL, SQLite's
#      online backup for a small site), checked before it is kept;
#   2. the attachments and call recordings (HUB_MEDIA_DIR) as a tar.gz;
#   3. both encrypted with `gpg --symmetric` (AES256, the passphrase from a file that only
#      root and the hub's user can read), then older backups than BACKUP_KEEP_DAYS removed.
# Restore: docs/deploy.md, "Backups and restore".
#
# Settings (environment): HUB_DIR (/opt/tongdai1022), HUB_SETTINGS_FILE
# (/etc/tongdai1022/hub.env: HUB_DATABASE_URL, HUB_MEDIA_DIR), BACKUP_DIR
# (/var/backups/tongdai1022), BACKUP_KEEP_DAYS (14), BACKUP_PASSPHRASE_FILE
# (/etc/tongdai1022/backup.pass; BACKUP_PASSPHRASE_FILE=none keeps the files unencrypted,
# for a target that encrypts itself).
set -euo pipefail

HUB_DIR=${HUB_DIR:-/opt/tongdai1022}
export HUB_SETTINGS_FILE=${HUB_SETTINGS_FILE:-/etc/tongdai1022/hub.env}
BACKUP_DIR=${BACKUP_DIR:-/var/backups/tongdai1022}
BACKUP_KEEP_DAYS=${BACKUP_KEEP_DAYS:-14}
BACKUP_PASSPHRASE_FILE=${BACKUP_PASSPHRASE_FILE:-/etc/tongdai1022/backup.pass}
PYTHON=${PYTHON:-$HUB_DIR/.venv/bin/python}

setting() {  # the environment's value, else the settings file's, else $2
    local value=${!1:-}
    if [ -z "$value" ] && [ -f "$HUB_SETTINGS_FILE" ]; then
        value=$(sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$HUB_SETTINGS_FILE" | tail -n 1)
    fi
    echo "${value:-$2}"
}

media=$(setting HUB_MEDIA_DIR /var/lib/tongdai1022/media)
stamp=$(date -u +%Y%m%dT%H%M%SZ)
umask 077
mkdir -p "$BACKUP_DIR"
work=$(mktemp -d "$BACKUP_DIR/.work.XXXXXX")
# symmetric encryption needs no keyring: a throw-away gpg home, short enough for the
# agent's socket path; the agent it starts is stopped on exit
export GNUPGHOME
GNUPGHOME=$(mktemp -d)
trap 'gpgconf --kill gpg-agent >/dev/null 2>&1 || true; rm -rf "$work" "$GNUPGHOME"' EXIT

(cd "$HUB_DIR" && "$PYTHON" -m bot backup --out "$work/hub-$stamp.db")
if [ -d "$media" ]; then
    tar -C "$(dirname "$media")" -czf "$work/media-$stamp.tar.gz" "$(basename "$media")"
fi

for file in "$work"/hub-* "$work"/media-*; do
    [ -e "$file" ] || continue
    name=$(basename "$file")
    if [ "$BACKUP_PASSPHRASE_FILE" = none ]; then
        mv "$file" "$BACKUP_DIR/$name"
    else
        gpg --batch --yes --quiet --pinentry-mode loopback --passphrase-file "$BACKUP_PASSPHRASE_FILE" \
            --symmetric --cipher-algo AES256 --output "$BACKUP_DIR/$name.gpg" "$file"
    fi
    echo "backup: $BACKUP_DIR/$name$([ "$BACKUP_PASSPHRASE_FILE" = none ] || echo .gpg)"
done

find "$BACKUP_DIR" -maxdepth 1 -type f \( -name 'hub-*' -o -name 'media-*' \) \
    -mtime +"$BACKUP_KEEP_DAYS" -print -delete
