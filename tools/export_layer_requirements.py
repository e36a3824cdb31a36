"""Export the Lambda layer's requirements from uv.lock, the one record of every dependency's version.

The layer (``SharedLayer`` in template.yaml, built by ``sam build`` from ``shared/``) needs the core
dependencies plus the ``aws`` extra; the ``local`` extra (rapidocr, onnxruntime, uvicorn) and ``dev`` stay
out. ``uv export`` lists the locked versions with their hashes; each requirement's environment marker is
then settled for the layer's target (the template's ``BuildMethod`` and ``BuildArchitecture``: CPython 3.12
on Linux arm64), so the file holds exactly what the layer installs and nothing is left for the build
machine's pip to decide. Every requirement must have a wheel for that target in the lock: ``sam build``
without Docker cannot compile one.

    make layer-requirements                                # write shared/requirements.txt
    python tools/export_layer_requirements.py --check      # exit 1 when it differs from uv.lock
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "uv.lock"
TEMPLATE = ROOT / "template.yaml"
REQUIREMENTS = ROOT / "shared" / "requirements.txt"
LAYER_EXTRAS = ("aws",)
LAYER_RESOURCE = "SharedLayer"
# Lambda's Amazon Linux 2023 runtimes have glibc 2.34: any manylinux wheel up to that loads there.
LAMBDA_GLIBC_MINOR = 34
MACHINES = {"arm64": "aarch64", "x86_64": "x86_64"}
COMMAND = "make layer-requirements"


@dataclass(frozen=True)
class Target:
    """The interpreter and platform the layer is built for."""

    python: tuple[int, int]
    machine: str

    def marker_environment(self) -> dict[str, str]:
        """PEP 508 marker variables of this target (a Lambda Python runtime)."""
        version = f"{self.python[0]}.{self.python[1]}"
        return {
            "implementation_name": "cpython",
            "implementation_version": f"{version}.0",
            "os_name": "posix",
            "platform_machine": self.machine,
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": "Linux",
            "platform_version": "",
            "python_full_version": f"{version}.0",
            "python_version": version,
            "sys_platform": "linux",
            "extra": "",
        }

    def wheel_tags(self) -> frozenset[Tag]:
        """Every wheel tag a pip on this target accepts."""
        platforms = [f"manylinux_2_{minor}_{self.machine}" for minor in range(LAMBDA_GLIBC_MINOR, 16, -1)]
        platforms += [f"manylinux2014_{self.machine}", f"linux_{self.machine}"]
        return frozenset(
            [
                *cpython_tags(self.python, platforms=platforms),
                *compatible_tags(self.python, platforms=platforms),
            ]
        )


def layer_target(template: Path = TEMPLATE) -> Target:
    """The layer's Python and architecture, read from its build metadata in ``template``."""
    from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]

    resources: Mapping[str, Any] = cfn_yaml.load(str(template))["Resources"]
    metadata = resources[LAYER_RESOURCE]["Metadata"]
    method = str(metadata["BuildMethod"])
    if not method.startswith("python3."):
        raise ValueError(f"{LAYER_RESOURCE} BuildMethod {method!r} is not a python3.N runtime")
    return Target(
        python=(3, int(method.removeprefix("python3."))), machine=MACHINES[metadata["BuildArchitecture"]]
    )


def find_uv() -> str:
    """The uv binary: ``$UV``, the Makefile's bootstrap venv, or ``uv`` on PATH."""
    candidates = [os.environ.get("UV", ""), str(ROOT / ".venv-uv" / "bin" / "uv"), shutil.which("uv") or ""]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    raise FileNotFoundError("uv not found: run `make install` (it bootstraps uv into .venv-uv) or set UV")


def uv_export(uv: str, extras: tuple[str, ...] = LAYER_EXTRAS) -> str:
    """``uv export`` of the locked runtime dependencies with ``extras``, hashes included."""
    command = [uv, "export", "--frozen", "--no-dev", "--no-emit-project", "--no-header"]
    command += [f"--extra={extra}" for extra in extras]
    return subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout


