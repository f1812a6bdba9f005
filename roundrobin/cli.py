"""Command line: run the app (default), check the setup, back up the database, or try the demo."""

from __future__ import annotations

import argparse
import sys

from roundrobin.config import ConfigError, load_settings


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="app.py", description="Round Robin: rotations in Slack, kept in step with PagerDuty."
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="try it without Slack: the app against built-in simulators, in a web page",
    )
    parser.add_argument("--port", type=int, default=8000, help="the demo page's port (default 8000)")
    sub = parser.add_subparsers(dest="command", metavar="command")
    sub.add_parser("serve", help="run the app (the default)")
    sub.add_parser(
        "check", help="check the configuration, the Slack token's scopes, the database and PagerDuty"
    )
    backup = sub.add_parser("backup", help="copy the database safely while the app runs")
    backup.add_argument("file", help="where to write the copy (it must not exist yet)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.demo:
        from roundrobin.demo import main as demo

        return demo(args.port, "INFO")
    try:
        settings = load_settings()
    except ConfigError as e:
        print(f"configuration error: {e}", file=sys.stderr)
        return 2
    if args.command == "check":
        from roundrobin.check import main as check

        return check(settings)
    if args.command == "backup":
        from roundrobin.backup import main as backup

        return backup(settings, args.file)
    from roundrobin.main import run

    return run(settings)
