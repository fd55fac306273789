# Gatehouse container image.
#   docker build -t gatehouse .
#   docker run -p 8080:8080 -e DATABASE_URL=postgres://… gatehouse
# Without DATABASE_URL the app uses SQLite at /app/db/gatehouse.sqlite (inside the container).

ARG SWIFT_VERSION=6.1

# ---------------------------------------------------------------- build stage
FROM swift:${SWIFT_VERSION}-bookworm AS build
WORKDIR /build

# Resolve dependencies first so this layer is cached until Package.swift changes.
# (Package.resolved is not part of the repository: it is resolved here.)
COPY ./Package.swift ./
RUN swift package resolve

COPY . .
RUN swift build -c release --static-swift-stdlib --product gatehouse

# Everything the runtime image needs, in one folder.
WORKDIR /staging
RUN cp "$(swift build --package-path /build -c release --show-bin-path)/gatehouse" ./ \
 && { [ ! -x /usr/libexec/swift/linux/swift-backtrace-static ] \
      || cp /usr/libexec/swift/linux/swift-backtrace-static ./; } \
 && find -L "$(swift build --package-path /build -c release --show-bin-path)/" \
         -maxdepth 1 -regex '.*\.resources$' -exec cp -Ra {} ./ \; \
 && cp -R /build/Templates ./Templates \
 && cp -R /build/Public ./Public \
 && mkdir -p ./db \
 && chmod -R a-w ./Templates ./Public

# -------------------------------------------------------------- runtime stage
FROM debian:bookworm-slim

# ca-certificates: outbound TLS; tzdata: time zones; curl: the container healthcheck.
RUN export DEBIAN_FRONTEND=noninteractive \
 && apt-get -q update \
 && apt-get -q install -y --no-install-recommends ca-certificates tzdata curl \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --system --user-group --create-home --home-dir /app --shell /usr/sbin/nologin gatehouse
WORKDIR /app
COPY --from=build --chown=gatehouse:gatehouse /staging /app

ENV GATEHOUSE_ISSUER=http://localhost:8080 \
    SWIFT_BACKTRACE=enable=yes,sanitize=yes,threads=all,images=all,interactive=no,swift-backtrace=./swift-backtrace-static

USER gatehouse:gatehouse
EXPOSE 8080

# Templates/ and Public/ are found relative to the working directory (/app).
ENTRYPOINT ["./gatehouse"]
CMD ["serve", "--hostname", "0.0.0.0", "--port", "8080"]
