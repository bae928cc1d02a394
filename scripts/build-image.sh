#!/usr/bin/env bash
# Builds the Tributary container image without a container engine: an OCI image layout (docs/kubernetes.md#image).
#
#   scripts/build-image.sh [--out DIR] [--tag TAG] [--mirror URL]
#
#   --out DIR     where to build (default: target/image); the image is DIR/oci, tagged TAG
#   --tag TAG     the image's tag (default: the project's version, 0.1.0)
#   --mirror URL  the Debian mirror for the base (default: http://deb.debian.org/debian)
#
# Needs root (debootstrap, file ownership), debootstrap and umoci (Debian packages; scripts/test.sh installs
# them), and the built jars (cli/target/tributary.jar and cli/target/lib; built here with Maven when missing).
#
# Three layers, each changing less often than the next:
#   1. the base: Debian bookworm (debootstrap --variant=minbase) with openjdk-17-jre-headless and the user
#      tributary (uid and gid 10000); made once and cached under DIR/cache, keyed by this recipe
#   2. third-party jars (/opt/tributary/lib)
#   3. Tributary's own jars, conf/ and the entrypoint (docker/entrypoint.sh as /opt/tributary/bin/entrypoint.sh,
#      also on the PATH as `tributary`)
# docker/Dockerfile builds the same image with Docker; keep the two alike.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

OUT=target/image
TAG=0.1.0
MIRROR=http://deb.debian.org/debian
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --tag) TAG=$2; shift 2 ;;
    --mirror) MIRROR=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-image: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

SUITE=bookworm
PACKAGES=openjdk-17-jre-headless
UID_GID=10000
HOME_DIR=/var/lib/tributary
APP=/opt/tributary

[ "$(id -u)" -eq 0 ] || { echo "build-image: run as root (debootstrap and the layers' file owners need it)" >&2; exit 1; }
for tool in debootstrap umoci; do
  command -v "$tool" >/dev/null || { echo "build-image: $tool is missing: apt-get install -y $tool" >&2; exit 1; }
done

if [ ! -f cli/target/tributary.jar ] || [ ! -d cli/target/lib ]; then
  echo "build-image: building the jars (mvn package -pl cli -am)" >&2
  mvn -q -B -DskipTests package -pl cli -am >&2
fi

mkdir -p "$OUT/cache"
OUT=$(cd "$OUT" && pwd)
started=$(date +%s)

# 1. The base, cached: its key covers everything that goes into it (this part of the recipe is below)
base_key=$(printf '%s\n' "$SUITE" "$PACKAGES" "$UID_GID" "$HOME_DIR" "base-recipe-1" | sha256sum | cut -c1-16)
BASE="$OUT/cache/base-$base_key"
if [ ! -f "$BASE/oci/index.json" ]; then
  echo "build-image: making the base (debootstrap $SUITE with $PACKAGES; about a minute)" >&2
  # --one-file-system: a debootstrap killed half-way may have left /proc or /dev mounted in there
  rm -rf --one-file-system "$BASE" && mkdir -p "$BASE"
  rootfs="$BASE/rootfs"
  debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" "$MIRROR" >"$BASE/debootstrap.log" 2>&1 \
    || { tail -20 "$BASE/debootstrap.log" >&2; echo "build-image: debootstrap failed (log: $BASE/debootstrap.log)" >&2; exit 1; }
  groupadd --root "$rootfs" --gid "$UID_GID" tributary
  useradd --root "$rootfs" --uid "$UID_GID" --gid "$UID_GID" --home-dir "$HOME_DIR" --no-create-home \
    --shell /usr/sbin/nologin --comment Tributary tributary
  install -d -o "$UID_GID" -g "$UID_GID" -m 0750 "$rootfs$HOME_DIR"
  # what a running container does not need: package caches and lists, documentation, logs of the build;
  # the files a container runtime provides (hosts, resolv.conf, hostname) are left empty
  rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* \
    "$rootfs"/usr/share/info/* "$rootfs"/var/log/* "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/lib/dpkg/*-old
  if [ -d "$rootfs/usr/share/locale" ]; then
    find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'C.*' -exec rm -rf {} +
  fi
  : >"$rootfs/etc/resolv.conf"
  : >"$rootfs/etc/hostname"
  : >"$rootfs/etc/machine-id"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$rootfs/etc/hosts"
  # device nodes and the kernel's file systems come from the runtime: empty directories in the image
  tar --numeric-owner --xattrs --sort=name -C "$rootfs" -cf "$BASE/base.tar" \
    --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' --exclude='./run/*' --exclude='./tmp/*' .
  umoci init --layout "$BASE/oci"
  umoci new --image "$BASE/oci:base"
  umoci raw add-layer --image "$BASE/oci:base" \
    --history.created_by "debootstrap --variant=minbase --include=$PACKAGES $SUITE; user tributary ($UID_GID)" "$BASE/base.tar"
  stat -c %s "$BASE/base.tar" >"$BASE/base.bytes"
  rm -rf --one-file-system "$rootfs" "$BASE/base.tar"
else
  echo "build-image: reusing the base in $BASE" >&2
fi

# 2. and 3. The jars, conf and entrypoint, staged with the owners and modes they have in the image
STAGE="$OUT/stage"
rm -rf "$STAGE" && mkdir -p "$STAGE/libs$APP/lib" "$STAGE/app$APP/lib" "$STAGE/app$APP/bin" "$STAGE/app$APP/conf" \
  "$STAGE/app/usr/local/bin"
for jar in cli/target/lib/*.jar; do
  case "$(basename "$jar")" in
    tributary-*) cp "$jar" "$STAGE/app$APP/lib/" ;;
    *) cp "$jar" "$STAGE/libs$APP/lib/" ;;
  esac
done
# RocksDB's jar (BookKeeper's) carries its native library for twelve platforms, 150 MB: keep this machine's
arch=$(dpkg --print-architecture)
case "$arch" in
  amd64) keep=librocksdbjni-linux64.so ;;
  arm64) keep=librocksdbjni-linux-aarch64.so ;;
  *) keep="" ;;
esac
if [ -n "$keep" ]; then
  cat >"$STAGE/StripNatives.java" <<'JAVA'
import java.net.URI;
import java.nio.file.*;
import java.util.*;
/** Deletes from a jar every root entry named librocksdbjni-* but the one to keep. */
public class StripNatives {
    public static void main(String[] a) throws Exception {
        try (FileSystem zip = FileSystems.newFileSystem(Path.of(a[0]), Map.of())) {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(zip.getPath("/"), "librocksdbjni-*")) {
                for (Path e : entries) {
                    if (!e.getFileName().toString().equals(a[1])) Files.delete(e);
                }
            }
        }
    }
}
JAVA
  for jar in "$STAGE/libs$APP/lib"/rocksdbjni-*.jar; do
    [ -f "$jar" ] && java "$STAGE/StripNatives.java" "$jar" "$keep"
  done
  rm "$STAGE/StripNatives.java"
