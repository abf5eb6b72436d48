#!/bin/sh
# Rebuild the bundled sample scenes from the simulator (deterministic: same seeds, same files).
# Run from the repository root: sh recordings/regenerate.sh
set -e
cd "$(dirname "$0")/.."
R=recordings
honk-edge simulate --overwrite --out $R/spiral32-street --seed 4 --profile pole-spiral32 --camera road-540p-50deg \
    --scenario default --horns 2 --confusers bird,speech --duration 6 --sample-rate 24000 --subtype PCM_16
honk-edge simulate --overwrite --out $R/spiral32-two-horns --seed 2 --profile pole-spiral32 --scenario two-horns \
    --confusers none --duration 5 --sample-rate 16000 --subtype PCM_16 --no-video
honk-edge simulate --overwrite --out $R/uma16-one-horn --seed 1 --profile dev-uma16 --scenario quiet \
    --duration 6 --sample-rate 16000 --subtype PCM_16
honk-edge simulate --overwrite --out $R/uma16-confusers --seed 3 --profile dev-uma16 --scenario busy --horns 0 \
    --confusers siren,beeper,brake,bird,music --wind 4 --duration 6 --sample-rate 16000 --subtype PCM_16 --no-video
