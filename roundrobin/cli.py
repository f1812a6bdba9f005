"""Command line: run the app (default), or check, back up, or try the demo."""

from __future__ import annotations

import argparse
import sys

from roundrobin.config import ConfigError, load_settings


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="app.py", description="Round Robin: rotations in Slack, kept in step with PagerDuty."
    )
    parser.add_argument(
        "--demo", action="store_true", help="run against built-in simulators of Slack and PagerDuty"
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the app (the default)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as e:
        print(f"configuration error: {e}", file=sys.stderr)
        return 2
    from roundrobin.main import run

    return run(settings)
