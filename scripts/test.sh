#!/usr/bin/env bash
# The whole test suite, as README.md and .ci/run call it. Installs first what the tests run besides
# Maven's artifacts: Prometheus (promtool checks every process's /metrics output and the alert rules),
# debootstrap and umoci (the image test builds the container image with scripts/build-image.sh and unpacks it),
# iproute2 (the chart's pods run as processes from the image, each in a network namespace of its own),
# Node.js and npm (npm ci installs protocol/package-lock.json: buf, whose lint and breaking-change checks of the
# public gRPC API run in the protocol module's BufContractTest), python3-grpcio and python3-protobuf (the Python
# client proof of clients/python), and the Node.js client proof's packages (npm ci of clients/node/package-lock.json:
# @grpc/grpc-js and @grpc/proto-loader). AnyLanguageClientsTest runs both against a standalone. curl and jq: the
# shell blocks of docs/administration.md that AdministrationGuideTest runs use them.
# A test never skips for want of a program: this script is where programs come from.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v umoci >/dev/null 2>&1 || missing+=(umoci)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v jq >/dev/null 2>&1 || missing+=(jq)
# Debian's packages serve Debian's interpreter (a python3 earlier on the PATH may not see them)
/usr/bin/python3 -c 'import grpc, google.protobuf' >/dev/null 2>&1 || missing+=(python3-grpcio python3-protobuf)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]} (Debian packages)" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# buf from the npm registry, exactly the versions of the committed lock file
(cd protocol && npm ci --no-audit --no-fund --loglevel=error)
# the Node.js client proof's gRPC packages, exactly as locked
(cd clients/node && npm ci --no-audit --no-fund --loglevel=error)

exec mvn -B -ntp verify "$@"
