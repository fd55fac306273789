# Gatehouse — the developer's front door.  `make help` lists the targets.
#
# PostgreSQL for tests runs as a throwaway local cluster in .pgdata/ (scripts/pg-local,
# the same helper .ci/run uses), on 127.0.0.1:$(PG_PORT), superuser "postgres", trust auth.

SHELL    := /bin/bash
PG_DIR   ?= .pgdata
PG_PORT  ?= 54329
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:$(PG_PORT)/gatehouse_test

.DEFAULT_GOAL := help
.PHONY: help run test db-up db-down db-status test-postgres ci compose-check

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

run: ## build and serve on http://127.0.0.1:8080 (SQLite at db/gatehouse.sqlite unless DATABASE_URL is set)
	swift run gatehouse

test: ## run the test suites on SQLite (in memory)
	swift test

db-up: ## start (or reuse) the local test PostgreSQL in .pgdata/ on port 54329
	@bash scripts/pg-local install
	@bash scripts/pg-local start $(PG_DIR) $(PG_PORT)

db-down: ## stop the local test PostgreSQL and delete .pgdata/
	@bash scripts/pg-local destroy $(PG_DIR)

db-status: ## is the local test PostgreSQL running?
	@bash scripts/pg-local status $(PG_DIR)

test-postgres: db-up ## run the test suites on the local PostgreSQL (starts it if needed)
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) swift test

ci: ## what CI runs: build, tests on SQLite and on a throwaway PostgreSQL
	bash .ci/run

compose-check: ## check that docker-compose.yml parses (needs docker-compose)
	docker-compose config -q
