# bench/vq.mk — `make bench-vq`: tokenizer encode/decode speed and training speed vs PyTorch.
bench-vq: $(BUILD)/bench/bench_vq
	@bash tools/install-deps.sh bench
	./$(BUILD)/bench/bench_vq
.PHONY: bench-vq
