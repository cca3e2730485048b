#!/bin/sh
# Runs from the nginx image's /docker-entrypoint.d before nginx starts: reloads nginx every
# six hours in the background, so certificates that certbot renewed are served without a
# restart (a reload keeps open connections).
set -eu

(
  while sleep 21600; do
    nginx -s reload
  done
) &
