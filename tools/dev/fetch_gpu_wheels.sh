#!/bin/sh
# Fetch the GPU packages that tools/gpu_check.sh installs on a CUDA machine without a package index, into the
# git-ignored folder .whl/ (run this on a machine that reaches PyPI; see docs/gpu.md).
#
# The wheels are unpacked into one site folder and packed as .whl/gpu-site.tar.xz (about 42 MB: spconv's wheel
# alone is 70 MB zipped, over a 64 MiB transfer limit, and 40 MB with xz), which gpu_check.sh unpacks into a
# temporary site. Python 3.12, x86-64, CUDA 12.6 builds of spconv/cumm (they carry their own CUDA runtime, which a
# CUDA 13 driver runs). mamba-ssm is not fetched: it has no binary wheel, and builds its CUDA extension on install.
#
#   sh tools/dev/fetch_gpu_wheels.sh            # -> .whl/gpu-site.tar.xz
#   sh tools/dev/fetch_gpu_wheels.sh --no-spconv   # fla only (a few MB)
set -eu
cd "$(dirname "$0")/../.."
PYVER=${PYVER:-3.12}
PACKAGES="fla-core==0.6.0 addict==2.4.0 tensorboardX==2.6.5"
if [ "${1:-}" != "--no-spconv" ]; then
  # spconv 2.3.8 pins cumm < 0.8; pccm, ccimport, fire, termcolor and lark are its pure-Python needs
  PACKAGES="$PACKAGES spconv-cu126==2.3.8 cumm-cu126==0.7.11 pccm==0.4.16 ccimport==0.4.4 fire==0.7.1 termcolor lark"
fi
mkdir -p .whl/cache
rm -rf .whl/site
# shellcheck disable=SC2086
python3 -m pip download -q --no-deps --only-binary=:all: --python-version "$PYVER" --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --platform manylinux1_x86_64 --platform any -d .whl/cache $PACKAGES
mkdir -p .whl/site
for name in $PACKAGES; do
  stem=$(echo "${name%%==*}" | tr '-' '_' | tr 'A-Z' 'a-z')
  wheel=$(ls .whl/cache/ | tr 'A-Z' 'a-z' | grep -n "^${stem}-" | head -1 | cut -d: -f1)
  [ -n "$wheel" ] || { echo "no wheel for $name in .whl/cache" >&2; exit 1; }
  file=$(ls .whl/cache/ | sed -n "${wheel}p")
  python3 -m zipfile -e ".whl/cache/$file" .whl/site
done
rm -rf .whl/site/*.dist-info/RECORD
tar -C .whl/site -cf - . | xz -9 -T2 > .whl/gpu-site.tar.xz.tmp
mv .whl/gpu-site.tar.xz.tmp .whl/gpu-site.tar.xz
rm -rf .whl/site
ls -la .whl/gpu-site.tar.xz
