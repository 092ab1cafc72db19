# The command palette. `make test` is what the README tells newcomers to run.
SWIFT ?= swift
PG_URL ?= postgres://keel@127.0.0.1:5432/postgres

.PHONY: run test test-postgres browser-test cli-test ci bench format

run:
	$(SWIFT) run -c release keel serve --demo

test:
	$(SWIFT) test

test-postgres:
	KEEL_TEST_DATABASE_URL=$(PG_URL) $(SWIFT) test

browser-test:
	$(SWIFT) build --product keel
	bash Tests/browser/run.sh .build/debug/keel

cli-test:
	$(SWIFT) build --product keel
	bash Tests/cli/checks.sh .build/debug/keel

ci:
	bash .ci/run

bench:
	$(SWIFT) build -c release --product keel
	.build/release/keel bench platform

format:
	@command -v swift-format >/dev/null && swift-format format -i -r Sources Tests || \
		echo "swift-format is not installed; the style is 4 spaces, lines under 120 columns"
