# SPDX-License-Identifier: GPL-2.0
# The Live Update Orchestrator, built on Debian's kernel sources.
#   make demo    install what is missing, build, boot, live-update, verify
#   make check   the whole test suite; ends with "N passed, N failed"
#   make bench   ours against the reference, side by side
#   make patches the overlay as a git format-patch series in out/patches/
#   make test T="luo_kexec_simple"  one test (a line of kexec_tests.txt,
#                kunit or selftests), built and run alone
# KBASE=7.2 (default, Debian sid/forky) or KBASE=7.3 (trixie-backports).

KBASE ?= 7.2
export KBASE

.PHONY: all deps base tree kernels demo check check-7.3 bench patches test clean distclean

all: check

deps:
	@scripts/deps.sh

base: deps
	@scripts/fetch-base.sh

tree: base
	@scripts/mktree.sh

kernels: tree
	@scripts/build-kernel.sh ref debug >/dev/null
	@scripts/build-kernel.sh ours debug >/dev/null

demo: deps
	@scripts/demo.sh

check: deps
	@scripts/check.sh

check-7.3:
	@$(MAKE) --no-print-directory KBASE=7.3 check

bench: deps
	@scripts/bench.sh

patches: deps
	@scripts/patches.sh

test: deps
	@scripts/test.sh $(T)

clean:
	rm -rf out

distclean: clean
	rm -rf .cache
