"""An audit over a fleet: the chosen hosts read in parallel, one outcome each, and the probe.

Every host is read read-only (`pixfix.audit.live.collect_host`) on the shared fleet runner;
device trouble is that host's `error` result and the rest of the fleet goes on. With `probe`,
each host's `mx` is also probed from outside and judged against its configuration's verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pixfix.audit.live import CollectOptions, collect_host
from pixfix.audit.report import transport_extra
from pixfix.fleet import reporter_for, run_fleet
from pixfix.inventory.load import Host
from pixfix.logsetup import per_host
from pixfix.model import Collected
from pixfix.probe.judge import probe_extra
from pixfix.store.saved import config_saver
from pixfix.transport.hostkeys import KeyOptions

Extra = dict[str, dict[str, object]]
PROBE_TIMEOUT = 10.0  # seconds at most per probe, whatever --timeout says


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetOptions:
    """How a fleet is read: workers, `--timeout` per host, host keys, progress, saved configs."""

    workers: int = 10
    timeout: float = 30.0
    host_keys: KeyOptions = field(default_factory=KeyOptions)
    quiet: bool = False
    save_configs: Path | None = None


def collect_fleet(hosts: Sequence[Host], options: FleetOptions) -> list[list[Collected]]:
    """Each host read and audited (one entry per device or context), in inventory order."""
    saver = config_saver(options.save_configs) if options.save_configs else None
    reads = CollectOptions(timeout=options.timeout, save_config=saver, host_keys=options.host_keys)
    return run_fleet(
        hosts,
        per_host(lambda host: collect_host(host, reads), _name),
        workers=options.workers,
        label=_name,
        outcome=lambda got: ", ".join(c.result.status.value for c in got),
        reporter=reporter_for(quiet=options.quiet),
    )


def audit_fleet(
    hosts: Sequence[Host], options: FleetOptions, *, probe: bool = False
) -> tuple[list[Collected], Extra]:
    """Every host's entries with the text they were audited from, and their extra columns
    (transport; probe when asked)."""
    collected = [c for got in collect_fleet(hosts, options) for c in got]
    results = [c.result for c in collected]
    extra = transport_extra(results, {h.name: h.transport.value for h in hosts})
    if probe:
        mx = {host.name: host.mx for host in hosts if host.mx is not None}
        timeout = min(options.timeout, PROBE_TIMEOUT)
        judged = probe_extra(results, mx, workers=options.workers, timeout=timeout)
        for label, columns in judged.items():
            extra.setdefault(label, {}).update(columns)
    return collected, extra


def _name(host: Host) -> str:
    return host.name
