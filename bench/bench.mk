# bench.mk — benchmark targets (included by the Makefile).
#   make bench-grader   images graded per second (goal: >= 5,000 on 2 cores)
bench-grader: $(BUILD)/bench/bench_grader
	@$(BUILD)/bench/bench_grader

.PHONY: bench-grader
