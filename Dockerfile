# The ronda image: every ronda binary (ronda-exporter, ronda-webhook, ronda-restore,
# ronda-sim and ronda-healthcheck), static, on distroless with a non-root user.
# docker-compose.yml picks the binary per service with `entrypoint`.
#
#   docker build -t ronda .
#   docker run --rm ronda --help                    # ronda-exporter is the default
#   docker run --rm --entrypoint ronda-webhook ronda --help

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=unknown
ARG REVISION=unknown
# CGO_ENABLED=0: static binaries (distroless/static has no libc); -trimpath: no build
# paths in them. The version reaches *_build_info and --version.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION} -X github.com/prometheus/common/version.Revision=${REVISION}" \
      -o /out/ \
      ./cmd/ronda-exporter ./cmd/ronda-webhook ./cmd/ronda-restore ./cmd/ronda-sim ./cmd/ronda-healthcheck
# State directories owned by the runtime user: a named volume mounted there starts as a
# copy of them, so the non-root binaries can write their outbox and ledger.
RUN mkdir -p /state/var/lib/ronda-webhook /state/var/lib/ronda-restore

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ /usr/local/bin/
COPY --from=build --chown=65532:65532 /state/ /
# nonroot (65532): ronda needs no privilege. ICMP probes then need the host's
# net.ipv4.ping_group_range to include the group (see README, "Probes"), or
# `cap_add: [NET_RAW]` on the exporter's container.
USER 65532:65532
# 9850 ronda-exporter, 9851 ronda-webhook, 9852 ronda-restore serve, 18080 ronda-sim's control API.
EXPOSE 9850 9851 9852 18080
HEALTHCHECK --interval=30s --timeout=10s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/ronda-healthcheck", "http://127.0.0.1:9850/-/healthy"]
ENTRYPOINT ["/usr/local/bin/ronda-exporter"]
CMD ["--config.file=/etc/ronda/ronda.yml"]
