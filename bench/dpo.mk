# bench/dpo.mk — `make bench-dpo`: a DPO training step (B pairs: reference forward + policy
# forward/backward) vs a plain generator step on the same 2B sequences, interleaved in one run;
# pairs/s and the ratio. PARM_BENCH_REPS=N sets the timed repetitions (default 10).
bench-dpo: $(BUILD)/bench/bench_dpo
	./$(BUILD)/bench/bench_dpo
.PHONY: bench-dpo
