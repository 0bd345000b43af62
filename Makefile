# maasctl: one C11 binary for Models-as-a-Service on Kubernetes/OpenShift.
#
#   make             build build/maasctl (warnings are errors)
#   make check       install deps, build, run every suite; ends "N passed, N failed"
#   make demo        install deps, build, run the demo on a local sandbox
#   make install     PREFIX=/usr/local DESTDIR= : binary, man pages, completions
#   make fuzz        libFuzzer targets (clang); make fuzz-smoke runs each 20 s
#   make bench       benchmarks; results under tests/bench/results/
#   SANITIZE=1       build with ASan+UBSan (on by default when CI=true)
#   CHECK_JOBS=N     make check builds with -jN and runs N suites at once
#                    (default: the number of CPUs)

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/vendor-completions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d

ifeq ($(CI),true)
SANITIZE ?= 1
endif
SANITIZE ?= 0

CC	?= cc
PKGS	= libcurl libcjson yaml-0.1 openssl libevent libevent_openssl sqlite3 libedit
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libcurl, SQLite and libedit are not linked: common/curl_dl.c,
# sqlite_dl.c and edit_dl.c load them on first use (see common/lazylib.h).
LAZY_PKGS = libcurl sqlite3 libedit
PKG_LIBS = $(shell pkg-config --libs $(filter-out $(LAZY_PKGS),$(PKGS)) 2>/dev/null)

VERSION	:= $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

ifeq ($(SANITIZE),1)
BUILD	?= build/san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT	= -O1
else
BUILD	?= build
SANFLAGS =
OPT	= -O2
endif

WARN	= -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	  -Wformat=2 -Wno-format-nonliteral
CPPFLAGS += -D_GNU_SOURCE -iquote common -iquote cli -DMAASCTL_VERSION='"$(VERSION)"' \
	    -DMAASCTL_COMMIT='"$(GIT_COMMIT)"'
CFLAGS	?= $(OPT) -g
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS)
# liburing (the model simulator's batched token writes) is linked
# statically: nothing to load at run time for the commands that never use it.
LDLIBS	= $(PKG_LIBS) -l:liburing.a -lm -lpthread -ldl

