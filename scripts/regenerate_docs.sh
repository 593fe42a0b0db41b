#!/usr/bin/env bash
# Regenerates every measured table and figure in docs/ from the shipped models and data.
#
#   bash scripts/regenerate_docs.sh            # everything (about 40 min on 2 cores: the table 21 min, the rest 20)
#   bash scripts/regenerate_docs.sh table      # only docs/results.md and its figures
#   RESUME=1 bash scripts/regenerate_docs.sh table   # continue an interrupted table run
#
# docs/results.md and the figures in docs/figures/ are written directly. The other docs
# quote figures from the logs this script writes to results/logs/<step>.log (one per step,
# with the command at its top); each quoted table names the step it comes from. Timings
# depend on the machine and on what else runs on it: the docs say which machine and load.
# Steps: table, seeds, benchmark, agreement, gpu, reference-presentation.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p results/logs docs/figures
steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(table seeds benchmark agreement gpu reference-presentation)

run() { # run STEP COMMAND...: the command and its output into results/logs/STEP.log
    local step=$1
    shift
    echo "== $step: $*"
    { echo "\$ $*"; echo "# $(date -u +%FT%TZ) on $(nproc) cores"; /usr/bin/env time -v "$@"; } \
        >"results/logs/$step.log" 2>&1 || { echo "step $step failed, see results/logs/$step.log"; exit 1; }
}

cargo build --release --examples
cargo build --release -p spikeport-cpu --example cpu_throughput
cargo build --release -p spikeport-gpu --example gpu_vs_fast

for step in "${steps[@]}"; do
    case $step in
    table) # docs/results.md, figures accuracy_vs_time, energy_vs_accuracy, energy_vs_copies
        run table target/release/examples/paper_table ${RESUME:+--resume} ;;
    seeds) # docs/backends/analog.md, docs/figures/seed_spread.*
        run seeds target/release/examples/analog_hil --json results/seeds.json --figures docs/figures ;;
    benchmark) # docs/benchmarks.md, the 5-network table
        run benchmark target/release/examples/paper_benchmark --conversion both \
            --json results/paper_benchmark.json --csv results/paper_benchmark.csv ;;
    agreement) # docs/benchmarks.md, Fast against Reference at dt 1 ms (the table's swept scales)
        for nw in nas63:0.02:10000 nas129:0.02:1000 nastop:0.0175:1000 diehl:0.009:1000; do
            IFS=: read -r net w n <<<"$nw"
            run "agreement-$net" target/release/examples/cpu_throughput --network "$net" --images "$n" \
                --max-weight "$w" --run fast,fastgenn,ref1
        done ;;
    gpu) # docs/backends/gpu.md, the GPU backend against Fast (on whatever Vulkan driver is installed)
        run gpu-nas63 target/release/examples/gpu_vs_fast --network nas63 --images 10000 --max-weight 0.02
        run gpu-diehl target/release/examples/gpu_vs_fast --network diehl --images 500 --max-weight 0.009 ;;
    reference-presentation) # docs/results.md, the NEST row with images back to back or each from rest
        for p in paper reset; do
            run "reference-$p" target/release/examples/paper_benchmark --backends reference \
                --networks spikey-net,nas63,nas129 --reference-images 10000 --presentation "$p" \
                --json "results/reference-$p.json"
        done ;;
    *) echo "unknown step $step"; exit 2 ;;
    esac
done
echo "logs in results/logs/"
