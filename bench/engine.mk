# bench/engine.mk — `make bench-engine`: the transformer training engine vs PyTorch
# (tools/bench_engine_torch.py) on the same model, and vs this run's sgemm peak.
bench-engine: $(BUILD)/bench/bench_engine
	@bash tools/install-deps.sh bench
	./$(BUILD)/bench/bench_engine
.PHONY: bench-engine
