# parm — build libparm, the `parm` CLI, tests and benchmarks.
#   make            build ./parm and build/libparm.a (installs Debian deps if missing)
#   make test       build and run every test; ends with "N passed, N failed"
#   make demo       the main job end to end
#   make bench-*    benchmarks (print numbers; never fail on speed)
#   make test-sanitize   the library, ./parm and every test built with ASan+UBSan
#                   in build-san/, then the suite run against them
#   make fuzz       libFuzzer harnesses (tests/fuzz/) built with clang in build-fuzz/,
#                   each run FUZZ_RUNS executions or FUZZ_TIME seconds, niced, one at a time
#   make test-browser  headless Chromium opens a `parm report` page (installs chromium if missing)
#   make install PREFIX=/usr/local   parm, libparm.a/.so, headers, parm.pc, shipped weights + benchmark
#   make MPI=1 / MPI=0   force the optional MPI backend of ./parm on or off (default: on when mpicc is found;
#                   tools/install-deps.sh mpi installs OpenMPI); libparm never links MPI (parm/dist.h)
CC      ?= gcc
OPT     ?= -O3 -march=native
CFLAGS  += -std=c11 $(OPT) -g -Wall -Wextra -fopenmp -fPIC -Iinclude -D_GNU_SOURCE
LDLIBS  += -ldnnl -lopenblas -lpng -lcjson -lm -fopenmp
CLI_LIBS := -lcrypto
BUILD   := build
PREFIX  ?= /usr/local
# `git describe` of the checkout, baked into parm (parm --version, run.json)
PARM_VERSION := $(shell git describe --always --dirty --tags 2>/dev/null || echo unknown)

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

.DEFAULT_GOAL := all

# optional MPI: src/cli/mpi/dist_mpi.c (OpenMPI's mpicc wrapper flags) goes into ./parm only
MPI ?= $(if $(shell command -v mpicc 2>/dev/null),1,0)
ifeq ($(MPI),1)
MPI_CFLAGS := $(shell mpicc --showme:compile)
MPI_LIBS   := $(shell mpicc --showme:link)
MPI_OBJ    := $(BUILD)/src/cli/mpi/dist_mpi.o
$(BUILD)/src/cli/main.o: CFLAGS += -DPARM_MPI
$(MPI_OBJ): CFLAGS += $(MPI_CFLAGS)
endif
# main.o is rebuilt when MPI is switched on or off
$(BUILD)/mpi.txt: FORCE
	@mkdir -p $(BUILD); [ "$$(cat $@ 2>/dev/null)" = "$(MPI)" ] || echo "$(MPI)" > $@
$(BUILD)/src/cli/main.o: $(BUILD)/mpi.txt

all: parm $(EX_BIN)

$(DEPS_STAMP): tools/install-deps.sh
	@bash tools/install-deps.sh
	@mkdir -p $(BUILD) && touch $@

# objects are rebuilt when the compiler flags change (e.g. -fPIC for libparm.so)
$(BUILD)/cflags.txt: FORCE
	@mkdir -p $(BUILD); [ "$$(cat $@ 2>/dev/null)" = "$(CC) $(CFLAGS)" ] || echo "$(CC) $(CFLAGS)" > $@

$(BUILD)/%.o: %.c $(DEPS_STAMP) $(BUILD)/cflags.txt
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libparm.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libparm.so: $(LIB_OBJ)
	$(CC) -shared -o $@ $^ $(LDLIBS)

# version.o is rebuilt whenever the describe string changes
$(BUILD)/version.txt: FORCE
	@mkdir -p $(BUILD); [ "$$(cat $@ 2>/dev/null)" = "$(PARM_VERSION)" ] || echo "$(PARM_VERSION)" > $@
$(BUILD)/src/cli/version.o: src/cli/version.c $(BUILD)/version.txt $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DPARM_VERSION='"$(PARM_VERSION)"' -c $< -o $@

parm: $(CLI_OBJ) $(MPI_OBJ) $(BUILD)/libparm.a
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(MPI_OBJ) $(BUILD)/libparm.a $(LDLIBS) $(CLI_LIBS) $(MPI_LIBS)

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
	$(CC) $(CFLAGS) -Itests -o $@ $< $(CLI_LIB_OBJ) $(BUILD)/libparm.a $(LDLIBS) $(CLI_LIBS)

test: parm $(TEST_BIN) $(EX_BIN) $(BUILD)/libparm.so
	@bash tests/run.sh $(TEST_BIN) $(foreach p,f32 bf16,$(foreach t,$(GEMM_TESTS),PARM_PRECISION=$p:$t)) \
	  tests/check_symbols.sh tests/check_example.sh tests/check_install.sh

# headless Chromium renders `parm report` of a small bench run; the DOM is checked
test-browser: parm
	@bash tools/install-deps.sh browser
	@bash tests/run.sh tests/check_browser.sh

# PREFIX/bin/parm finds PREFIX/share/parm/{weights,bench} (cli_home)
install: parm $(BUILD)/libparm.a $(BUILD)/libparm.so
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/parm \
	    $(DESTDIR)$(PREFIX)/share/parm/weights $(DESTDIR)$(PREFIX)/share/parm/bench
	install -m 755 parm $(DESTDIR)$(PREFIX)/bin/parm
	install -m 644 $(BUILD)/libparm.a $(DESTDIR)$(PREFIX)/lib/libparm.a
	install -m 755 $(BUILD)/libparm.so $(DESTDIR)$(PREFIX)/lib/libparm.so
	install -m 644 include/parm.h $(DESTDIR)$(PREFIX)/include/parm.h
	install -m 644 include/parm/*.h $(DESTDIR)$(PREFIX)/include/parm/
	install -m 644 weights/*.safetensors $(DESTDIR)$(PREFIX)/share/parm/weights/
	install -m 644 bench/geneval-shapes.jsonl $(DESTDIR)$(PREFIX)/share/parm/bench/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(PARM_VERSION)|' tools/parm.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/parm.pc

# ---- sanitizers: a second build of everything in build-san/ (make -C . BUILD=build-san) ----
SAN_FLAGS := -O1 -march=native -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
test-sanitize:
	@$(MAKE) --no-print-directory BUILD=build-san OPT="$(SAN_FLAGS)" build-san/parm $(TEST_SRC:tests/%.c=build-san/tests/%)
	@bash tests/sanitize.sh $(SAN_TESTS)
SAN_TESTS = $(filter-out $(SAN_SKIP:%=build/tests/%),$(TEST_SRC:tests/%.c=build/tests/%))
# test_mpi: OpenMPI's own runtime is not LeakSanitizer-clean (it runs in `make test`)
SAN_SKIP ?= test_mpi
build-san/parm: $(CLI_OBJ) $(MPI_OBJ) $(BUILD)/libparm.a
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(MPI_OBJ) $(BUILD)/libparm.a $(LDLIBS) $(CLI_LIBS) $(MPI_LIBS)

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
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DPARM_LIBFUZZER -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJ) $(LDLIBS) $(CLI_LIBS)
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

.PHONY: all test test-browser install demo clean test-sanitize fuzz fuzz-build fuzz-seeds FORCE
FORCE:
-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(MPI_OBJ:.o=.d)
-include $(wildcard bench/*.mk)
