"""The `boardgate` command line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from hardware.errors import HardwareError

from .const import EXIT_CONFIG, EXIT_FAILURE, EXIT_OK, __version__
from .exceptions import ConfigError, GatewayError

__all__ = ["main"]

_LOGGER = logging.getLogger("gateway")
DEFAULT_CONFIG_PATHS = (Path("boardgate.yaml"), Path("/etc/boardgate/config.yaml"))
LOG_FORMAT = "%(asctime)s %(levelname)s (%(threadName)s) [%(name)s] %(message)s"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="boardgate", description="Turn a Raspberry Pi-class board into an MQTT device gateway."
    )
    parser.add_argument("--version", action="version", version=f"boardgate {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run the gateway daemon")
    _add_config_argument(run)
    run.add_argument(
        "--debug",
        action="store_true",
        help="asyncio debug, slow-callback reports and blocking-call detection",
    )
    check = commands.add_parser("check-config", help="validate the configuration and exit")
    _add_config_argument(check)
    commands.add_parser(
        "demo", help="run on mock pins, a simulated serial device and a private local broker"
    )
    detect = commands.add_parser(
        "detect", help="list the board's I2C devices, sensors, serial ports (read-only)"
    )
    _add_config_argument(detect)
    detect.add_argument("--root", type=Path, help=argparse.SUPPRESS)  # a fake / for tests
    return parser


def _add_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c",
        "--config",
        type=Path,
        help="config file (default: $BOARDGATE_CONFIG, else ./boardgate.yaml, else "
        "/etc/boardgate/config.yaml)",
    )


def find_config(explicit: Path | None) -> Path:
    """The config path from the flag, the environment or the default places."""
    if explicit is not None:
        return explicit
    if env := os.environ.get("BOARDGATE_CONFIG"):
        return Path(env)
    for candidate in DEFAULT_CONFIG_PATHS:
        if candidate.exists():
            return candidate
    tried = ", ".join(str(path) for path in DEFAULT_CONFIG_PATHS)
    raise ConfigError([f"no config file found (tried $BOARDGATE_CONFIG, {tried}); use -c FILE"])


def _detect_config(explicit: Path | None) -> Path | None:
    """`detect` uses a config when one is named or found; it needs none."""
    try:
        return find_config(explicit)
    except ConfigError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `boardgate` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO, format=LOG_FORMAT)
    try:
        return _dispatch(args, debug)
    except ConfigError as exc:
        for line in exc.errors:
            print(line, file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return EXIT_OK
    except (GatewayError, HardwareError) as exc:
        print(f"boardgate: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except Exception:
        _LOGGER.exception("Unexpected failure")
        return EXIT_FAILURE


def _dispatch(args: argparse.Namespace, debug: bool) -> int:
    if args.command == "demo":
        from .demo import run_demo

        return run_demo()
    from .config import load_config
    from .loader import resolve_platform_schema

    if args.command == "detect":
        from .detect import run_detect

        path = _detect_config(args.config)
        config = load_config(path, resolve_platform_schema) if path is not None else None
        return run_detect(config, args.root)
    if args.command == "run":
        from .runner import hold_signals

        hold_signals()  # a SIGHUP while the config is read must not kill the daemon
    config = load_config(find_config(args.config), resolve_platform_schema)
    if args.command == "check-config":
        from .loader import platform_config_warnings

        for line in platform_config_warnings(config, os.environ):
            print(line, file=sys.stderr)
        print(f"{config.path}: valid ({len(config.entities)} entities)")
        return EXIT_OK
    from .runner import run

    return run(config, debug=debug)
