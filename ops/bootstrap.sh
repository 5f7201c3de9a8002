#!/usr/bin/env bash
# Bootstrap: a fresh machine to a ready one. Idempotent; a second run changes
# nothing and needs no network. Used by both `make up` and `make test`.
#
#  1. Debian packages: the servers (none started by their package scripts)
#  2. .venv with Parley (editable) and its stack, test and bench extras
#  3. Apache Kafka jars and the Prometheus JMX exporter agent from Maven Central
#     (ops/kafka/pom.xml)
#  4. FerretDB built from the Go module proxy (ops/ferretdb/, see its main.go)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
BOOT="$REPO/.bootstrap"
mkdir -p "$BOOT"

step() { printf 'bootstrap: %s\n' "$*"; }
die() { printf 'bootstrap: %s\n' "$*" >&2; exit 1; }

# ---- 1. Debian packages ---------------------------------------------------
DEBS=(rabbitmq-server postgresql redis-server prometheus prometheus-alertmanager
      prometheus-postgres-exporter prometheus-redis-exporter prometheus-node-exporter
      patch chromium fonts-noto-color-emoji)
missing=()
for pkg in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  step "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  command -v apt-get >/dev/null || die "apt-get not found: install ${missing[*]} by hand"
  # Keep the packages' own service scripts from starting anything: the stack runs them.
  created_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d; created_policy=1
  fi
  $SUDO apt-get update -q >/dev/null || die "apt-get update failed: no network for a first install?"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
  [ -z "$created_policy" ] || $SUDO rm -f /usr/sbin/policy-rc.d
else
  step "Debian packages present"
fi

# ---- 2. Python virtualenv -------------------------------------------------
command -v python3.11 >/dev/null || command -v python3 >/dev/null || die "Python 3.11 not found"
PY=$(command -v python3.11 || command -v python3)
"$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || die "Python 3.11 is required ($PY is $("$PY" -V))"
stamp="$BOOT/venv.stamp"
want=$(cat setup.cfg pyproject.toml | sha256sum | cut -c1-16)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  step "installing Python packages into .venv"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  # setuptools is pinned in setup.cfg (nameko needs its pkg_resources)
  .venv/bin/pip install -q --upgrade pip wheel || die "pip could not reach PyPI"
  .venv/bin/pip install -q -e '.[stack,test,bench]' || die "pip install failed"
  echo "$want" > "$stamp"
else
  step ".venv up to date"
fi

# ---- 3. Apache Kafka from Maven Central --------------------------------------
KAFKA_LIB="$BOOT/kafka-lib"
kafka_version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' ops/kafka/pom.xml)
if [ ! -f "$KAFKA_LIB/kafka_2.13-$kafka_version.jar" ]; then
  command -v java >/dev/null || die "java not found: install a JDK 17 (Debian: openjdk-17-jre-headless)"
  command -v mvn >/dev/null || die "mvn not found: install Maven (Debian: maven)"
  step "fetching Apache Kafka $kafka_version jars from Maven Central"
  rm -rf "$KAFKA_LIB.tmp"
  # Maven's output goes to a log (it is noisy even with -q); shown only on failure.
  if ! mvn -B -Dstyle.color=never -f ops/kafka/pom.xml dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIB.tmp" > "$BOOT/maven.log" 2>&1; then
    tail -n 30 "$BOOT/maven.log" >&2
    die "Maven could not fetch Kafka (no network?): see $BOOT/maven.log"
  fi
  rm -rf "$KAFKA_LIB"; mv "$KAFKA_LIB.tmp" "$KAFKA_LIB"
else
  step "Kafka $kafka_version jars present"
fi
command -v java >/dev/null || die "java not found: install a JDK 17 (Debian: openjdk-17-jre-headless)"

