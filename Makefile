# One command runs the stack, one runs the tests; everything they need is built on demand and
# only when its inputs changed. Override any variable: make run PYTHON310=/path/to/python3.10
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $$HOME/.pyenv)
# Rasa 3.6 needs Python < 3.11; the handoff service uses 3.11 (SQLAlchemy 2).
PYTHON310 ?= $(firstword $(wildcard $(PYENV_ROOT)/versions/3.10.*/bin/python3.10) $(shell command -v python3.10))
PYTHON311 ?= $(firstword $(wildcard $(PYENV_ROOT)/versions/3.11.*/bin/python3.11) $(shell command -v python3.11))

RASA_VENV    ?= .venv-rasa
HANDOFF_VENV ?= .venv-handoff
RASA_PY      := $(RASA_VENV)/bin/python
HANDOFF_PY   := $(HANDOFF_VENV)/bin/python

# Settings (README has the table). Exported so every process below sees the same values.
export DATA_DIR ?= $(CURDIR)/.data
export SPACY_MODEL_PATH ?= $(DATA_DIR)/spacy/en_triage
export HANDOFF_PYTHON ?= $(CURDIR)/$(HANDOFF_PY)
export SERVICE_PHONE ?= 020 7946 0321
export COUNCIL_EMERGENCY_HOUSING_LINE ?= 020 8430 2000
export COUNCIL_CHILDREN_LINE ?= 020 8430 2000
export COUNCIL_SUPPORT_LINE ?= 020 8430 2000
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: help setup run train validate test test-handoff test-rasa eval lint demo-logins clean bench retention

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(RASA_VENV)/.installed: requirements-rasa.txt
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found: set PYTHON310=/path/to/python3.10"; exit 1; }
	$(PYTHON310) -m venv $(RASA_VENV)
	$(RASA_PY) -m pip install -q --upgrade pip wheel
	$(RASA_PY) -m pip install -q -r requirements-rasa.txt
	touch $@

$(HANDOFF_VENV)/.installed: handoff/requirements.txt
	@test -n "$(PYTHON311)" || { echo "Python 3.11 not found: set PYTHON311=/path/to/python3.11"; exit 1; }
	$(PYTHON311) -m venv $(HANDOFF_VENV)
	$(HANDOFF_PY) -m pip install -q --upgrade pip wheel
	$(HANDOFF_PY) -m pip install -q -r handoff/requirements.txt
	touch $@

setup: $(RASA_VENV)/.installed $(HANDOFF_VENV)/.installed ## build what is missing: envs, spaCy pipeline, model
	@$(MAKE) --no-print-directory train

train: $(RASA_VENV)/.installed ## train the Rasa model if its inputs changed (cached by their hash)
	@$(RASA_PY) -m bot.pipeline > /dev/null
	@$(RASA_PY) -m bot.train

validate: $(RASA_VENV)/.installed ## check the training data and domain
	@$(RASA_PY) -m bot.pipeline > /dev/null
	@$(RASA_PY) -m bot.validate

run: setup ## run the whole stack (Rasa, actions, handoff, web chat, worker app); Ctrl-C stops it
	@$(RASA_PY) -m bot.stack

demo-logins: $(HANDOFF_VENV)/.installed ## print the demo workers' logins
	@$(HANDOFF_PY) -m handoff seed-demo

test: setup test-handoff test-rasa ## set up and run every test

test-handoff: $(HANDOFF_VENV)/.installed ## the handoff service's tests
	$(HANDOFF_PY) -m pytest tests/handoff -q

test-rasa: setup ## the Rasa side: components, actions, conversations end to end
	RASA_MODEL=$$($(RASA_PY) -m bot.train --path) $(RASA_PY) -m pytest tests -q --ignore=tests/handoff

eval: setup ## held-out NLU (intent F1, need F1), risk recall/false alarms, the conversation simulator
	@$(RASA_PY) -m bot.evaluate
	@$(RASA_PY) -m tests.simulation.simulator --start-stack --model $$($(RASA_PY) -m bot.train --path)

bench: setup ## load and fault benchmark: single vs scaled stack (BENCH_ARGS="--config single --no-faults")
	RASA_MODEL=$${RASA_MODEL:-$$($(RASA_PY) -m bot.train --path)} $(RASA_PY) -m bot.bench $(BENCH_ARGS)

retention: $(RASA_VENV)/.installed $(HANDOFF_VENV)/.installed ## delete handoffs and conversations older than RETENTION_DAYS (default 365; ARGS=--dry-run)
	@$(HANDOFF_PY) -m handoff migrate > /dev/null
	$(HANDOFF_PY) -m handoff retention $(ARGS)
	$(RASA_PY) -m bot.privacy retention $(ARGS)

lint: $(RASA_VENV)/.installed
	$(RASA_PY) -m compileall -q bot actions

clean: ## remove built environments and everything under DATA_DIR
	rm -rf $(RASA_VENV) $(HANDOFF_VENV) $(DATA_DIR)
