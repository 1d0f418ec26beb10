# SPDX-License-Identifier: GPL-2.0
#
# m2mgw top-level Makefile.  Everything builds into build/; `make help`
# lists the targets.  The module is built per kernel in
# build/kmod/$(KVER) from a copy of Kbuild, kernel/ and include/, so the
# 6.1 and 6.12 builds live side by side.

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD := $(TOP)/build
SHELL := /bin/bash

# Build and test with the Debian packages `make deps` installs, not with
# whatever a user's PATH puts first (a pyenv shim costs seconds per
# python3 run on a loaded machine; the tests run python3 hundreds of times).
export PATH := /usr/sbin:/usr/bin:/sbin:/bin:$(PATH)

# The kernels m2mgw is built and tested for (written by scripts/deps.sh);
# without that file, whatever Debian kernels have headers installed.
KERNELS = $(or $(shell cat $(BUILD)/kernels 2>/dev/null),$(shell \
	cd /lib/modules 2>/dev/null && for k in *; do \
	[ -d $$k/build ] && echo $$k; done | sort -V))
KVER ?= $(lastword $(KERNELS))
K61 = $(firstword $(filter 6.1.%,$(KERNELS)))
KMOD = $(BUILD)/kmod/$(KVER)
VERSION := $(shell cat $(TOP)/VERSION)

# Userspace parts, built when their directory has a Makefile.
SUBDIRS := $(patsubst %/Makefile,%,$(wildcard lib/Makefile cli/Makefile \
	agent/Makefile tools/m2mgw-top/Makefile))

PREFIX ?= /usr
DESTDIR ?=

.DEFAULT_GOAL := all

## all: (default) the module for KVER, lib, cli and agent
all: module userspace

## module: m2mgw.ko for KVER (default: newest kernel) in build/kmod/KVER, with BTF
module:
	@test -f $(TOP)/Kbuild || { echo "m2mgw: no Kbuild yet" >&2; exit 1; }
	@test -d /lib/modules/$(KVER)/build || { \
		echo "m2mgw: no headers for '$(KVER)' (make deps)" >&2; exit 1; }
	@mkdir -p $(KMOD)/src
	@# cp -p keeps mtimes, so Kbuild rebuilds only what changed.
	@cp -pr $(TOP)/Kbuild $(TOP)/kernel $(TOP)/include $(KMOD)/src/
	$(MAKE) -C /lib/modules/$(KVER)/build M=$(KMOD)/src modules
	@cp $(KMOD)/src/m2mgw.ko $(KMOD)/m2mgw.ko
	@$(TOP)/scripts/module-btf.sh $(KVER) $(KMOD)/m2mgw.ko

## modules-all: the module for every kernel in build/kernels
modules-all:
	@set -e; for k in $(KERNELS); do $(MAKE) --no-print-directory module KVER=$$k; done

## userspace: lib, cli and agent (build/lib, build/bin)
userspace:
	@set -e; for d in $(SUBDIRS); do $(MAKE) -C $$d TOP=$(TOP); done

## tests: the in-VM test programs (build/tests/kernel, build/bench)
tests: userspace
	$(MAKE) -C tests/kernel TOP=$(TOP)
	$(MAKE) -C bench TOP=$(TOP)

## fuzz: each libFuzzer target of tests/fuzz for FUZZ_TIME seconds (default 60)
fuzz:
	$(MAKE) -C agent TOP=$(TOP) fuzz

## deps: install every needed Debian package (as root; quiet if none missing)
deps:
	@$(TOP)/scripts/deps.sh

## check: deps, build, host tests, style, DKMS, VM tests on both kernels
check: deps
	@$(TOP)/scripts/check.sh

## vmtest: only the VM tests (KVER=... for one kernel, default both)
vmtest: modules-all tests
	@rc=0; ks="$(if $(filter command line,$(origin KVER)),$(KVER),$(KERNELS))"; \
		for k in $$ks; do $(TOP)/tests/vm/run $$k || rc=1; done; \
		$(TOP)/tests/summary $$(for k in $$ks; do \
			echo $(BUILD)/tap/vm-$$k-*.tap; done) || rc=1; exit $$rc

## demo: deps, build, then boot the 6.1 kernel and run demo/run in it
demo: deps
	@$(MAKE) --no-print-directory module KVER=$(K61)
	@$(MAKE) --no-print-directory userspace tests
	@$(TOP)/tests/vm/run -n -t 600 $(K61) -- demo/run

## bench: benchmarks in one 6.1 VM boot; tables in bench/RESULTS.md
bench: deps
	@$(MAKE) --no-print-directory module KVER=$(K61)
	@$(MAKE) --no-print-directory userspace
	$(MAKE) -C bench TOP=$(TOP)
	uptime > $(BUILD)/bench/load-before
	$(TOP)/tests/vm/run -t 900 $(K61) -- bench/suite.sh $(BUILD)/bench/out
	uptime > $(BUILD)/bench/load-after
	$(TOP)/bench/host.sh > $(BUILD)/bench/host.out
	$(TOP)/bench/mqtt.sh > $(BUILD)/bench/mqtt.out
	$(TOP)/bench/report $(BUILD)/bench/out make bench > $(TOP)/bench/RESULTS.md
	@cat $(TOP)/bench/RESULTS.md

## bench-tracing: tracing overhead (each tracer vs off) in one 6.1 VM boot, into bench/RESULTS.md
bench-tracing: deps
	@$(MAKE) --no-print-directory module KVER=$(K61)
	@$(MAKE) --no-print-directory userspace
	$(MAKE) -C bench TOP=$(TOP)
	uptime > $(BUILD)/bench/tracing-load-before
	$(TOP)/tests/vm/run -t $${M2MGW_BENCH_TIMEOUT:-2400} $(K61) -- \
		bench/tracing.sh $(BUILD)/bench/tracing.out
	uptime > $(BUILD)/bench/tracing-load-after
	$(TOP)/bench/tracing-report $(BUILD)/bench/tracing.out "make bench-tracing" \
		$(BUILD)/bench/tracing-load-{before,after} > $(TOP)/bench/RESULTS-tracing.md
	$(TOP)/bench/tracing-report --splice $(TOP)/bench/RESULTS.md \
		$(TOP)/bench/RESULTS-tracing.md
	@cat $(TOP)/bench/RESULTS-tracing.md

## style: checkpatch --strict on the kernel code, clang-format on all C
style:
	@$(TOP)/scripts/style.sh

## format: clang-format -i every C file that `make style` checks
format:
	@git ls-files -co --exclude-standard -- kernel lib cli agent tests \
		include tools | grep -E '\.[ch]$$' | xargs -r clang-format -i

## dkms-check: dkms add + build for every kernel in a private DKMS tree
dkms-check:
	@$(TOP)/scripts/dkms-check.sh

## install: module source to /usr/src/m2mgw-VERSION (+ dkms install), tools
install: userspace
	$(TOP)/scripts/install.sh "$(DESTDIR)" "$(PREFIX)"

## clean: remove build/
clean:
	rm -rf $(BUILD)

## help: this list
help:
	@echo "m2mgw $(VERSION) — make targets (KVER=$(KVER)):"
	@sed -n 's/^## \([a-z-]*\): /  \1\t/p' $(MAKEFILE_LIST) | expand -t 16

.PHONY: all module modules-all userspace tests fuzz deps check vmtest demo bench \
	bench-tracing \
	style format dkms-check install clean help
