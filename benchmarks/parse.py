"""Offline audit benchmark: how fast `pixfix audit --offline` reads saved configurations.

    benchmarks/parse.py [--sizes 1000,2000,10000,100000] [--seconds 2] [--json]

Generates realistic ASA configurations of each size (interfaces, objects, object-groups,
access-lists, routes, QoS and inspection class-maps and policy-maps, a bound `inspect esmtp`),
then times, in this one process (one core):

- `audit_config(text)`: the pure audit of one configuration text (what each file costs);
- `audit_offline([folder])`: the CLI's offline path over a folder of 2,000-line files (file
  reads, decoding and the result records included).

It prints configurations per second and microseconds per line for each size; `--json` prints one
line per size. Every generated configuration must come out `exposed` with exactly one finding,
so a size that is cut short or misparsed shows up as an error rather than as a fast time.
This is a benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pixfix.audit.verdict import audit_config, audit_offline
from pixfix.model import Status

TYPICAL = 2000  # lines of the "typical configuration" of the target (500 per second per core)


def _head() -> list[str]:
    return [": Saved", ":", ": Hardware:   ASA5516, 8192 MB RAM", ":", "ASA Version 9.8(4) ",
            "hostname bench-asa", "domain-name bench.example", "names"]  # fmt: skip


def _tail() -> list[str]:
    return [
        "class-map inspection_default", " match default-inspection-traffic",
        "class-map MAIL", " match port tcp eq smtp",
        "policy-map type inspect dns preset_dns_map", " parameters",
        "  message-length maximum client auto", "  message-length maximum 512",
        "policy-map global_policy", " class inspection_default", "  inspect dns preset_dns_map ",
        "  inspect ftp ", "  inspect sqlnet ", "  inspect tftp ", "  inspect sip  ",
        "policy-map OUTSIDE", " class MAIL", "  inspect esmtp ",
        "service-policy global_policy global", "service-policy OUTSIDE interface outside",
        "prompt hostname context ", "Cryptochecksum:0123456789abcdef0123456789abcdef", ": end",
    ]  # fmt: skip


def _block(i: int) -> list[str]:
    """Ten lines of the bulk of a real configuration, varied by `i`."""
    a, b = (i // 250) % 250, i % 250
    return [
        f"interface GigabitEthernet0/{i % 8}.{i}", f" vlan {i % 4000 + 1}",
        f" nameif dmz{i}", f" security-level {i % 100}",
        f" ip address 10.{a}.{b}.1 255.255.255.0",
        f"object network host-{i}", f" host 10.{a}.{b}.25",
        f"access-list outside_in extended permit tcp any object host-{i} eq https",
        f"access-list outside_in remark rule {i}: inspect esmtp is not configured here",
        f"route inside 10.{a}.{b}.0 255.255.255.0 10.1.1.254 1",
    ]  # fmt: skip


def generated_config(lines: int) -> str:
    """A configuration of about `lines` lines (the bulk padded in blocks of ten)."""
    head, tail = _head(), _tail()
    body: list[str] = []
    index = 0
    while len(head) + len(body) + len(tail) < lines:
        body += _block(index)
        index += 1
    return "\n".join([*head, *body, *tail]) + "\n"


def per_call(func: Callable[[], object], seconds: float) -> tuple[float, int]:
    """Mean seconds per call over at least `seconds` (and at least 3 calls)."""
    func()  # warm caches (compiled templates)
    calls, start = 0, time.perf_counter()
    while calls < 3 or time.perf_counter() - start < seconds:
        func()
        calls += 1
    return (time.perf_counter() - start) / calls, calls


def check_config(text: str) -> None:
    verdict = audit_config(text)
    if verdict.status is not Status.EXPOSED or len(verdict.findings) != 1:
        raise SystemExit(f"generated configuration misread: {verdict.status} {verdict.error}")


def time_sizes(sizes: list[int], seconds: float) -> list[dict[str, float]]:
    rows = []
    for size in sizes:
        text = generated_config(size)
        check_config(text)
        lines = text.count("\n")
        mean, calls = per_call(lambda text=text: audit_config(text), seconds)
        rows.append({"what": "audit_config", "lines": lines, "calls": calls,
                     "ms_per_config": round(mean * 1000, 3),
                     "configs_per_s": round(1 / mean, 1),
                     "us_per_line": round(mean * 1e6 / lines, 3)})  # fmt: skip
    return rows


def time_folder(count: int, seconds: float) -> dict[str, float]:
    """`audit --offline FOLDER` over `count` typical files, in process (no CLI start-up)."""
    text = generated_config(TYPICAL)
    with tempfile.TemporaryDirectory(prefix="pixfix-parse-") as tmp:
        for i in range(count):
            Path(tmp, f"fw-{i:04d}.cfg").write_text(text)
        results = audit_offline([Path(tmp)])
        if len(results) != count or any(r.status is not Status.EXPOSED for r in results):
            raise SystemExit("offline audit of the folder misread a file")
        mean, calls = per_call(lambda: audit_offline([Path(tmp)]), seconds)
    return {"what": "audit_offline", "lines": text.count("\n"), "files": count, "calls": calls,
            "ms_per_config": round(mean * 1000 / count, 3),
            "configs_per_s": round(count / mean, 1)}  # fmt: skip


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,2000,10000,100000")
    parser.add_argument("--seconds", type=float, default=2.0, help="time spent per size")
    parser.add_argument("--files", type=int, default=200, help="files in the folder run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = time_sizes([int(s) for s in args.sizes.split(",")], args.seconds)
    rows.append(time_folder(args.files, args.seconds))
    for row in rows:
        if args.json:
            print(json.dumps(row))
        else:
            per_line = f"{row['us_per_line']:>8.3f}" if "us_per_line" in row else " " * 8
            print(f"{row['what']:<14} {row['lines']:>7} lines  {row['ms_per_config']:>9.3f} ms"
                  f"  {row['configs_per_s']:>9.1f} configs/s  {per_line} us/line")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
