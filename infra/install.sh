#!/usr/bin/env bash
# Installs everything Seam's components and tests need on a fresh Debian machine, idempotently:
# Debian packages (Redis 7, a JRE, Maven and Chromium if missing), the Kafka broker jars and the Apicurio
# Registry distribution from Maven Central, and the npm workspace dependencies. A second run on a
# ready machine takes a second or two and changes nothing.
source "$(dirname "$0")/lib.sh"

apt_packages=()
command -v redis-server >/dev/null || apt_packages+=(redis-server)
command -v redis-cli >/dev/null || apt_packages+=(redis-tools)
command -v java >/dev/null || apt_packages+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || apt_packages+=(maven)
# Debian's Chromium drives the approvals page's browser test (playwright-core); no browser download.
command -v chromium >/dev/null || apt_packages+=(chromium)
# openssl makes the private CA and certificate of the kit's Redis TLS test.
command -v openssl >/dev/null || apt_packages+=(openssl)
if ((${#apt_packages[@]})); then
  command -v apt-get >/dev/null || die "missing ${apt_packages[*]} and no apt-get to install them"
  log "installing Debian packages: ${apt_packages[*]}"
  sudo_cmd=(); [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${apt_packages[@]}" >/dev/null
  # The Debian package starts a system redis on 6379; Seam runs its own instances, so leave it be.
fi

mkdir -p "$DIST"
if [ ! -f "$KAFKA_HOME/libs/kafka_2.13-$KAFKA_VERSION.jar" ]; then
  log "fetching Kafka $KAFKA_VERSION jars from Maven Central"
  mvn -q -B -f "$SEAM_ROOT/infra/maven/pom.xml" package -Dseam.out="$DIST" \
    || die "could not fetch the Kafka jars with Maven"
fi

apicurio_jar="$APICURIO_HOME/apicurio-registry-app-$APICURIO_VERSION-runner.jar"
if [ ! -f "$apicurio_jar" ]; then
  log "fetching Apicurio Registry $APICURIO_VERSION from Maven Central"
  tmp="$(mktemp -d)"
  # dependency:copy, not unpack: the 3.0.x parent POM is not on Central, and copy does not need it.
  mvn -q -B dependency:copy -Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" \
    -DoutputDirectory="$tmp" || die "could not fetch Apicurio Registry with Maven"
  mkdir -p "$APICURIO_HOME.partial"
  tar -xzf "$tmp"/apicurio-registry-app-*.tar.gz -C "$APICURIO_HOME.partial"
  rm -rf "$tmp" "$APICURIO_HOME"
  mv "$APICURIO_HOME.partial" "$APICURIO_HOME"
  [ -f "$apicurio_jar" ] || die "Apicurio archive did not contain $apicurio_jar"
fi

# npm: install when node_modules is missing or older than the lock file.
if [ ! -f "$SEAM_ROOT/node_modules/.package-lock.json" ] \
   || [ "$SEAM_ROOT/package-lock.json" -nt "$SEAM_ROOT/node_modules/.package-lock.json" ]; then
  log "installing npm dependencies (npm ci)"
  (cd "$SEAM_ROOT" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
fi
log "install complete"
