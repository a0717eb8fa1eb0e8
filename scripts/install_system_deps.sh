#!/usr/bin/env bash
# Installs the system packages the local infrastructure needs, on Debian 12 as root (CI):
#   postgresql                          server binaries for scripts/local_postgres.py
#   kcat                                an independent Kafka client used by the tests
#   chromium                            a real headless browser that renders the HTML reports in tests
#   openjdk-17-jre-headless, maven      run and resolve the broker of scripts/local_kafka.py
# Idempotent: installs only what is missing, and runs `apt-get update` only if it must install.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

if [[ $(id -u) -ne 0 ]]; then
    SUDO=(sudo)
else
    SUDO=()
fi

missing=()

have_postgres_server() {
    compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null
}

java_major() {
    # `java -version` prints e.g.: openjdk version "17.0.15" 2025-04-15 (on stderr)
    java -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n 1
}

if have_postgres_server; then
    echo "postgresql: present ($(compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' | sort -V | tail -n 1))"
else
    missing+=(postgresql)
fi

if command -v kcat >/dev/null 2>&1; then
    echo "kcat: present ($(command -v kcat))"
else
    missing+=(kcat)
fi

if command -v chromium >/dev/null 2>&1; then
    echo "chromium: present ($(command -v chromium))"
else
    missing+=(chromium)
fi

if command -v java >/dev/null 2>&1 && [[ $(java_major) -ge 17 ]]; then
    echo "java: present (major version $(java_major))"
else
    missing+=(openjdk-17-jre-headless)
fi

if command -v mvn >/dev/null 2>&1; then
    echo "maven: present ($(command -v mvn))"
else
    missing+=(maven)
fi

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "nothing to install"
    exit 0
fi

echo "installing: ${missing[*]}"
"${SUDO[@]}" apt-get update -q
# The package's own cluster (5432) may be created and started; LocalPostgres runs its own
# clusters on other ports, so it is left alone.
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"

if ! have_postgres_server && [[ " ${missing[*]} " == *" postgresql "* ]]; then
    echo "postgresql was installed but no /usr/lib/postgresql/*/bin/pg_ctl exists" >&2
    exit 1
fi
if [[ $(java_major) -lt 17 ]]; then
    echo "java 17 or newer is required; found: $(java -version 2>&1 | head -n 1)" >&2
    exit 1
fi
echo "installed: ${missing[*]}"
