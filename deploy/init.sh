#!/bin/sh
# Writes .env for the compose stack, with fresh random secrets. Never overwrites one.
#
#   deploy/init.sh DOMAIN [EMAIL] [--scale]
#
#   DOMAIN   the public name, e.g. voice.example.org (its DNS A/AAAA records point here);
#            "localhost" sets up plain HTTP for trying the stack on this machine
#   EMAIL    for Let's Encrypt's expiry notices (optional)
#   --scale  several app workers on Redis and PostgreSQL, LiveKit on Redis
#
# Needs only a POSIX shell and /dev/urandom (no Python, no venv). Run it where compose.yml
# is; it also creates the data/ folders the containers write to.
set -eu

cd "$(dirname "$0")/.."

usage() { sed -n '4,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

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
elif [ -e .env ]; then
  echo "kept existing .env"
else
  echo "could not write .env" >&2
  exit 1
fi
