# bench/gen.mk — `make bench-gen`: the generator (sampler forward at B = 2/8/32,
# training step at batch 32) vs the same model in PyTorch (tools/bench_gen_torch.py),
# and parm_sample images/s. PARM_BENCH_REPS=N sets the timed repetitions (default 10).
bench-gen: $(BUILD)/bench/bench_gen
	@bash tools/install-deps.sh bench
	./$(BUILD)/bench/bench_gen
.PHONY: bench-gen
