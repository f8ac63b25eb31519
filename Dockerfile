# Multi-stage build on Debian bookworm with GDAL from Debian, the same
# packages scripts/lib.sh installs. cgo (GDAL, SQLite) rules out static images.
FROM golang:1.26-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libgdal-dev liblerc-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
# go.mod replaces godal with the patched copy in third_party/godal.
COPY third_party/godal third_party/godal
RUN go mod download
COPY . .
ARG VERSION=dev
RUN go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/tessera ./cmd/tessera

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libgdal32 liblerc4 ca-certificates && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/tessera --no-create-home --shell /usr/sbin/nologin tessera \
 && install -d -o tessera -g tessera -m 700 /var/lib/tessera
COPY --from=build /out/tessera /usr/local/bin/tessera
# The settings of deploy/tessera.toml: every flag, documented. Mount your
# own over it, or override single settings with flags after "serve".
COPY deploy/tessera.toml /etc/tessera/tessera.toml
# Never root: uid 10001 owns only the data volume.
USER tessera:tessera
WORKDIR /var/lib/tessera
VOLUME /var/lib/tessera
EXPOSE 8080
ENTRYPOINT ["tessera"]
# A container must listen beyond loopback, and tessera only does that with
# accounts, so the image expects a users file in the data volume. Make one
# first (see docs/operations.md):
#   mkdir -p data && (umask 077; docker run --rm -i IMAGE passwd admin admin >> data/users.conf)
#   docker run -p 8080:8080 -v "$PWD/data:/var/lib/tessera" --user "$(id -u):$(id -g)" IMAGE
# (--user lets the container write a directory you own; a named volume
# needs no --user). Add --anonymous viewer to let anyone read without a
# token; drop --demo for an empty server.
CMD ["serve", "--config", "/etc/tessera/tessera.toml", "--users", "/var/lib/tessera/users.conf", "--demo"]
