# Multi-stage build on Debian bookworm with GDAL from Debian, the same
# packages scripts/lib.sh installs. cgo (GDAL, SQLite) rules out static images.
FROM golang:1.26-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libgdal-dev liblerc-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/tessera ./cmd/tessera

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libgdal32 liblerc4 ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/tessera /usr/local/bin/tessera
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["tessera"]
# A container must listen beyond loopback, and tessera only does that with
# accounts, so the image expects a users file in the data volume. Make one
# first (see docs/security.md):
#   mkdir -p data && docker run --rm -i IMAGE passwd admin admin >> data/users.conf
# Add --anonymous viewer to let anyone read without a token.
CMD ["serve", "--addr", "0.0.0.0:8080", "--data", "/data", "--users", "/data/users.conf", "--demo"]
