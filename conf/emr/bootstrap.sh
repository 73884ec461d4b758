#!/bin/bash
# EMR bootstrap action: runs on every node before applications start.
# Args: the S3 prefix holding the artifacts of `make package` (wheel + SHA256SUMS).
set -euo pipefail
ARTIFACTS="${1:?usage: bootstrap.sh s3://bucket/prefix}"
sudo dnf install -y python3.11 python3.11-pip
workdir=$(mktemp -d)
aws s3 cp --recursive --exclude "*" --include "lakescan-*.whl" --include SHA256SUMS "$ARTIFACTS/" "$workdir/"
(cd "$workdir" && grep '\.whl$' SHA256SUMS | sha256sum -c -)
# Spark and Delta come with EMR: install lakescan and its pure-Python/native deps only.
sudo python3.11 -m pip install --no-cache-dir "$workdir"/lakescan-*.whl "pyarrow>=15"
