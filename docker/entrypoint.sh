#!/bin/sh
# The image's ENTRYPOINT, under tini. `docker run keyplate` runs the daemon (`keyplate run`). A
# keyplate subcommand or top-level flag after the image name runs that instead
# (`docker run --rm keyplate render --diff`); anything else is passed to `keyplate run`
# (`docker run keyplate --log-level debug`, `docker run keyplate --onetime`).
# Keep the list in step with the CLI's commands (test/docker/entrypoint.test.ts checks it).
case "${1-}" in
  run | render | keys | check | confd | version | help | --version | -V | --help | -h) exec keyplate "$@" ;;
esac
exec keyplate run "$@"
