#!/bin/sh
# Writes .env for the compose stack, with fresh random secrets, for an invite-only server, and
# prints the one-time link that registers its first admin. Never overwrites a .env.
#
#   deploy/init.sh DOMAIN [EMAIL] [--scale]
#
#   DOMAIN   the public name, e.g. voice.example.org (its DNS A/AAAA records point here);
#            "localhost" sets up plain HTTP for trying the stack on this machine
#   EMAIL    for Let's Encrypt's expiry notices (optional)
#   --scale  several app workers on Redis and PostgreSQL, LiveKit on Redis
#
# Needs only a POSIX shell, /dev/urandom and sha256sum (or shasum or openssl): no Python, no
# venv. Run it where compose.yml is; it also creates the data/ folders the containers write to.
set -eu

cd "$(dirname "$0")/.."

usage() { sed -n '5,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

domain="" email="" scale=""
for arg in "$@"; do
  case "$arg" in
    --scale) scale=1 ;;
    -h|--help) usage ;;
    -*) echo "unknown option: $arg" >&2; usage ;;
    *@*) email="$arg" ;;
    *) [ -z "$domain" ] || usage; domain="$arg" ;;
  esac
done
[ -n "$domain" ] || usage
case "$domain" in
  *[!A-Za-z0-9.-]*|.*|*.|*..*) echo "not a domain name: $domain" >&2; exit 2 ;;
esac

if [ -e .env ] || [ -L .env ]; then
  echo "kept existing .env (delete it first to start over; its secrets protect your data)"
  if ! grep -q '^DOMAIN=' .env; then
    echo "note: it has no DOMAIN, so it is a development .env (./tokoloshe); move it away" >&2
  fi
  exit 0
fi

# 32 random bytes as 64 hex digits: well over the 32 characters APP_ENV=prod demands.
secret() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
short_id() { od -An -tx1 -N6 /dev/urandom | tr -d ' \n'; }
sha256_hex() {  # of stdin
  if command -v sha256sum >/dev/null 2>&1; then sha256sum | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 | cut -d' ' -f1
  else openssl dgst -sha256 -r | cut -d' ' -f1
  fi
}

# The first-admin link: 192 random bits; .env keeps only their SHA-256. It works once, for
# FIRST_ADMIN_HOURS, and only while the server has no admin.
FIRST_ADMIN_HOURS=48
first_admin_code="$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"
first_admin_hash="$(printf '%s' "$first_admin_code" | sha256_hex)"
first_admin_until=$(( $(date +%s) + FIRST_ADMIN_HOURS * 3600 ))
case "$first_admin_hash" in
  *[!0-9a-f]*|"") echo "could not hash the first-admin code (need sha256sum, shasum or openssl)" >&2
                  exit 1 ;;
esac

if [ "$domain" = localhost ]; then
  public_url="http://localhost" livekit_url="ws://localhost" nginx_config="nginx.conf"
  profiles=""
else
  public_url="https://$domain" livekit_url="wss://$domain" nginx_config="nginx.tls.conf"
  profiles="production"
fi
[ -z "$scale" ] || profiles="${profiles:+$profiles,}scale"

# The app, LiveKit and certbot run as this user; it owns what they write under data/.
if [ "$(id -u)" = 0 ]; then
  app_uid=10001 app_gid=10001
else
  app_uid="$(id -u)" app_gid="$(id -g)"
fi
mkdir -p data/app data/certs data/acme
if [ "$(id -u)" = 0 ]; then
  chown "$app_uid:$app_gid" data/app data/certs data/acme
fi

umask 077
tmp="$(mktemp .env.XXXXXX)"
trap 'rm -f "$tmp"' EXIT
{
  echo "# Written by deploy/init.sh on $(date -u +%Y-%m-%d). Keep it private; git ignores it."
  echo "DOMAIN=$domain"
  echo "ACME_EMAIL=$email"
  echo "PUBLIC_URL=$public_url"
  echo "NGINX_CONFIG=$nginx_config"
  echo "COMPOSE_PROFILES=$profiles"
  echo "APP_UID=$app_uid"
  echo "APP_GID=$app_gid"
  echo
  echo "APP_ENV=prod"
  echo "REFLEX_API_URL=$public_url"
  echo "ALLOWED_ORIGINS=$public_url"
  echo "TRUSTED_PROXY_HOPS=1"
  echo "REGISTRATION=invite"
  echo "FIRST_ADMIN_INVITE=$first_admin_hash"
  echo "FIRST_ADMIN_INVITE_UNTIL=$first_admin_until"
  echo "JWT_SECRET=$(secret)"
  echo "E2EE_SECRET=$(secret)"
  echo
  echo "LIVEKIT_URL=$livekit_url"
  echo "LIVEKIT_API_URL=http://127.0.0.1:7880"
  echo "LIVEKIT_API_KEY=API$(short_id)"
  echo "LIVEKIT_API_SECRET=$(secret)"
  if [ -n "$scale" ]; then
    redis_password="$(secret)"
    postgres_password="$(secret)"
    echo
    echo "REDIS_PASSWORD=$redis_password"
    echo "REFLEX_REDIS_URL=redis://:$redis_password@127.0.0.1:6379/0"
    echo "WEB_CONCURRENCY=4"
    echo "LIVEKIT_REDIS_ADDRESS=127.0.0.1:6379"
    echo "POSTGRES_PASSWORD=$postgres_password"
    echo "DATABASE_URL=postgresql+psycopg2://distokoloshe:$postgres_password@127.0.0.1:5432/distokoloshe"
  fi
} > "$tmp"
# A hard link fails if .env appeared meanwhile, so an existing file is never replaced.
if ln "$tmp" .env 2>/dev/null; then
  echo "wrote .env for $public_url"
  echo
  echo "Once the stack runs, open this link to create the admin account. It works once,"
  echo "for $FIRST_ADMIN_HOURS hours; keep it private. (A new one: see the README, \"First admin\".)"
  echo "  $public_url/register?invite=$first_admin_code"
elif [ -e .env ]; then
  echo "kept existing .env"
else
  echo "could not write .env" >&2
  exit 1
fi
