# parm — build libparm, the `parm` CLI, tests and benchmarks.
#   make            build ./parm and build/libparm.a (installs Debian deps if missing)
#   make test       build and run every test; ends with "N passed, N failed"
#   make demo       the main job end to end
#   make bench-*    benchmarks (print numbers; never fail on speed)
#   make test-browser  headless Chromium opens a `parm report` page (installs chromium if missing)
#   make install PREFIX=/usr/local   parm, libparm.a/.so, headers, parm.pc, shipped weights + benchmark
CC      ?= gcc
OPT     ?= -O3 -march=native
CFLAGS  += -std=c11 $(OPT) -g -Wall -Wextra -fopenmp -fPIC -Iinclude -D_GNU_SOURCE
LDLIBS  += -lopenblas -lpng -lcjson -lm -fopenmp
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

parm: $(CLI_OBJ) $(BUILD)/libparm.a
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libparm.a $(LDLIBS) $(CLI_LIBS)

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

test: parm $(TEST_BIN) $(EX_BIN) $(BUILD)/libparm.so
	@bash tests/run.sh $(TEST_BIN) tests/check_symbols.sh tests/check_example.sh tests/check_install.sh

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

demo: parm
	@bash tools/demo.sh

clean:
	rm -rf $(BUILD) parm

.PHONY: all test test-browser install demo clean FORCE
FORCE:
-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
-include $(wildcard bench/*.mk)
