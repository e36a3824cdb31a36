"""``receiptflow serve``: the HTTP/WebSocket API on the embedded parts, with a background batch runner."""

from __future__ import annotations

import argparse
import secrets
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``receiptflow serve``."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument(
        "--workers", type=int, default=None, help="scanning worker processes (default: settings)"
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
    from rich.console import Console

    from receiptflow.api import create_app
    from receiptflow.api.auth import load_api_keys
    from receiptflow.errors import ReceiptflowError
    from receiptflow.settings import get_settings
    from receiptflow.wiring.local import LocalRoot

    console = Console(stderr=True)
    updates: dict[str, object] = {}
    if args.data_dir is not None:
        updates["data_dir"] = args.data_dir.resolve()
    if args.workers is not None:
        updates["workers"] = max(1, args.workers)
    settings = get_settings().model_copy(update=updates)
    try:
        keys = load_api_keys(settings)
    except (ReceiptflowError, OSError) as e:
        console.print(f"[red]cannot read API keys:[/red] {e}")
        return 2
    if not keys:
        if not args.dev_key:
            console.print(
                "[red]no API keys configured.[/red] Set RECEIPTFLOW_API_KEYS='tenant:key,...' or "
                "RECEIPTFLOW_API_KEYS_FILE, or pass --dev-key for a throw-away development key."
            )
            return 2
        dev_key = secrets.token_urlsafe(24)
        keys = {dev_key: "dev"}
        console.print(f"development key for tenant 'dev': [bold]{dev_key}[/bold]")
    app = create_app(LocalRoot(settings).api_services(keys))
    tenants = sorted(set(keys.values()))
    console.print(f"receiptflow API on [bold]http://{args.host}:{args.port}[/bold] (docs at /docs)")
    console.print(f"API keys configured for {len(tenants)} tenant(s): {', '.join(tenants)}")
    console.print(f"data in {settings.data_dir}, {settings.workers} scanning worker(s)")
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, ws_ping_interval=20)
    return 0
