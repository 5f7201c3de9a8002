#!/bin/sh
# SeaweedFS for the compose deployment: master, volume server, filer and the S3
# gateway in one process, the same shape the local stack runs (see DESIGN.md §3).
#
# The S3 identity is built from S3_ACCESS_KEY / S3_SECRET_KEY at start, so no key is
# ever written into the repository; the generated file lives only in the container.
set -eu

: "${S3_ACCESS_KEY:?S3_ACCESS_KEY must be set}"
: "${S3_SECRET_KEY:?S3_SECRET_KEY must be set}"

# The keys go into JSON verbatim: refuse characters that would need escaping rather
# than produce a config that silently means something else.
case "${S3_ACCESS_KEY}${S3_SECRET_KEY}" in
  *'"'* | *'\'*)
    echo "S3_ACCESS_KEY/S3_SECRET_KEY must not contain quotes or backslashes" >&2
    exit 64
    ;;
esac

config="${S3_CONFIG_FILE:-/tmp/s3.json}"
umask 077
cat > "$config" <<JSON
{
  "identities": [
    {
      "name": "parley",
      "credentials": [
        {"accessKey": "${S3_ACCESS_KEY}", "secretKey": "${S3_SECRET_KEY}"}
      ],
      "actions": ["Admin", "Read", "Write", "List", "Tagging"]
    }
  ]
}
JSON

# -ip stays the auto-detected container address (what the master hands out), but
# every listener binds all interfaces so the healthcheck can use loopback.
# Iceberg/Lance catalog ports are not used by Parley: keep them closed.
exec weed server \
  -dir="${SEAWEED_DATA_DIR:-/data}" \
  -ip.bind=0.0.0.0 \
  -master.telemetry=false \
  -master.volumeSizeLimitMB=1024 \
  -volume.max=0 \
  -s3 \
  -s3.port=8333 \
  -s3.port.iceberg=0 \
  -s3.port.lance=0 \
  -s3.config="$config" \
  "$@"
