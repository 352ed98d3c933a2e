"""Print a validation report: text grouped by file on stderr, or JSON objects on stdout."""

from __future__ import annotations

import json
import sys
from itertools import groupby

from generator.checks import Report


def render(report: Report, *, output_format: str, timings: bool, strict: bool, grouped: bool = True) -> int:
    """Print ``report`` and return the exit code: 0 clean, 1 findings or (strict) skipped tools.

    Text is either grouped under a header per file (a kit) or one ``file::$.path: problem — fix``
    line per finding (configs).
    """
    if output_format == "json":
        for finding in report.findings:
            json.dump(
                {"tool": finding.tool, "file": finding.file, "line": finding.line, "rule": finding.rule,
                 "path": finding.path, "message": finding.message},
                sys.stdout,
            )
            sys.stdout.write("\n")
    elif grouped:
        for file, findings in groupby(report.findings, key=lambda f: f.file):
            print(f"{file}:", file=sys.stderr)
            for finding in findings:
                where = finding.path if finding.path != "$" else ""
                if finding.line:
                    where = f"line {finding.line}" + (f" {where}" if where else "")
                rule = f"{finding.tool}/{finding.rule}" if finding.rule else finding.tool
                print(f"  {where or 'file'}: {finding.message} [{rule}]", file=sys.stderr)
    else:
        for finding in report.findings:
            print(finding, file=sys.stderr)
    for tool, reason in sorted(report.skipped.items()):
        print(f"{'error' if strict else 'skipped'}: {tool}: {reason}", file=sys.stderr)
    if timings:
        for name, seconds in sorted(report.timings.items(), key=lambda item: -item[1]):
            print(f"timing: {name}: {seconds:.2f}s", file=sys.stderr)
    failed = bool(report.findings) or (strict and bool(report.skipped))
    if not report.findings:
        print(f"ok: no findings{' (with skips)' if report.skipped else ''}", file=sys.stderr)
    return 1 if failed else 0