fi
cp cli/target/tributary.jar "$STAGE/app$APP/tributary.jar"
cp conf/*.properties "$STAGE/app$APP/conf/"
cp docker/entrypoint.sh "$STAGE/app$APP/bin/entrypoint.sh"
chmod 0755 "$STAGE/app$APP/bin/entrypoint.sh"
ln -s "$APP/bin/entrypoint.sh" "$STAGE/app/usr/local/bin/tributary"
layer_tar() { # DIR OUT.tar PATH...: every file root's, read-only for the user
  local dir=$1 tarball=$2
  shift 2
  tar --numeric-owner --owner=0 --group=0 --mode='u+rwX,go+rX,go-w' --sort=name --mtime='2020-01-01 00:00Z' \
    -C "$dir" -cf "$tarball" "$@"
}
layer_tar "$STAGE/libs" "$STAGE/libs.tar" opt
layer_tar "$STAGE/app" "$STAGE/app.tar" opt usr

rm -rf "$OUT/oci"
cp -a "$BASE/oci" "$OUT/oci"
IMAGE="$OUT/oci:$TAG"
umoci raw add-layer --image "$OUT/oci:base" --tag "$TAG" --history.created_by "third-party jars ($APP/lib)" "$STAGE/libs.tar"
umoci rm --image "$OUT/oci:base"
umoci raw add-layer --image "$IMAGE" --history.created_by "Tributary's jars, conf, entrypoint" "$STAGE/app.tar"
revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
umoci config --image "$IMAGE" --no-history \
  --config.user "$UID_GID:$UID_GID" \
  --config.entrypoint "$APP/bin/entrypoint.sh" \
  --config.workingdir "$HOME_DIR" \
  --config.env "PATH=$APP/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --config.env "TRIBUTARY_HOME=$APP" \
  --config.env "LANG=C.UTF-8" \
  --config.exposedports 6650/tcp --config.exposedports 6651/tcp --config.exposedports 6652/tcp \
  --config.exposedports 3181/tcp --config.exposedports 2181/tcp \
  --config.exposedports 8080/tcp --config.exposedports 8081/tcp --config.exposedports 8000/tcp --config.exposedports 7000/tcp \
  --config.label "org.opencontainers.image.title=tributary" \
  --config.label "org.opencontainers.image.version=$TAG" \
  --config.label "org.opencontainers.image.revision=$revision" \
  --config.stopsignal SIGTERM
umoci gc --layout "$OUT/oci"

# The size: what a registry stores and a node pulls (the compressed layers), and what the layers take
# unpacked on a node's disk (the layers' tar archives)
manifest=$(grep -o 'sha256:[0-9a-f]\{64\}' "$OUT/oci/index.json" | head -1)
compressed=0
for n in $(sed 's/.*"layers":\[//' "$OUT/oci/blobs/sha256/${manifest#sha256:}" | grep -o '"size":[0-9]*' | cut -d: -f2); do
  compressed=$(( compressed + n ))
done
unpacked=$(( $(cat "$BASE/base.bytes") + $(stat -c %s "$STAGE/libs.tar") + $(stat -c %s "$STAGE/app.tar") ))
rm -rf "$STAGE"
layers=$(sed 's/.*"layers":\[//' "$OUT/oci/blobs/sha256/${manifest#sha256:}" | grep -o '"digest"' | wc -l)
echo "image $OUT/oci:$TAG: $layers layers, $(( compressed / 1000000 )) MB compressed, $(( unpacked / 1000000 )) MB unpacked" \
  | tee "$OUT/size.txt"
echo "build-image: done in $(( $(date +%s) - started )) s" >&2
