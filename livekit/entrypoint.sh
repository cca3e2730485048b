#!/bin/sh
# Starts the LiveKit server with a config built from the environment.
#
# Dev mode (no certificate for LIVEKIT_DOMAIN): loopback only, no external IP, no TURN.
# Prod mode (certificate present): external IP discovery and TURN over TLS on 5349.
# Keys come from the same .env as the app; webhooks go to the app's backend.
set -eu

: "${LIVEKIT_API_KEY:?LIVEKIT_API_KEY is not set}"
: "${LIVEKIT_API_SECRET:?LIVEKIT_API_SECRET is not set}"
PORT="${LIVEKIT_PORT:-7880}"
RTC_TCP_PORT="${LIVEKIT_RTC_TCP_PORT:-7881}"
UDP_START="${LIVEKIT_UDP_PORT_START:-50000}"
UDP_END="${LIVEKIT_UDP_PORT_END:-50200}"
WEBHOOK_URL="${LIVEKIT_WEBHOOK_URL:-http://127.0.0.1:8000/api/livekit/webhook}"
CERT_DIR="${LIVEKIT_CERT_DIR:-/etc/letsencrypt}"
DOMAIN="${LIVEKIT_DOMAIN:-}"
CONFIG="${LIVEKIT_RUNTIME_CONFIG:-${TMPDIR:-/tmp}/livekit.$$.yaml}"

cert="$CERT_DIR/live/$DOMAIN/fullchain.pem"
key="$CERT_DIR/live/$DOMAIN/privkey.pem"
if [ -n "$DOMAIN" ] && [ -f "$cert" ] && [ -f "$key" ]; then
  mode=prod
else
  mode=dev
fi

umask 077  # the config holds the API secret
{
  cat "$(dirname "$0")/livekit.yaml"
  echo "port: $PORT"
  echo "keys:"
  echo "  $LIVEKIT_API_KEY: $LIVEKIT_API_SECRET"
  echo "webhook:"
  echo "  api_key: $LIVEKIT_API_KEY"
  echo "  urls:"
  echo "    - $WEBHOOK_URL"
  echo "rtc:"
  echo "  tcp_port: $RTC_TCP_PORT"
  echo "  port_range_start: $UDP_START"
  echo "  port_range_end: $UDP_END"
  if [ "$mode" = prod ]; then
    echo "  use_external_ip: true"
    echo "turn:"
    echo "  enabled: true"
    echo "  domain: $DOMAIN"
    echo "  tls_port: 5349"
    echo "  udp_port: 3478"
    echo "  cert_file: $cert"
    echo "  key_file: $key"
  else
    echo "  use_external_ip: false"
    echo "  node_ip: 127.0.0.1"
    echo "bind_addresses:"
    echo "  - 127.0.0.1"
  fi
} > "$CONFIG"

echo "livekit: $mode mode on port $PORT" >&2
exec "${LIVEKIT_BIN:-livekit-server}" --config "$CONFIG"