@dataclass(frozen=True)
class Pinned:
    """One ``name==version`` entry of an exported requirements file, with its hash and comment lines."""

    name: str
    version: str
    marker: str | None
    rest: tuple[str, ...]

    def text(self) -> str:
        """The entry without its marker."""
        return "".join(f"{line}\n" for line in (f"{self.name}=={self.version} \\", *self.rest))


def parse_export(text: str) -> Iterator[Pinned]:
    """The entries of ``uv export`` output (pinned, hashed requirements, one per block)."""
    block: list[str] = []
    for line in [*text.splitlines(), ""]:
        if block and (not line or not line[0].isspace()):
            head, _, marker = block[0].removesuffix("\\").strip().partition(";")
            name, _, version = head.strip().partition("==")
            if not version:
                raise ValueError(f"uv export gave an unpinned requirement: {block[0]!r}")
            yield Pinned(name, version, marker.strip() or None, tuple(block[1:]))
            block = []
        if line and not line.startswith("#"):
            block.append(line)


def locked_wheels(lock: Path = LOCK) -> dict[tuple[str, str], list[str]]:
    """Wheel file names in ``lock`` by (canonical name, version)."""
    packages = tomllib.loads(lock.read_text(encoding="utf-8"))["package"]
    return {
        (canonicalize_name(package["name"]), package["version"]): [
            wheel["url"].rsplit("/", 1)[-1] for wheel in package.get("wheels", [])
        ]
        for package in packages
    }


def missing_wheels(pins: list[Pinned], target: Target, lock: Path = LOCK) -> list[str]:
    """``name==version`` of every pin with no wheel in ``lock`` that installs on ``target``."""
    wheels = locked_wheels(lock)
    accepted = target.wheel_tags()
    return [
        f"{pin.name}=={pin.version}"
        for pin in pins
        if not any(
            parse_wheel_filename(wheel)[3] & accepted
            for wheel in wheels.get((canonicalize_name(pin.name), pin.version), [])
        )
    ]


def layer_requirements(uv: str | None = None, template: Path = TEMPLATE) -> str:
    """The requirements.txt text of the layer, from uv.lock, settled for the layer's target."""
    target = layer_target(template)
    environment = target.marker_environment()
    pins = [
        pin
        for pin in parse_export(uv_export(uv or find_uv()))
        if pin.marker is None or Marker(pin.marker).evaluate(environment)
    ]
    missing = missing_wheels(pins, target)
    if missing:
        raise ValueError(f"no wheel for CPython {target.python} on {target.machine} in uv.lock: {missing}")
    python = ".".join(map(str, target.python))
    header = (
        f"# Lambda layer requirements (CPython {python}, Linux {target.machine}), exported from uv.lock:\n"
        f"# the core dependencies and extras {', '.join(LAYER_EXTRAS)}. Do not edit: run `{COMMAND}`.\n"
    )
    return header + "".join(pin.text() for pin in pins)


def main(argv: list[str] | None = None) -> int:
    """Write (or ``--check``) shared/requirements.txt."""
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when the file differs from uv.lock")
    parser.add_argument("--uv", help="the uv binary (default: $UV, .venv-uv/bin/uv, then uv on PATH)")
    args = parser.parse_args(argv)
    wanted = layer_requirements(args.uv)
    current = REQUIREMENTS.read_text(encoding="utf-8") if REQUIREMENTS.exists() else ""
    if args.check:
        if current != wanted:
            print(f"{REQUIREMENTS.relative_to(ROOT)} differs from uv.lock: run `{COMMAND}`")
            return 1
        print(f"{REQUIREMENTS.relative_to(ROOT)} matches uv.lock")
        return 0
    REQUIREMENTS.write_text(wanted, encoding="utf-8")
    print(f"wrote {REQUIREMENTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
