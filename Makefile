# parm — build libparm, the `parm` CLI, tests and benchmarks.
#   make            build ./parm and build/libparm.a (installs Debian deps if missing)
#   make test       build and run every test; ends with "N passed, N failed"
#   make demo       the main job end to end
#   make bench-*    benchmarks (print numbers; never fail on speed)
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
test: parm $(TEST_BIN) $(EX_BIN)
	@bash tests/run.sh $(TEST_BIN) $(foreach p,f32 bf16,$(foreach t,$(GEMM_TESTS),PARM_PRECISION=$p:$t)) \
	  tests/check_symbols.sh tests/check_example.sh

demo: parm
	@bash tools/demo.sh

clean:
	rm -rf $(BUILD) parm

.PHONY: all test demo clean
-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
-include $(wildcard bench/*.mk)
