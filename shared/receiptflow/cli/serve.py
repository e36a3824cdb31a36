"""``receiptflow serve``: the HTTP/WebSocket API on the embedded parts, with a background batch runner.

Slow or many clients are bounded (header deadline, body idle timeout, connection cap, body sizes; see
``receiptflow.api.server``), and ``?token=`` values never reach the logs."""

from __future__ import annotations

import argparse
import secrets
from collections.abc import Callable
from pathlib import Path

EXIT_USAGE = 2


def _positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0, got {text!r}")
        return value

    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``receiptflow serve``."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument(
        "--workers", type=_positive(int), default=None, help="scanning worker processes (default: settings)"
    )
    parser.add_argument(
        "--header-timeout",
        type=_positive(float),
        metavar="S",
        help="seconds a client has to send a request's line and headers (default 10)",
    )
    parser.add_argument(
        "--body-timeout",
        type=_positive(float),
        metavar="S",
        help="longest gap in seconds between bytes of a request body (default 30)",
    )
    parser.add_argument(
        "--max-connections",
        type=_positive(int),
        metavar="N",
        help="open HTTP connections at most; more are closed at once (default 256)",
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="SQLite and uploads (default: settings)")
    parser.add_argument(
        "--dev-key",
        action="store_true",
        help="no API keys configured: make a random key for tenant 'dev' and print it (development only)",
    )
    parser.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C. Refuses to start without an API key unless ``--dev-key``."""
    import uvicorn
    from pydantic import ValidationError
    from rich.console import Console
    from rich.markup import escape

    from receiptflow.api import create_app
    from receiptflow.api.auth import load_api_keys
    from receiptflow.api.server import BodyLimit, guarded_protocol, install_log_redaction
    from receiptflow.cli.text import safe
    from receiptflow.errors import ReceiptflowError
    from receiptflow.settings import get_settings
    from receiptflow.wiring.capacity import resolve_workers
    from receiptflow.wiring.local import LocalRoot

    console = Console(stderr=True, highlight=False)
    updates: dict[str, object] = {}
    if args.data_dir is not None:
        updates["data_dir"] = args.data_dir.resolve()
    for option, setting in _SETTING_FLAGS.items():
        if getattr(args, option) is not None:
            updates[setting] = getattr(args, option)
    if not 0 < args.port < 65536:
        console.print(f"[red]error:[/red] --port must be 1..65535, got {args.port}")
        return EXIT_USAGE
    try:
        settings = get_settings().model_copy(update=updates)
        keys = load_api_keys(settings)
    except (ReceiptflowError, OSError, ValidationError) as e:
        console.print(f"[red]cannot read settings or API keys:[/red] {escape(safe(str(e).splitlines()[0]))}")
        return EXIT_USAGE
    if not keys:
        if not args.dev_key:
            console.print(
                "[red]no API keys configured.[/red] Set RECEIPTFLOW_API_KEYS='tenant:key,...' or "
                "RECEIPTFLOW_API_KEYS_FILE, or pass --dev-key for a throw-away development key."
            )
            return EXIT_USAGE
        dev_key = secrets.token_urlsafe(24)
        keys = {dev_key: "dev"}
        console.print(f"development key for tenant 'dev': [bold]{dev_key}[/bold]")
    workers = resolve_workers(settings, requested_by="--workers" if args.workers else "RECEIPTFLOW_WORKERS")
    settings = workers.apply(settings)
    services = LocalRoot(settings).api_services(keys)
    app = BodyLimit(
        create_app(services), multipart_bytes=settings.max_request_bytes, other_bytes=settings.max_json_bytes
    )
    tenants = ", ".join(escape(safe(t)) for t in sorted(set(keys.values())))
    url = f"http://{escape(safe(args.host))}:{args.port}/"
    console.print(f"receiptflow on [bold]{url}[/bold] (web app at /, API docs at /docs)")
    console.print(f"API keys configured for {len(set(keys.values()))} tenant(s): {tenants}")
    data_dir = escape(safe(str(settings.data_dir)))
    console.print(f"data in {data_dir}")
    console.print(escape(workers.line), soft_wrap=True)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        ws_ping_interval=20,
        ws_max_size=settings.ws_max_message_bytes,
        http=guarded_protocol(
            header_timeout_s=settings.http_header_timeout_seconds,
            body_timeout_s=settings.http_body_timeout_seconds,
            min_body_rate=settings.http_min_body_bytes_per_second,
            max_connections=settings.http_max_connections,
        ),
        limit_concurrency=settings.http_max_connections + 1,  # requests past it get 503
        timeout_keep_alive=settings.http_keepalive_seconds,
        h11_max_incomplete_event_size=settings.http_max_header_bytes,
    )
    install_log_redaction()  # after Config: it (re)configures uvicorn's loggers
    uvicorn.Server(config).run()
    return 0


_SETTING_FLAGS = {
    "workers": "workers",
    "header_timeout": "http_header_timeout_seconds",
    "body_timeout": "http_body_timeout_seconds",
    "max_connections": "http_max_connections",
}
