# Efis in a FROM scratch image: only the static binary and an empty /data.
#
# No base image is pulled: the binary is built by cargo on the host first,
# statically linked against glibc, then copied in. `just build-image` does
# both steps:
#
#   RUSTFLAGS="-C target-feature=+crt-static" \
#   CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_STRIP=symbols \
#     cargo build --release --target x86_64-unknown-linux-gnu
#   docker build -t efis:latest .
#
# .dockerignore sends only that binary and .deploy/data/ as build context.
FROM scratch

ARG VERSION=unknown
LABEL org.opencontainers.image.title="efis" \
      org.opencontainers.image.description="An in-memory data store that speaks the Redis protocol" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT"

COPY target/x86_64-unknown-linux-gnu/release/efis /efis
# An empty directory owned by the container user: Docker copies that
# ownership into a fresh named volume mounted on /data.
COPY --chown=10001:10001 .deploy/data/ /data/

USER 10001:10001
VOLUME /data
# Inside a container every client arrives through Docker's network, never
# on loopback, so protected mode would refuse them all: the image turns it
# off and relies on where the port is published (the host's 127.0.0.1 by
# default) and on REQUIREPASS / ACL users for anything wider.
ENV BACKUP_PATH=/data \
    BIND=0.0.0.0 \
    PROTECTED_MODE=no
EXPOSE 6379

# `efis ping` reads PORT and BIND itself, so the check follows a changed PORT.
HEALTHCHECK --interval=5s --timeout=3s --start-period=2s --retries=3 \
    CMD ["/efis", "ping"]

# SIGTERM (docker stop) makes Efis finish in-flight work and exit 0.
ENTRYPOINT ["/efis"]
