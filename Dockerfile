# keyplate + HAProxy 2.6 in one container: keyplate renders the configs and supervises HAProxy.
# Build:  docker build -t keyplate .
# Run:    see README "Run it in Docker".

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends haproxy tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/keyplate
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force && ln -s /opt/keyplate/bin/keyplate.js /usr/local/bin/keyplate
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY templates ./templates
COPY config.toml /etc/keyplate/config.toml
ENV KEYPLATE_CONFIG=/etc/keyplate/config.toml \
    KEYPLATE_TEMPLATES=/opt/keyplate/templates
EXPOSE 80 443
ENTRYPOINT ["tini", "--", "keyplate", "run"]
