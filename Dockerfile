# syntax=docker/dockerfile:1
# amigate: static binary in a distroless image, running as non-root.
#   docker build -t amigate .
#   docker run --rm -p 8080:8080 amigate --demo      # no Asterisk needed
#   docker build --build-arg TAGS=nodemo -t amigate .  # without the simulated PBX (no --demo)
# With an Asterisk: see deploy/compose.yaml.

# The base images are build arguments so that the same file builds from stand-ins
# where a registry cannot be reached (tests/container_test.go does exactly that).
ARG BUILDER_IMAGE=golang:1.26
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot

FROM ${BUILDER_IMAGE} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
ARG TAGS=
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=linux go build -trimpath -tags "${TAGS}" -ldflags "-s -w -X main.version=${VERSION}" -o /out/amigate ./cmd/api && \
    CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "-s -w" -o /out/healthcheck ./deploy/healthcheck && \
    mkdir -p /out/data

FROM ${RUNTIME_IMAGE}
COPY --from=build /out/amigate /out/healthcheck /usr/local/bin/
# The embedded event store (AMIGATE_DATA_DIR) must be writable by nonroot (65532).
COPY --from=build --chown=65532:65532 /out/data /data
ENV AMIGATE_HTTP_ADDR=:8080 \
    AMIGATE_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
USER nonroot:nonroot
HEALTHCHECK --interval=10s --timeout=4s --start-period=10s --retries=3 CMD ["/usr/local/bin/healthcheck"]
ENTRYPOINT ["/usr/local/bin/amigate"]
CMD ["serve"]
