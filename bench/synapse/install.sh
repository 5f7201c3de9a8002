#!/usr/bin/env bash
# Matrix Synapse, the benchmark's peer, in its own virtualenv under .bootstrap/.
#
# Kept out of ops/bootstrap.sh on purpose: only `make bench` needs it, so it is
# installed on demand. Idempotent like the bootstrap: a second run changes nothing and
# needs no network (the stamp holds the pinned version and the constraints' hash).
#
# Synapse is pinned here; its dependencies are pinned by constraints.txt (what the
# benchmark was run with), so two machines measure the same server. The wheel is
# cp310-abi3 manylinux, so no Rust toolchain is needed on Python 3.11.
set -euo pipefail
cd "$(dirname "$0")/../.."
SYNAPSE_VERSION=1.163.2
VENV=.bootstrap/synapse-venv
CONSTRAINTS=bench/synapse/constraints.txt

step() { printf 'synapse: %s\n' "$*"; }
die() { printf 'synapse: %s\n' "$*" >&2; exit 1; }

# psycopg2 (Synapse's postgres extra) has no Linux wheel: pip builds it against libpq,
# so the build needs libpq's headers and pg_config (libpq-dev) and a C compiler.
need=()
dpkg-query -W -f='${Status}' libpq-dev 2>/dev/null | grep -q 'install ok installed' || need+=(libpq-dev)
command -v gcc >/dev/null || need+=(gcc)

PY=$(command -v python3.11 || command -v python3) || die "Python 3 not found"
want="$SYNAPSE_VERSION $(sha256sum "$CONSTRAINTS" | cut -c1-16)"
stamp="$VENV/parley-bench.stamp"
if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  step "matrix-synapse $SYNAPSE_VERSION present"
  exit 0
fi
if ((${#need[@]})); then
  step "installing Debian packages to build psycopg2: ${need[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -q >/dev/null || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null \
    || die "apt-get install ${need[*]} failed"
fi
step "installing matrix-synapse[postgres]==$SYNAPSE_VERSION into $VENV"
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip wheel || die "pip could not reach PyPI"
# --only-binary: a source build of Synapse would need Rust; the abi3 wheel does not.
"$VENV/bin/pip" install -q --only-binary matrix-synapse -c "$CONSTRAINTS" \
  "matrix-synapse[postgres]==$SYNAPSE_VERSION" || die "pip install of matrix-synapse failed"
"$VENV/bin/python" -c 'import synapse, psycopg2' || die "synapse or psycopg2 does not import"
echo "$want" > "$stamp"
step "ready ($("$VENV/bin/python" -c 'from importlib.metadata import version; print(version("matrix-synapse"))'))"
