#!/bin/sh
# Obtains the first Let's Encrypt certificate for DOMAIN (from .env) through the webroot
# challenge: nginx starts on port 80 with the plain-HTTP config, certbot answers the
# challenge through it, and nginx stops again. Renewals are the certbot service's job.
#
#   deploy/init-certs.sh [--dry-run]
#
#   --dry-run  ask Let's Encrypt's staging server and save nothing: checks DNS and port 80
set -eu

cd "$(dirname "$0")/.."

dry_run=""
case "${1:-}" in
  "") ;;
  --dry-run) dry_run="--dry-run" ;;
  *) sed -n '6,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

[ -f .env ] || { echo "no .env; run deploy/init.sh DOMAIN first" >&2; exit 1; }
env_value() { sed -n "s/^$1=//p" .env | tail -n 1; }
domain="$(env_value DOMAIN)"
email="$(env_value ACME_EMAIL)"
if [ -z "$domain" ] || [ "$domain" = localhost ]; then
  echo "no public DOMAIN in .env (localhost needs no certificate)" >&2
  exit 1
fi
if [ -z "$dry_run" ] && [ -f "data/certs/live/$domain/fullchain.pem" ]; then
  echo "data/certs already has a certificate for $domain; the certbot service renews it"
  exit 0
fi

if [ -n "$email" ]; then
  set -- --email "$email" --no-eff-email
else
  set -- --register-unsafely-without-email
fi
[ -z "$dry_run" ] || set -- "$@" --dry-run

mkdir -p data/certs data/acme
echo "starting nginx on port 80 for the challenge"
NGINX_CONFIG=nginx.conf docker compose up --detach --build web
trap 'NGINX_CONFIG=nginx.conf docker compose stop web >/dev/null' EXIT

docker compose run --rm --build --entrypoint certbot certbot certonly \
  --webroot --webroot-path /var/www/acme --domain "$domain" \
  --config-dir /etc/letsencrypt --work-dir /tmp/certbot --logs-dir /etc/letsencrypt/logs \
  --agree-tos --non-interactive --key-type ecdsa "$@"

if [ -n "$dry_run" ]; then
  echo "dry run passed: Let's Encrypt reached $domain over port 80"
else
  echo "certificate saved in data/certs/live/$domain; now run: docker compose up -d --build"
fi
