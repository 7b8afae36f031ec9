#!/usr/bin/env bash
# scaling.sh — 1 rank x 1 thread, 1 rank x 2 threads and 2 ranks x 1 thread
# (mpirun on loopback) for one training command (the shipped generator
# fine-tuned: 6.9 M parameters, BATCH samples a step) and one benchmark
# command (baseline, shipped models). Prints, per configuration and run, the
# wall seconds, the user+sys CPU seconds, the rate the command itself reports
# (samples/s: the training loop's; images/s = images / bench seconds) and,
# for training on 2 ranks, the shares of the run spent gathering and summing
# the gradient shards and, before that, waiting for the slower rank. Every command runs at nice 10. docs/SCALING.md quotes it.
#   tools/scaling.sh [RUNS] [BATCH] [STEPS]      (default 2 8 4; out: runs/scaling/)
set -u
cd "$(dirname "$0")/.." || exit 1
RUNS=${1:-2} BATCH=${2:-8} STEPS=${3:-4}
D=runs/scaling
mkdir -p "$D"
export OMP_WAIT_POLICY=passive
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPI="mpirun -np 2 --oversubscribe --bind-to none --mca btl self,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo"
TRAIN="train gen --init weights/gen.safetensors --batch $BATCH --steps $STEPS --warmup 1 --eval-every 0 --seed 5 --ckpt '' --log ''"
BENCH="bench --method baseline --prompts 4 --images-per-prompt 2 --json --overwrite"
configs=("1x1|OMP_NUM_THREADS=1 ./parm --threads 1" "1x2|OMP_NUM_THREADS=2 ./parm --threads 2" "2x1|OMP_NUM_THREADS=1 $MPI ./parm --threads 1")
printf "%-6s %-4s %3s %8s %8s %12s %s\n" command cfg run wall_s cpu_s rate "gather+sum/wait"
for what in train bench; do
  for c in "${configs[@]}"; do
    name=${c%%|*} cmd=${c#*|}
    for r in $(seq "$RUNS"); do
      log=$D/$what-$name-$r.log
      if [ $what = train ]; then args="$TRAIN --out $D/w-$name.st"; else args="$BENCH --out $D/b-$name"; fi
      /usr/bin/time -f "TIME %e %U %S" -o "$log.time" nice -n 10 bash -c "$cmd $args" >"$log" 2>&1
      read -r _ wall u s < "$log.time"
      if [ $what = train ]; then
        rate=$(tr '\r' '\n' < "$log" | grep -o '[0-9.]* samples/s' | tail -1 | cut -d' ' -f1)
        comm=$(grep -o 'took [0-9.]*%, waiting for the slowest rank [0-9.]*%' "$log" | grep -o '[0-9.]*%' | paste -sd/)
      else
        rate=$(grep -o '"images": [0-9]*, .*"seconds_per_image": [0-9.]*' "$log" | sed -E 's/.*: ([0-9.]+)$/\1/' |
               awk '{ if ($1 > 0) printf "%.3f", 1 / $1 }')
        comm=
      fi
      printf "%-6s %-4s %3s %8s %8.1f %12s %8s\n" $what $name $r "$wall" "$(echo "$u + $s" | bc)" "${rate:-?}/s" "${comm:--}"
    done
  done
done
