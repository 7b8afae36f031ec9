# parm — build libparm, the `parm` CLI, tests and benchmarks.
#   make            build ./parm and build/libparm.a (installs Debian deps if missing)
#   make test       build and run every test; ends with "N passed, N failed"
#   make demo       the main job end to end
#   make bench-*    benchmarks (print numbers; never fail on speed)
#   make test-sanitize   the library, ./parm and every test built with ASan+UBSan
#                   in build-san/, then the suite run against them
#   make fuzz       libFuzzer harnesses (tests/fuzz/) built with clang in build-fuzz/,
#                   each run FUZZ_RUNS executions or FUZZ_TIME seconds, niced, one at a time
CC      ?= gcc
OPT     ?= -O3 -march=native
CFLAGS  += -std=c11 $(OPT) -g -Wall -Wextra -fopenmp -Iinclude -D_GNU_SOURCE
LDLIBS  += -ldnnl -lopenblas -lpng -lcjson -lm -fopenmp
BUILD   := build

LIB_SRC  := $(wildcard src/engine/*.c src/world/*.c src/models/*.c src/methods/*.c)
CLI_SRC  := $(wildcard src/cli/*.c)
TEST_SRC := $(wildcard tests/test_*.c)
BENCH_SRC:= $(wildcard bench/*.c)
EX_SRC   := $(wildcard examples/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_BIN:= $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
EX_BIN   := $(EX_SRC:examples/%.c=$(BUILD)/examples/%)
DEPS_STAMP := $(BUILD)/.deps-ok

all: parm $(EX_BIN)

$(DEPS_STAMP): tools/install-deps.sh
	@bash tools/install-deps.sh
	@mkdir -p $(BUILD) && touch $@

$(BUILD)/%.o: %.c $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libparm.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

parm: $(CLI_OBJ) $(BUILD)/libparm.a
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libparm.a $(LDLIBS)

$(BUILD)/tests/%: tests/%.c tests/test.h $(BUILD)/libparm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(BUILD)/libparm.a $(LDLIBS)

# examples link libparm exactly as an outside program would: include/ + the archive
$(BUILD)/examples/%: examples/%.c $(BUILD)/libparm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libparm.a $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libparm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libparm.a $(LDLIBS)

# the GEMM-using tests run again on oneDNN f32 and bf16 (bf16 falls back to
# f32, saying so, on CPUs without bf16 dot products; see tests/test.h)
GEMM_TESTS := $(BUILD)/tests/test_ops $(BUILD)/tests/test_nn $(BUILD)/tests/test_gen $(BUILD)/tests/test_judge

# the fuzz replay test links the CLI's objects too (plot_row_parse lives in cmd_plot.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
CLI_LIB_OBJ := $(filter-out $(BUILD)/src/cli/main.o,$(CLI_OBJ))
$(BUILD)/tests/test_fuzz_replay: tests/test_fuzz_replay.c tests/test.h tests/fuzz/fuzz.h $(FUZZ_SRC) $(CLI_LIB_OBJ) $(BUILD)/libparm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(CLI_LIB_OBJ) $(BUILD)/libparm.a $(LDLIBS)

test: parm $(TEST_BIN) $(EX_BIN)
	@bash tests/run.sh $(TEST_BIN) $(foreach p,f32 bf16,$(foreach t,$(GEMM_TESTS),PARM_PRECISION=$p:$t)) \
	  tests/check_symbols.sh tests/check_example.sh

# ---- sanitizers: a second build of everything in build-san/ (make -C . BUILD=build-san) ----
SAN_FLAGS := -O1 -march=native -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
test-sanitize:
	@$(MAKE) --no-print-directory BUILD=build-san OPT="$(SAN_FLAGS)" build-san/parm $(TEST_SRC:tests/%.c=build-san/tests/%)
	@bash tests/sanitize.sh $(SAN_TESTS)
SAN_TESTS = $(filter-out $(SAN_SKIP:%=build/tests/%),$(TEST_SRC:tests/%.c=build/tests/%))
SAN_SKIP ?=
build-san/parm: $(CLI_OBJ) $(BUILD)/libparm.a
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libparm.a $(LDLIBS)

# ---- fuzzing (clang + libFuzzer: tools/install-deps.sh fuzz) ----
FUZZ_CC    ?= clang
FUZZ_RUNS  ?= 1000000
FUZZ_TIME  ?= 1800
FUZZ_BUILD := build-fuzz
FUZZ_CFLAGS := -std=c11 -O1 -g -fno-omit-frame-pointer -fopenmp -Iinclude -D_GNU_SOURCE -Wall -Wextra \
	-Wno-unused-command-line-argument -Wno-pass-failed -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o) $(filter-out $(FUZZ_BUILD)/src/cli/main.o,$(CLI_SRC:%.c=$(FUZZ_BUILD)/%.o))
FUZZ_BIN := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)
$(FUZZ_BUILD)/.deps-ok: tools/install-deps.sh
	@bash tools/install-deps.sh fuzz
	@mkdir -p $(FUZZ_BUILD) && touch $@
$(FUZZ_BUILD)/%.o: %.c $(FUZZ_BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DPARM_LIBFUZZER -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJ) $(LDLIBS)
.SECONDARY: $(FUZZ_LIB_OBJ)
fuzz-build: $(FUZZ_BIN)
fuzz: $(FUZZ_BIN)
	@FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_TIME=$(FUZZ_TIME) bash tests/fuzz/run.sh $(FUZZ_NAMES)
# regenerate the committed seed corpora (tests/fuzz/NAME/seed/)
fuzz-seeds: $(BUILD)/tests/make_seeds
	$(BUILD)/tests/make_seeds
$(BUILD)/tests/make_seeds: tests/fuzz/make_seeds.c $(BUILD)/libparm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libparm.a $(LDLIBS)

demo: parm
	@bash tools/demo.sh

clean:
	rm -rf $(BUILD) build-san $(FUZZ_BUILD) parm

.PHONY: all test demo clean test-sanitize fuzz fuzz-build fuzz-seeds
-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
-include $(wildcard bench/*.mk)
