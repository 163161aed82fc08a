# Flotilla's container image: build the release binary and the site (wasm, js, css) with
# cargo-leptos and scripts/lib.sh, then copy them into a small runtime image that runs as a non-root user.
# Build: docker build -t flotilla:0.1.0 .   Run: see docs/operations.md.

FROM rust:1.95-bookworm AS build
RUN rustup target add wasm32-unknown-unknown \
 && apt-get update && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
RUN cargo install cargo-leptos --locked --version 0.3.0
WORKDIR /src
COPY . .
# The wasm-bindgen CLI must be the exact version in Cargo.lock; wasm-opt comes from npm binaryen.
RUN cargo install wasm-bindgen-cli --version "$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')" \
 && cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
# The same build as scripts/demo: the full bundle, one per page group, compressed.
RUN PATH="/src/end2end/node_modules/.bin:$PATH" bash -c 'source scripts/lib.sh && build_release' \
 && mkdir -p /out && cp target/release/flotilla /out/flotilla && cp -r target/site /out/site

FROM debian:bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 flotilla && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin flotilla
COPY --from=build /out/flotilla /app/flotilla
COPY --from=build /out/site /app/site
ENV FLOTILLA_ADDR=0.0.0.0:3000 \
    FLOTILLA_SITE_ROOT=/app/site \
    FLOTILLA_DATA_DIR=/tmp/flotilla \
    FLOTILLA_LOG_FORMAT=json
USER 10001:10001
EXPOSE 3000
ENTRYPOINT ["/app/flotilla"]
CMD ["serve"]
