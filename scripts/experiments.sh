#!/usr/bin/env bash
# The small experiments of docs/results.md: every preset of a suite on both datasets,
# same config file (same steps, batch, seed, data, augmentations), on the cpu backend.
# Usage: scripts/experiments.sh [syncp|cdg|all] [OUT_DIR]   (OUT_DIR defaults to runs/exp)
# Env: DATASETS (default "shapes fashion-mnist"), STEPS (default 300), SEED (default: the config file's, 1; another seed adds -sSEED to run names).
# Then: npx tsx scripts/summarise-runs.ts OUT_DIR/<suite>
set -euo pipefail
cd "$(dirname "$0")/.."
suite="${1:-all}"
out="${2:-runs/exp}"
steps="${STEPS:-300}"
seed_args=(); suffix=""
if [ -n "${SEED:-}" ]; then seed_args=(--seed "$SEED"); suffix="-s$SEED"; fi

run() { # suite dataset preset
  local dir="$out/$1" name="$2-$3$suffix"
  mkdir -p "$dir"
  echo "experiments: $1 $name ($steps steps)" >&2
  npm run -s train -- --preset "$3" --steps "$steps" --backend cpu --json "${seed_args[@]}" \
    --config "docs/experiments/$1-$2.json" --out "$dir/$name" > "$dir/$name.jsonl"
}

datasets="${DATASETS:-shapes fashion-mnist}"
if [ "$suite" = syncp ] || [ "$suite" = all ]; then
  for d in $datasets; do
    for p in byol-dense syncp-unstructured syncp-channel syncp-2of4; do run syncp "$d" "$p"; done
  done
fi
if [ "$suite" = cdg ] || [ "$suite" = all ]; then
  for d in $datasets; do
    for p in simclr-dense cdg; do run cdg "$d" "$p"; done
  done
fi
