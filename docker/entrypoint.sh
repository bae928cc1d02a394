#!/bin/sh
# The image's entrypoint, for every role: ENTRYPOINT ROLE [ARGUMENTS...]
#   standalone | zookeeper | bookie | broker | proxy | init-cluster | config check ROLE | admin | produce | consume | ...
# (everything `tributary --help` lists). No role: the help.
#
# Configuration: each key of conf/<role>.properties is overridden by its environment variable
# (broker.maxMessageSize <- TRIBUTARY_BROKER_MAX_MESSAGE_SIZE); the server roles refuse, at start-up, a
# TRIBUTARY_* variable that is none of their keys (`tributary config check ROLE` runs the same check).
# Variables of this script: TRIBUTARY_HOME (where the jars are), TRIBUTARY_MEM (the JVM's memory flags,
# replacing the defaults below), JAVA_OPTS (more JVM flags), TRIBUTARY_LOG_LEVEL (client commands' logging).
#
# The JVM replaces this shell (exec), so it is the container's main process and receives SIGTERM itself:
# servers then stop cleanly, a broker first handing its bundles to other brokers (broker.drainOnShutdown).
set -eu

TRIBUTARY_HOME=${TRIBUTARY_HOME:-/opt/tributary}
JAR="$TRIBUTARY_HOME/tributary.jar"
if [ ! -f "$JAR" ]; then
  echo "entrypoint: $JAR is missing (TRIBUTARY_HOME=$TRIBUTARY_HOME)" >&2
  exit 1
fi
if [ $# -eq 0 ]; then
  set -- --help
fi

# servers: the heap and direct memory as shares of the container's memory limit (the JVM reads the cgroup's),
# so one image fits a 1 GiB pod and a 16 GiB one; a server that runs out of memory exits for Kubernetes to
# restart it rather than limping on
case "$1" in
  standalone|broker|bookie|proxy|zookeeper)
    DEFAULT_MEM="-XX:MaxRAMPercentage=40"
    ROLE_OPTS="-XX:+ExitOnOutOfMemoryError" ;;
  *)
    # client commands and init-cluster print their results; the SDK's own INFO lines would only be noise
    DEFAULT_MEM="-Xmx512m -XX:TieredStopAtLevel=1"
    ROLE_OPTS="-Dtributary.logLevel=${TRIBUTARY_LOG_LEVEL:-WARN}" ;;
esac

# BookKeeper and Netty reach into these JDK internals (as bin/tributary)
OPENS="--add-opens java.base/java.io=ALL-UNNAMED --add-opens java.base/java.nio=ALL-UNNAMED
  --add-opens java.base/sun.nio.ch=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED
  --add-opens java.base/jdk.internal.misc=ALL-UNNAMED --add-exports java.base/jdk.internal.misc=ALL-UNNAMED"

# word splitting of the flag lists is intended
# shellcheck disable=SC2086
exec java ${TRIBUTARY_MEM:-$DEFAULT_MEM} -XX:+UseG1GC $OPENS $ROLE_OPTS ${JAVA_OPTS:-} -jar "$JAR" "$@"
