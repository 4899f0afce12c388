#!/usr/bin/env bash
# The small experiments of docs/results.md: every preset of a suite on both datasets,
# same config file (same steps, batch, seed, data, augmentations), on the cpu backend.
# Usage: scripts/experiments.sh [syncp|cdg|all] [OUT_DIR]   (OUT_DIR defaults to runs/exp)
# Then: npx tsx scripts/summarise-runs.ts OUT_DIR/<suite>
set -euo pipefail
cd "$(dirname "$0")/.."
suite="${1:-all}"
out="${2:-runs/exp}"
steps="${STEPS:-300}"

run() { # suite dataset preset
  local dir="$out/$1" name="$2-$3"
  mkdir -p "$dir"
  echo "experiments: $1 $name ($steps steps)" >&2
  npm run -s train -- --preset "$3" --steps "$steps" --backend cpu --json \
    --config "docs/experiments/$1-$2.json" --out "$dir/$name" > "$dir/$name.jsonl"
}

if [ "$suite" = syncp ] || [ "$suite" = all ]; then
  for d in shapes fashion-mnist; do
    for p in byol-dense syncp-unstructured syncp-channel syncp-2of4; do run syncp "$d" "$p"; done
  done
fi
if [ "$suite" = cdg ] || [ "$suite" = all ]; then
  for d in shapes fashion-mnist; do
    for p in simclr-dense cdg; do run cdg "$d" "$p"; done
  done
fi
