"""The ``planlib`` command: every option says what it does."""

from __future__ import annotations

import argparse

import pytest

from planlib import cli


def _parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, (*path, name))


def test_every_option_and_argument_has_a_description():
    missing = [(" ".join(path), a.dest) for path, p in _parsers(cli.build_parser()) for a in p._actions
               if not isinstance(a, argparse._SubParsersAction) and not a.help]
    assert missing == []


def test_run_takes_the_runs_folder_and_a_scenario(capsys):
    run = dict(_parsers(cli.build_parser()))[("run",)]
    args = run.parse_args(["params/demo.yaml", "--runs-dir", "/tmp/r", "--scenario", "low"])
    assert (args.runs_dir, args.scenario) == ("/tmp/r", ["low"])
    assert run.parse_args(["params/demo.yaml", "--scenario", "low", "--scenario", "base"]).scenario == ["low", "base"]
    assert run.parse_args(["params/demo.yaml"]).scenario is None  # the base scenario
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["run", "--help"])
    text = capsys.readouterr().out
    assert "--runs-dir" in text and "--scenario" in text and "own folder" in text


def test_run_names_its_executors_and_the_shared_storage_they_need(capsys):
    run = dict(_parsers(cli.build_parser()))[("run",)]
    args = run.parse_args(["params/demo.yaml", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:8786"])
    assert (args.executor, args.scheduler) == ("dask", "tcp://127.0.0.1:8786")
    assert run.parse_args(["params/demo.yaml"]).executor == "local"
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "LocalCluster" in text and "shares" in text and "same paths" in text