COMMON_SRC = $(sort $(wildcard common/*.c))
CLI_SRC	= $(sort $(wildcard cli/*.c) $(wildcard cli/sandbox/*.c))
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
HELPER_SRC = $(sort $(wildcard tests/helpers/*.c))
FUZZ_SRC = $(sort $(wildcard tests/fuzz/fuzz_*.c))

COMMON_OBJ = $(COMMON_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ	= $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN = $(UNIT_SRC:%.c=$(BUILD)/%)
HELPER_BIN = $(HELPER_SRC:%.c=$(BUILD)/%)
FUZZ_BIN = $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)

LIB	= $(BUILD)/libmaas.a
BIN	= $(BUILD)/maasctl

.PHONY: all deps check test demo install uninstall clean fuzz fuzz-smoke bench
.DEFAULT_GOAL := all

all: $(BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(COMMON_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The sandbox's built-in CRDs and seed objects, embedded at build time.
EMBED_SRC = $(sort $(wildcard cli/sandbox/crds/*.yaml)) cli/sandbox/seed/seed.yaml
EMBED_OBJ = $(BUILD)/gen/sbx_embedded.o
$(BUILD)/gen/sbx_embedded.c: $(EMBED_SRC) scripts/embed-files
	@mkdir -p $(dir $@)
	scripts/embed-files $(EMBED_SRC) > $@.tmp && mv $@.tmp $@
$(EMBED_OBJ): $(BUILD)/gen/sbx_embedded.c
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BIN): $(CLI_OBJ) $(EMBED_OBJ) $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $(CLI_OBJ) $(EMBED_OBJ) $(LIB) $(LDLIBS)

$(BUILD)/tests/unit/%: tests/unit/%.c tests/unit/tap.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -iquote tests/unit $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# Unit tests of sandbox modules also link the sandbox objects they test.
SBX_TEST_OBJ = $(BUILD)/cli/sandbox/tokens.o $(BUILD)/cli/sandbox/certs.o \
	       $(BUILD)/cli/sandbox/statedir.o
SBX_TEST_BIN = $(BUILD)/tests/unit/test_tokens $(BUILD)/tests/unit/test_certs
$(SBX_TEST_BIN): $(BUILD)/tests/unit/%: tests/unit/%.c tests/unit/tap.h \
    $(SBX_TEST_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -iquote tests/unit $(ALL_CFLAGS) -o $@ $< $(SBX_TEST_OBJ) \
	    $(LIB) $(LDLIBS)

# Unit tests of schema.c, crds.c, openapi.c and protobuf.c.
SCHEMA_TEST_OBJ = $(BUILD)/cli/sandbox/schema.o $(BUILD)/cli/sandbox/crds.o \
	$(BUILD)/cli/sandbox/openapi.o $(BUILD)/cli/sandbox/protobuf.o $(EMBED_OBJ)
SCHEMA_TEST_BIN = $(BUILD)/tests/unit/test_schema \
	$(BUILD)/tests/unit/test_crd_drift $(BUILD)/tests/unit/test_openapi \
	$(BUILD)/tests/unit/test_protobuf
$(SCHEMA_TEST_BIN): $(BUILD)/tests/unit/%: tests/unit/%.c tests/unit/tap.h \
    $(SCHEMA_TEST_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -iquote tests/unit $(ALL_CFLAGS) -o $@ $< \
	    $(SCHEMA_TEST_OBJ) $(LIB) $(LDLIBS)

# The sandbox-serve helper runs sbx_serve: it links the sandbox objects.
SBX_OBJ = $(filter $(BUILD)/cli/sandbox/%,$(CLI_OBJ))

# Unit tests of metrics.c and promql.c link every sandbox object.
$(BUILD)/tests/unit/test_metrics: tests/unit/test_metrics.c tests/unit/tap.h \
    $(SBX_OBJ) $(EMBED_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -iquote tests/unit $(ALL_CFLAGS) -o $@ $< $(SBX_OBJ) \
	    $(EMBED_OBJ) $(LIB) $(LDLIBS)
$(BUILD)/tests/helpers/sandbox-serve: tests/helpers/sandbox-serve.c $(SBX_OBJ) $(EMBED_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(SBX_OBJ) $(EMBED_OBJ) $(LIB) $(LDLIBS)

# The model simulator's unit test and standalone server link its objects.
# (every cli/sandbox/modelsim*.c, so a new part needs no edit here).
MSIM_OBJ = $(patsubst %.c,$(BUILD)/%.o,$(wildcard cli/sandbox/modelsim*.c)) \
	$(BUILD)/cli/sandbox/chunked.o
$(BUILD)/tests/unit/test_modelsim: tests/unit/test_modelsim.c tests/unit/tap.h \
    $(MSIM_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -iquote tests/unit $(ALL_CFLAGS) -o $@ $< $(MSIM_OBJ) \
	    $(LIB) $(LDLIBS)
$(BUILD)/tests/helpers/modelsim-serve: tests/helpers/modelsim-serve.c $(MSIM_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(MSIM_OBJ) $(LIB) $(LDLIBS)

$(BUILD)/tests/helpers/%: tests/helpers/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

tests-build: $(BIN) $(UNIT_BIN) $(HELPER_BIN)

deps:
	scripts/install-deps

# The README's test command.  Installs what it needs, then runs every suite.
CHECK_JOBS ?= $(shell nproc 2>/dev/null || echo 1)

check: deps
	$(MAKE) -j$(CHECK_JOBS) tests-build
	$(MAKE) -j$(CHECK_JOBS) fuzz
	BUILD=$(BUILD) MAASCTL=$(abspath $(BIN)) tests/run -j $(CHECK_JOBS)

test: tests-build
	BUILD=$(BUILD) MAASCTL=$(abspath $(BIN)) tests/run

demo: deps
	$(MAKE) all $(BUILD)/tests/helpers/modelsim-serve
	MAASCTL=$(abspath $(BIN)) scripts/demo

# Fuzz targets link a libFuzzer-instrumented build of common/, compiled once.
FUZZ_CFLAGS = -std=c11 -g -O1 -fsanitize=address,undefined $(CPPFLAGS) $(PKG_CFLAGS)
FUZZ_OBJ = $(COMMON_SRC:%.c=build/fuzz/obj/%.o)
build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

build/fuzz/libmaas-fuzz.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c build/fuzz/libmaas-fuzz.a
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< build/fuzz/libmaas-fuzz.a $(LDLIBS)

fuzz: $(FUZZ_BIN)

fuzz-smoke: fuzz
	tests/fuzz/smoke $(FUZZ_BIN)

bench: all
	MAASCTL=$(abspath $(BIN)) tests/bench/run

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/maasctl
	install -m 0644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	$(BIN) completion bash >$(DESTDIR)$(BASHCOMPDIR)/maasctl
	$(BIN) completion zsh >$(DESTDIR)$(ZSHCOMPDIR)/_maasctl
	$(BIN) completion fish >$(DESTDIR)$(FISHCOMPDIR)/maasctl.fish
	install -m 0755 completions/kubectl_complete-maas $(DESTDIR)$(BINDIR)/kubectl_complete-maas
	ln -sf maasctl $(DESTDIR)$(BINDIR)/kubectl-maas

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/maasctl $(DESTDIR)$(BASHCOMPDIR)/maasctl \
	    $(DESTDIR)$(BINDIR)/kubectl_complete-maas $(DESTDIR)$(BINDIR)/kubectl-maas \
	    $(DESTDIR)$(ZSHCOMPDIR)/_maasctl $(DESTDIR)$(FISHCOMPDIR)/maasctl.fish
	cd man && for m in *.1; do rm -f $(DESTDIR)$(MANDIR)/man1/$$m; done

clean:
	rm -rf build

-include $(COMMON_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d)
