#!/usr/bin/env bash
# Prepare this checkout for benchmarks/gpu_check.py on a lent GPU machine (../shared/GPU.md).
#
# Run it here, on the development machine, before the GPU run:
#
#     bash benchmarks/gpu_prepare.sh [CORPORA]        # default: $SKLEARN_SER_DATA or ../shared/corpora
#
# It fills the git-ignored folder .gpu/ (added to the repository's info/exclude) with
#   .gpu/whl/      wheels of the packages the GPU image lacks (skorch, librosa, soundfile, ...;
#                  about 2.5 MB), for CPython 3.12 on manylinux x86_64;
#   .gpu/corpora/  a slice of EmoDB: speakers 03, 08, 09, 10, 11 and 12 (278 files, about
#                  25 MB), enough for every real-data test of the GPU suites.
# Then run on the GPU machine, carrying .gpu (64 MiB limit with the checkout):
#
#     python3 benchmarks/gpu_check.py "$OUT"
#
# gpu_check.py installs the wheels into /tmp/site itself and points SKLEARN_SER_DATA at
# .gpu/corpora.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPORA=${1:-${SKLEARN_SER_DATA:-../shared/corpora}}
EXCLUDE=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$EXCLUDE")"
grep -qxF '.gpu/' "$EXCLUDE" 2>/dev/null || echo '.gpu/' >> "$EXCLUDE"

mkdir -p .gpu/whl
python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .gpu/whl \
    skorch librosa soundfile soxr audioread pooch decorator platformdirs cffi pycparser

if [ ! -d "$CORPORA/emodb/wav" ]; then
    echo "no EmoDB under $CORPORA (expected $CORPORA/emodb/wav); pass the corpora folder" >&2
    exit 1
fi
mkdir -p .gpu/corpora/emodb/wav
for speaker in 03 08 09 10 11 12; do
    cp -n "$CORPORA"/emodb/wav/"$speaker"*.wav .gpu/corpora/emodb/wav/
done
cp -n "$CORPORA"/emodb/*.txt .gpu/corpora/emodb/ 2>/dev/null || true
du -sh .gpu/whl .gpu/corpora
echo "ready: carry .gpu (run(carry=['.gpu'], command='python3 benchmarks/gpu_check.py \$OUT'))"
