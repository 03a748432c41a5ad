# keyplate + HAProxy 2.6 in one container: keyplate renders the configs and supervises HAProxy.
# The default config is the rancher-haproxy preset (config.toml); mount your own over
# /etc/keyplate/config.toml (or set KEYPLATE_CONFIG) to render anything else.
#
#   docker build -t keyplate .
#   docker run -d --name lb -p 80:80 -e STACK_DOMAIN=example.com keyplate
#   docker run --rm -e STACK_DOMAIN=example.com keyplate render --diff
#
# Node 20: the image tests (npm run test:image) build this file with podman against a local
# stand-in of the base image that carries this host's Node, so only that major can be verified.
#
# See docs/docker.md. test/image/ builds and runs this image with podman (npm run test:image);
# test/e2e/entrypoint.test.ts parses this file and runs its ENTRYPOINT and
# HEALTHCHECK on the host: keep instructions in the plain forms it understands.

# --- build: TypeScript → dist/ (one esbuild bundle, scripts/build.mjs) ------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY scripts/build.mjs scripts/dist-entry.cjs ./scripts/
COPY src ./src
RUN npm run build

# --- run: node 20 + Debian bookworm's haproxy (2.6) + tini ----------------------------------
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends haproxy tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/keyplate
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 && ln -s /opt/keyplate/bin/keyplate.js /usr/local/bin/keyplate
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY templates ./templates
COPY config.toml /etc/keyplate/config.toml
COPY docker/entrypoint.sh /usr/local/bin/keyplate-entrypoint
# No secrets here: STATS_PASSWORD, certificates and etcd credentials come from the environment
# or mounted files at run time.
ENV NODE_ENV=production \
    KEYPLATE_CONFIG=/etc/keyplate/config.toml \
    KEYPLATE_TEMPLATES=/opt/keyplate/templates \
    KEYPLATE_LISTEN=127.0.0.1:9100 \
    HAPROXY_USER=haproxy \
    HAPROXY_GROUP=haproxy
EXPOSE 80 443
# GET /healthz on KEYPLATE_LISTEN with node's fetch (no curl in the image). 503 (a resource never
# rendered, or a backend down for longer than [http] freshness) makes the container unhealthy.
# With KEYPLATE_LISTEN="" there is no listener and the check passes.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const l=process.env.KEYPLATE_LISTEN||'';if(!l){console.log('KEYPLATE_LISTEN is empty: no status listener');process.exit(0)}const i=l.lastIndexOf(':');let h=i<0?'':l.slice(0,i);const p=i<0?l:l.slice(i+1);if(h===''||h==='0.0.0.0')h='127.0.0.1';if(h==='[::]')h='[::1]';fetch('http://'+h+':'+p+'/healthz',{signal:AbortSignal.timeout(4000)}).then(async(r)=>{const b=await r.text();if(!r.ok)console.log(b);process.exit(r.ok?0:1)},(e)=>{console.log('healthz: '+e.message);process.exit(1)})"]
# tini is PID 1: it reaps exited children and forwards SIGTERM/SIGINT/SIGHUP to keyplate.
# keyplate-entrypoint runs `keyplate run` with the arguments after the image name
# (`docker run keyplate --log-level debug`), or the keyplate subcommand they start with
# (`docker run --rm keyplate check`, `... render --diff`, `... keys`, `... version`).
ENTRYPOINT ["tini", "--", "keyplate-entrypoint"]
