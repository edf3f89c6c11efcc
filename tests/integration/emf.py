"""The business metrics a test's handlers published: the EMF lines Powertools printed to stdout."""

import json
import os
from collections import Counter
from typing import Any

from rx_router.business_metrics import NAMESPACE, PHARMACY, SERVICE


def emf_lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith('{"_aws"')]


def counted(stdout: str) -> Counter[tuple[str, str | None]]:
    """(metric, pharmacy) -> the sum published; pharmacy None for a line published for all pharmacies only. Checks
    each line's shape: the namespace, {service} on every line, {service, pharmacy} beside it when the line has one."""
    totals: Counter[tuple[str, str | None]] = Counter()
    for line in emf_lines(stdout):
        [directive] = line['_aws']['CloudWatchMetrics']
        assert directive['Namespace'] == NAMESPACE
        pharmacy = line.get(PHARMACY)
        assert directive['Dimensions'] == ([[SERVICE], [SERVICE, PHARMACY]] if pharmacy else [[SERVICE]]), directive
        assert line[SERVICE] == os.environ['POWERTOOLS_SERVICE_NAME']  # the stack's name, deployed
        for metric in directive['Metrics']:
            assert metric['Unit'] == 'Count'
            totals[metric['Name'], pharmacy] += sum(line[metric['Name']])
    return totals
