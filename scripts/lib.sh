# Shared set-up for scripts/demo and scripts/test. Installs what a fresh
# Debian 12 machine lacks (it runs as root there), and nothing else.
set -euo pipefail

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=
apt_install() {
	if [ -z "$apt_updated" ]; then
		log "apt-get update"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
		apt_updated=1
	fi
	log "apt-get install $*"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_go() {
	if ! command -v go >/dev/null 2>&1; then
		for d in /usr/local/go/bin /usr/lib/go/bin "$HOME/go/bin"; do
			if [ -x "$d/go" ]; then export PATH="$d:$PATH"; break; fi
		done
	fi
	command -v go >/dev/null 2>&1 || { echo "Go 1.26 or newer is required (https://go.dev/dl/)" >&2; exit 1; }
	export PATH="$(go env GOPATH)/bin:$PATH"
}

ensure_gdal() {
	local need=()
	command -v gdal-config >/dev/null 2>&1 || need+=(libgdal-dev)
	command -v gdalinfo >/dev/null 2>&1 || need+=(gdal-bin)
	# format=lerc links Esri's LERC library through cgo (pkg-config Lerc)
	[ -f /usr/include/Lerc_c_api.h ] || need+=(liblerc-dev)
	command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
	command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
	if [ ${#need[@]} -gt 0 ]; then apt_install "${need[@]}"; fi
}

# QGIS (about a minute and 850 MB once) lets the suite load the ImageServer
# in the ArcGIS REST providers QGIS users have.
ensure_qgis() {
	/usr/bin/python3 -c 'import qgis.core' 2>/dev/null || apt_install qgis python3-qgis
}

# nginx is the load balancer of docs/deploy.md, in front of three servers in
# the cluster test (TestClusterBehindNginx). It is only run by the tests,
# never as a system service.
ensure_nginx() {
	[ -x /usr/sbin/nginx ] || apt_install nginx-light
}

ensure_node() {
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		apt_install nodejs npm
	fi
}

# PostgreSQL 15 with PostGIS, for the PostGIS store's tests: user postgres
# with trust auth on 127.0.0.1:5432 and a database "test", as on CI. Left
# alone when TESSERA_POSTGRES_DSN points the tests elsewhere.
ensure_postgis() {
	if [ -n "${TESSERA_POSTGRES_DSN:-}" ]; then return 0; fi
	if ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then
		apt_install postgresql-15 postgresql-15-postgis-3
	fi
	if ! pg_isready -q -h 127.0.0.1 -p 5432; then
		log "starting PostgreSQL 15"
		as_root pg_ctlcluster 15 main start
		for _ in $(seq 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
	fi
	if ! psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1; then
		log "PostgreSQL: trust auth for user postgres on 127.0.0.1 (a test machine's set-up)"
		as_root sed -i '1i host all postgres 127.0.0.1/32 trust' /etc/postgresql/15/main/pg_hba.conf
		as_root pg_ctlcluster 15 main reload
	fi
	if [ "$(psql -h 127.0.0.1 -U postgres -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = 'test'")" != 1 ]; then
		psql -h 127.0.0.1 -U postgres -d postgres -qc 'CREATE DATABASE test'
	fi
}

# Debian's Chromium runs the web map's browser tests (driven by
# playwright-core from npm, which downloads no browser of its own).
ensure_chromium() {
	[ -x /usr/bin/chromium ] || apt_install chromium
}

build() {
	log "go build -o bin/tessera ./cmd/tessera"
	mkdir -p bin
	go build -trimpath -ldflags "-X main.version=$(git describe --always --dirty 2>/dev/null || echo dev)" \
		-o bin/tessera ./cmd/tessera
}
