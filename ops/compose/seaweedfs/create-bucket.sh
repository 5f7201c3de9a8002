#!/bin/sh
# One-shot: make sure Parley's bucket exists in SeaweedFS. Safe to run on every
# `docker compose up`: an existing bucket is left alone.
set -eu

: "${S3_BUCKET:?S3_BUCKET must be set}"
master="${SEAWEED_MASTER:-s3:9333}"
filer="${SEAWEED_FILER:-s3:8888}"

weed_shell() {
  echo "$1" | weed shell -master="$master" -filer="$filer"
}

# `s3.bucket.list` prints one bucket per line, name first; `s3.bucket.create`
# fails on an existing bucket, so look before creating.
has_bucket() {
  weed_shell "s3.bucket.list" | awk '{print $1}' | grep -qxF "$S3_BUCKET"
}

# The server reports healthy before the filer has registered with the master:
# give it a little while.
tries=0
until weed_shell "s3.bucket.list" >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 30 ]; then
    echo "SeaweedFS filer at $filer did not answer" >&2
    exit 1
  fi
  sleep 2
done

if has_bucket; then
  echo "bucket $S3_BUCKET already exists"
else
  weed_shell "s3.bucket.create -name $S3_BUCKET"
  has_bucket || { echo "bucket $S3_BUCKET was not created" >&2; exit 1; }
  echo "bucket $S3_BUCKET created"
fi
