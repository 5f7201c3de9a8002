#!/bin/sh
# Alertmanager for the compose deployment: fills in the placeholders of the one
# Alertmanager config (ops/alertmanager/alertmanager.yml, mounted as the template) from
# the environment, then runs the command given (the alertmanager binary).
#
#   ALERTMANAGER_TEMPLATE  the template (default /etc/alertmanager/parley.yml.in)
#   ALERTMANAGER_CONFIG    where the filled-in config goes (default /tmp/alertmanager.yml)
#   SMTP_HOST, SMTP_PORT, SMTP_SENDER, SMTP_USERNAME, SMTP_PASSWORD, SMTP_STARTTLS
#   ALERT_PAGE_TO, ALERT_TICKET_TO  who gets pages and tickets
set -eu

: "${SMTP_HOST:?SMTP_HOST must be set}"
: "${ALERT_PAGE_TO:?ALERT_PAGE_TO must be set}"
template=${ALERTMANAGER_TEMPLATE:-/etc/alertmanager/parley.yml.in}
config=${ALERTMANAGER_CONFIG:-/tmp/alertmanager.yml}

# Values go into double-quoted YAML strings and a sed replacement: refuse characters
# that would change their meaning rather than write a config that means something else.
for value in "$SMTP_HOST" "${SMTP_PORT:-587}" "${SMTP_SENDER:-}" "${SMTP_USERNAME:-}" \
             "${SMTP_PASSWORD:-}" "$ALERT_PAGE_TO" "${ALERT_TICKET_TO:-}"; do
  case "$value" in
    *'"'* | *'\'* | *'|'* | *'&'*)
      echo "alertmanager: SMTP_* and ALERT_* must not contain \" \\ | or &" >&2
      exit 64
      ;;
  esac
done

sed -e "s|\${SMTP_SMARTHOST}|${SMTP_HOST}:${SMTP_PORT:-587}|g" \
    -e "s|\${SMTP_FROM}|${SMTP_SENDER:-alertmanager@localhost}|g" \
    -e "s|\${SMTP_USERNAME}|${SMTP_USERNAME:-}|g" \
    -e "s|\${SMTP_PASSWORD}|${SMTP_PASSWORD:-}|g" \
    -e "s|\${SMTP_REQUIRE_TLS}|${SMTP_STARTTLS:-true}|g" \
    -e "s|\${PAGE_TO}|${ALERT_PAGE_TO}|g" \
    -e "s|\${TICKET_TO}|${ALERT_TICKET_TO:-$ALERT_PAGE_TO}|g" \
    "$template" > "$config"

exec "$@"
