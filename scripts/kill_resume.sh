#!/usr/bin/env bash
# Kills `spikeport sweep`, `table` and `hil` with SIGKILL at random moments, resumes each until
# it finishes, and checks that the result equals an uninterrupted run's (docs/reliability.md).
#
#   bash scripts/kill_resume.sh [KILLS]      # KILLS per command, default 20
#
# Small settings, so that a run takes seconds: a sweep of nas63 on `fast` (6 scales, 300
# training images), a table of spikey-net on `fast` and `spikey` with HIL (1 epoch on 300
# images), HIL on a Spikey chip with trial-to-trial noise (2 epochs on 1,000 images, checkpoint
# after every batch). Wall-clock fields are dropped before comparing; everything else must be
# equal. Exits non-zero at the first difference.
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-20}
cargo build --release --bin spikeport >/dev/null 2>&1
bin=$PWD/target/release/spikeport
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

cat >table.toml <<'EOF'
networks = ["spikey-net"]
platforms = ["fast", "spikey"]
images = 200
hardware_images = 200
calibration_images = 200
hardware_calibration_images = 100
[hil]
epochs = 1
train_images = 300
EOF
cat >hil.toml <<'EOF'
platform = "spikey"
images = 200
epochs = 2
train_images = 1000
max_weight = 0.015
EOF

# the commands, each writing its result to out-<name>.json (and its own state files); `exec`,
# so that the process started in the background is spikeport itself and the kill reaches it
sweep() { exec "$bin" sweep --network nas63 --platform fast --max-weights 0.01,0.012,0.015,0.0175,0.02,0.025 \
    --images 1000 --out "$1.jsonl" --json "out-$1.json" "${@:2}"; }
table() { exec "$bin" table --config table.toml --out "$1.md" --cells "$1.jsonl" --json "out-$1.json" "${@:2}"; }
hil() { exec "$bin" hil --config hil.toml --checkpoint "$1.ckpt" --json "out-$1.json" "${@:2}"; }

# a result without its wall-clock fields (sorted keys, so that the text compares)
strip() {
    python3 - "$1" <<'EOF'
import json, sys
def clean(v):
    if isinstance(v, dict):
        return {k: clean(x) for k, x in v.items() if "wall" not in k and k not in ("host_energy", "threads")}
    if isinstance(v, list):
        return [clean(x) for x in v]
    return v
print(json.dumps(clean(json.load(open(sys.argv[1]))), sort_keys=True))
EOF
}

for cmd in sweep table hil; do
    start=$(date +%s.%N)
    ($cmd whole >/dev/null 2>&1)
    whole_s=$(python3 -c "import time; print(time.time() - $start)")
    want=$(strip out-whole.json)
    echo "== $cmd: uninterrupted run ${whole_s%.*} s; $kills interrupted runs"
    for k in $(seq 1 "$kills"); do
        rm -f part.* out-part.json
        killed=0
        # the first start is fresh, every later one resumes
        flags=()
        while true; do
            delay=$(python3 -c "import random; print(round(random.uniform(0.05, 0.9 * $whole_s), 2))")
            $cmd part "${flags[@]}" >/dev/null 2>&1 &
            pid=$!
            sleep "$delay"
            if kill -9 "$pid" 2>/dev/null; then
                wait "$pid" 2>/dev/null || true
                killed=$((killed + 1))
                [[ $cmd == hil ]] || flags=(--resume)
                # after 3 kills let it finish
                if ((killed >= 3)); then
                    ($cmd part "${flags[@]}" >/dev/null 2>&1)
                    break
                fi
            else
                wait "$pid"
                break
            fi
        done
        got=$(strip out-part.json)
        if [[ "$got" != "$want" ]]; then
            echo "$cmd run $k (killed $killed times): the result differs from the uninterrupted run" >&2
            diff <(echo "$want" | python3 -m json.tool) <(echo "$got" | python3 -m json.tool) | head -20 >&2
            exit 1
        fi
        echo "  run $k: killed $killed times, resumed, equal"
    done
done
echo "all resumed runs equal the uninterrupted ones"
