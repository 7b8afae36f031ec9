# bench/ops.mk — `make bench-ops`: op micro-benchmarks (ms per call, GFLOPS, sgemm peak).
bench-ops: $(BUILD)/bench/bench_ops
	./$(BUILD)/bench/bench_ops
.PHONY: bench-ops
