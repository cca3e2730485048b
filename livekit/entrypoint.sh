#!/bin/sh
# Starts the LiveKit server with a config built from the environment.
#
# Dev mode (no certificate for LIVEKIT_DOMAIN): loopback only, no external IP, no TURN.
# Prod mode (certificate present): external IP discovery, TURN over UDP 3478 and TLS 5349
# that never relays to loopback, private or other internal ranges; restarts itself when
# certbot renews the certificate, since TURN reads it only at start.
# Both: signalling (LIVEKIT_PORT) listens on LIVEKIT_BIND_ADDRESS only (loopback by
# default; nginx proxies /rtc to it). With LIVEKIT_REDIS_ADDRESS, nodes share Redis.
# Keys come from the same .env as the app; webhooks go to the app's backend.
set -eu

: "${LIVEKIT_API_KEY:?LIVEKIT_API_KEY is not set}"
: "${LIVEKIT_API_SECRET:?LIVEKIT_API_SECRET is not set}"
PORT="${LIVEKIT_PORT:-7880}"
BIND_ADDRESS="${LIVEKIT_BIND_ADDRESS:-127.0.0.1}"
RTC_TCP_PORT="${LIVEKIT_RTC_TCP_PORT:-7881}"
UDP_START="${LIVEKIT_UDP_PORT_START:-50000}"
UDP_END="${LIVEKIT_UDP_PORT_END:-50200}"
TURN_UDP_PORT="${LIVEKIT_TURN_UDP_PORT:-3478}"
TURN_TLS_PORT="${LIVEKIT_TURN_TLS_PORT:-5349}"
WEBHOOK_URL="${LIVEKIT_WEBHOOK_URL:-http://127.0.0.1:8000/api/livekit/webhook}"
CERT_DIR="${LIVEKIT_CERT_DIR:-/etc/letsencrypt}"
DOMAIN="${LIVEKIT_DOMAIN:-}"
REDIS_ADDRESS="${LIVEKIT_REDIS_ADDRESS:-}"
CONFIG="${LIVEKIT_RUNTIME_CONFIG:-${TMPDIR:-/tmp}/livekit.$$.yaml}"
# How often prod mode looks for a renewed certificate, in seconds.
CERT_CHECK_SECONDS="${LIVEKIT_CERT_CHECK_SECONDS:-3600}"

# Where TURN must never relay to, whatever a client asks: loopback, RFC 1918 and other
# private or internal ranges (carrier NAT, link-local with cloud metadata, benchmarking,
# reserved, multicast), in IPv4 and IPv6, and IPv6 prefixes that lead to IPv4 (NAT64,
# 6to4). LiveKit denies most of these by default; listing them keeps that true even if
# an allow list is ever added. Not ::ffff:0:0/96: Go matches it against every IPv4
# address (IPv4-mapped addresses are checked as IPv4 anyway).
TURN_DENIED_CIDRS="0.0.0.0/8 10.0.0.0/8 100.64.0.0/10 127.0.0.0/8 169.254.0.0/16
172.16.0.0/12 192.0.0.0/24 192.0.2.0/24 192.168.0.0/16 198.18.0.0/15 198.51.100.0/24
203.0.113.0/24 224.0.0.0/4 240.0.0.0/4 ::/128 ::1/128 64:ff9b::/96
64:ff9b:1::/48 100::/64 2001:db8::/32 2002::/16 fc00::/7 fe80::/10 ff00::/8"

cert="$CERT_DIR/live/$DOMAIN/fullchain.pem"
key="$CERT_DIR/live/$DOMAIN/privkey.pem"
if [ -n "$DOMAIN" ] && [ -f "$cert" ] && [ -f "$key" ]; then
  mode=prod
else
  mode=dev
  if [ -n "$DOMAIN" ]; then
    echo "livekit: no readable certificate at $cert; starting in dev mode" >&2
  fi
fi

umask 077  # the config holds the API secret
{
  cat "$(dirname "$0")/livekit.yaml"
  echo "port: $PORT"
  echo "bind_addresses:"
  echo "  - $BIND_ADDRESS"
  echo "keys:"
  echo "  $LIVEKIT_API_KEY: $LIVEKIT_API_SECRET"
  echo "webhook:"
  echo "  api_key: $LIVEKIT_API_KEY"
  echo "  urls:"
  echo "    - $WEBHOOK_URL"
  if [ -n "$REDIS_ADDRESS" ]; then
    echo "redis:"
    echo "  address: $REDIS_ADDRESS"
    if [ -n "${LIVEKIT_REDIS_PASSWORD:-}" ]; then
      echo "  password: $LIVEKIT_REDIS_PASSWORD"
    fi
  fi
  echo "rtc:"
  if [ "$mode" = prod ]; then
    echo "  tcp_port: $RTC_TCP_PORT"
  else
    # LiveKit's ICE/TCP listener binds every interface whatever else is set, and the dev
    # server must be reachable on loopback only; browsers there use UDP anyway.
    echo "  tcp_port: 0"
  fi
  echo "  port_range_start: $UDP_START"
  echo "  port_range_end: $UDP_END"
  if [ "$mode" = prod ]; then
    if [ -n "${LIVEKIT_NODE_IP:-}" ]; then
      echo "  use_external_ip: false"
      echo "  node_ip: $LIVEKIT_NODE_IP"
    else
      echo "  use_external_ip: true"
    fi
    echo "turn:"
    echo "  enabled: true"
    echo "  domain: $DOMAIN"
    echo "  tls_port: $TURN_TLS_PORT"
    echo "  udp_port: $TURN_UDP_PORT"
    echo "  cert_file: $cert"
    echo "  key_file: $key"
    echo "  relay_range_start: ${LIVEKIT_TURN_RELAY_START:-30000}"
    echo "  relay_range_end: ${LIVEKIT_TURN_RELAY_END:-30999}"
    echo "  deny_peer_cidrs:"
    for cidr in $TURN_DENIED_CIDRS; do
      echo "    - $cidr"
    done
  else
    echo "  use_external_ip: false"
    echo "  node_ip: ${LIVEKIT_NODE_IP:-127.0.0.1}"
  fi
} > "$CONFIG"

echo "livekit: $mode mode on port $PORT" >&2
BIN="${LIVEKIT_BIN:-livekit-server}"
if [ "$mode" = dev ]; then
  # The server also reads LIVEKIT_RTC_TCP_PORT itself, which would turn the listener back on.
  exec env -u LIVEKIT_RTC_TCP_PORT "$BIN" --config "$CONFIG"
fi

# Prod: run the server as a child, pass on stop signals, and restart (exit, so that
# Docker starts us again) when certbot has replaced the certificate.
"$BIN" --config "$CONFIG" &
server=$!
issued="$(cksum < "$cert")"
(
  while kill -0 "$server" 2>/dev/null &&
        sleep "$CERT_CHECK_SECONDS" >/dev/null 2>&1; do  # the sleep holds no pipe of ours
    if [ "$(cksum < "$cert")" != "$issued" ]; then
      echo "livekit: certificate renewed; restarting to load it" >&2
      kill -TERM "$server"     # drains rooms; clients reconnect by themselves
      sleep 30 >/dev/null 2>&1
      kill -TERM "$server" 2>/dev/null || true  # a second signal stops at once
      exit 0
    fi
  done
) &
watcher=$!
# Set only now, so the watcher does not inherit it.
trap 'kill -TERM "$server" 2>/dev/null || true' TERM INT
status=0
wait "$server" || status=$?
while kill -0 "$server" 2>/dev/null; do
  status=0
  wait "$server" || status=$?
done
kill "$watcher" 2>/dev/null || true
exit "$status"