# The JMX exporter runs inside the broker as a Java agent (-javaagent), so it is kept
# apart from Kafka's classpath, under a fixed name; its version is in the pom.
JMX_DIR="$BOOT/jmx-exporter"
jmx_version=$(sed -n 's:.*<jmx-exporter.version>\(.*\)</jmx-exporter.version>.*:\1:p' ops/kafka/pom.xml)
if [ "$(cat "$JMX_DIR/version" 2>/dev/null)" != "$jmx_version" ] || [ ! -f "$JMX_DIR/jmx_prometheus_javaagent.jar" ]; then
  command -v mvn >/dev/null || die "mvn not found: install Maven (Debian: maven)"
  step "fetching the Prometheus JMX exporter $jmx_version from Maven Central"
  rm -rf "$JMX_DIR.tmp"
  if ! mvn -B -Dstyle.color=never -f ops/kafka/pom.xml dependency:copy \
      -Dartifact="io.prometheus.jmx:jmx_prometheus_javaagent:$jmx_version:jar" \
      -Dmdep.stripVersion=true -DoutputDirectory="$JMX_DIR.tmp" > "$BOOT/maven-jmx.log" 2>&1; then
    tail -n 30 "$BOOT/maven-jmx.log" >&2
    die "Maven could not fetch the JMX exporter (no network?): see $BOOT/maven-jmx.log"
  fi
  echo "$jmx_version" > "$JMX_DIR.tmp/version"
  rm -rf "$JMX_DIR"; mv "$JMX_DIR.tmp" "$JMX_DIR"
else
  step "JMX exporter $jmx_version present"
fi

# ---- 4. FerretDB from the Go module proxy -----------------------------------
# FerretDB v1.24 indexes `_id` as `->"_id"` but filters on `->'$._id'`, so SQLite
# never uses the index (upstream FerretDB/FerretDB#4646); it pushes down no `_id: {$in}`
# and no filter on another indexed field; and its waiting writers sleep in SQLite's busy handler (docs/architecture.md, "Messages
# on FerretDB"). The build uses a copy of the module from the Go module proxy with
# ops/ferretdb/patches/*.patch applied, in name order (a `replace` in a generated
# modfile; ops/ferretdb/go.mod itself stays as is).
FERRET="$BOOT/ferretdb/parley-ferretdb"
newest_input=$(ls -t ops/ferretdb/main.go ops/ferretdb/go.mod ops/ferretdb/patches/*.patch | head -1)
if [ ! -x "$FERRET" ] || [ "$newest_input" -nt "$FERRET" ]; then
  command -v go >/dev/null || die "go not found: install Go 1.24 or newer"
  step "building FerretDB (ops/ferretdb, with ops/ferretdb/patches)"
  (cd ops/ferretdb && go mod download github.com/FerretDB/FerretDB) \
    || die "could not fetch FerretDB from the Go module proxy"
  moddir=$(cd ops/ferretdb && go list -m -f '{{.Dir}}' github.com/FerretDB/FerretDB)
  src="$BOOT/ferretdb/src"
  rm -rf "$src" && mkdir -p "$BOOT/ferretdb" && cp -r "$moddir" "$src" && chmod -R u+w "$src"
  for p in ops/ferretdb/patches/*.patch; do
    (cd "$src" && patch -s -p1 < "$REPO/$p") || die "$p no longer applies to FerretDB"
  done
  cp ops/ferretdb/go.mod "$BOOT/ferretdb/build.mod"
  cp ops/ferretdb/go.sum "$BOOT/ferretdb/build.sum"
  printf '\nreplace github.com/FerretDB/FerretDB => %s\n' "$src" >> "$BOOT/ferretdb/build.mod"
  (cd ops/ferretdb && go build -modfile "$BOOT/ferretdb/build.mod" -o "$FERRET.tmp" .) \
    || die "go build of FerretDB failed (no network for a first build?)"
  mv "$FERRET.tmp" "$FERRET"
else
  step "FerretDB binary present"
fi

step "ready"
