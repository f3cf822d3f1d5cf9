"""`pixfix audit --format prometheus`: a node_exporter textfile, so that an existing Prometheus
and Grafana alert on an exposed (or unsaved, or unreachable) firewall with nothing new to run.

Write it where node_exporter's textfile collector reads (`-o /var/lib/node_exporter/pixfix.prom`
from cron; the file is replaced whole). Series:

- `pixfix_device_status{device,context,platform,software,status}`: 1 for the entry's verdict,
  0 for each other verdict (so `pixfix_device_status{status="exposed"} == 1` alerts);
- `pixfix_devices{status}`: entries per verdict;
- `pixfix_device_findings{device,context}`: active SMTP inspection lines found;
- `pixfix_audit_timestamp_seconds`, `pixfix_audit_duration_seconds`: when the audit ran and for
  how long (`time() - pixfix_audit_timestamp_seconds > 86400` alerts on a job that stopped).
"""

from __future__ import annotations

from collections.abc import Sequence

from pixfix.audit.report import audit_summary
from pixfix.model import DeviceResult, Status
from pixfix.text import strip_control

_HEADER = "# HELP {name} {help}\n# TYPE {name} gauge\n"


def _label(value: str) -> str:
    """A label value as the text format wants it: backslash, quote and newline escaped; other
    control characters (device text is data: escape sequences) removed."""
    text = "\n".join(strip_control(part) for part in value.split("\n"))
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{key}="{_label(value)}"' for key, value in labels.items()) + "}"


def _device_labels(result: DeviceResult) -> dict[str, str]:
    return {"device": result.name, "context": result.context or ""}


def render_prometheus(results: Sequence[DeviceResult], *, started: float, seconds: float) -> str:
    """The textfile: every series above, devices in report order."""
    out = [_HEADER.format(name="pixfix_device_status", help="1 for the entry's verdict.")]
    for result in results:
        details = {
            **_device_labels(result),
            "platform": "" if result.platform is None else result.platform.value,
            "software": result.software or "",
        }
        for status in Status:
            value = int(result.status is status)
            out.append(f"pixfix_device_status{_labels(**details, status=status.value)} {value}\n")
    out.append(_HEADER.format(name="pixfix_devices", help="Entries per verdict."))
    counts = audit_summary(results)
    out += [f"pixfix_devices{_labels(status=s.value)} {counts[s.value]}\n" for s in Status]
    out.append(_HEADER.format(name="pixfix_device_findings", help="Active SMTP inspection lines."))
    for result in results:
        active = sum(1 for finding in result.findings if finding.exposing)
        out.append(f"pixfix_device_findings{_labels(**_device_labels(result))} {active}\n")
    out.append(_HEADER.format(name="pixfix_audit_timestamp_seconds", help="When it ran."))
    out.append(f"pixfix_audit_timestamp_seconds {started:.3f}\n")
    out.append(_HEADER.format(name="pixfix_audit_duration_seconds", help="How long it took."))
    out.append(f"pixfix_audit_duration_seconds {seconds:.3f}\n")
    return "".join(out)
