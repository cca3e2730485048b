#!/bin/sh
# The certbot service: every 12 hours, renew the certificates that expire within 30 days
# (certbot's own rule), through the same webroot nginx serves the challenge from. nginx
# and LiveKit pick renewed certificates up by themselves (nginx-reload.sh, and LiveKit's
# entrypoint).
set -eu

trap 'exit 0' TERM INT
while :; do
  certbot renew --quiet --webroot --webroot-path /var/www/acme \
    --config-dir /etc/letsencrypt --work-dir /tmp/certbot --logs-dir /etc/letsencrypt/logs ||
    echo "certbot: renewal failed; trying again in 12 hours" >&2
  sleep 43200 &
  wait $!
done
