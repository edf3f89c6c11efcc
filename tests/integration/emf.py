"""The business metrics a test's handlers published: the EMF lines Powertools printed to stdout."""

import json
from collections import Counter
from typing import Any

from rx_router.business_metrics import NAMESPACE, PHARMACY
from rx_router.observability import SERVICE


def emf_lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith('{"_aws"')]


def counted(stdout: str) -> Counter[tuple[str, str | None]]:
    """(metric, pharmacy) -> the sum published; pharmacy None for a line published for all pharmacies only. Checks
    each line's shape: the namespace, {service} on every line, {pharmacy} beside it when the line has one."""
    totals: Counter[tuple[str, str | None]] = Counter()
    for line in emf_lines(stdout):
        [directive] = line['_aws']['CloudWatchMetrics']
        assert directive['Namespace'] == NAMESPACE
        pharmacy = line.get(PHARMACY)
        assert directive['Dimensions'] == ([['service'], [PHARMACY]] if pharmacy else [['service']]), directive
        assert line['service'] == SERVICE
        for metric in directive['Metrics']:
            assert metric['Unit'] == 'Count'
            totals[metric['Name'], pharmacy] += sum(line[metric['Name']])
    return totals
