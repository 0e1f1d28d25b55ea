#!/bin/sh
# The image's entrypoint, with Docker Distribution's conventions:
#   IMAGE                          serve /etc/pack-registry/config.yml (the CMD)
#   IMAGE serve /path/config.yml   serve that file        IMAGE /path/config.yml   the same
#   IMAGE gc --dry-run             any pack-registry command
#   IMAGE sh                       anything else runs as it is
# The server starts as root only to read root-only files (a 0600 TLS key) and to take ownership of
# /data; it then continues as PACK_REGISTRY_USER (node). Run with --user to start unprivileged instead.
set -e
case "$1" in
  *.yaml | *.yml) set -- pack-registry serve "$@" ;;
  serve | reindex | gc | htpasswd | healthcheck | version | help | -*) set -- pack-registry "$@" ;;
esac
exec "$@"
