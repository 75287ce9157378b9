#!/bin/bash
# t/build.sh - bootstrap, configure and build in the source tree.
# Extra arguments go to ./configure.
set -eu
cd "$(dirname "$0")/.."
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
    autoreconf -fi
fi
if [ ! -f Makefile ] || [ -n "${1-}" ]; then
    ./configure --enable-werror "$@"
fi
make -j"$(nproc)"
