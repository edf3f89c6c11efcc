"""The alarms and the dashboard in template.yaml watch the business metrics the code publishes
(rx_router/business_metrics.py), and notify the SNS topic AlarmTopicArn only when one is given."""

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from rx_router import business_metrics
from rx_router.business_metrics import NAMESPACE, PHARMACY, SERVICE, Metric
from rx_router.settings import Settings
from tests.support import ROOT
from tests.template import deployed, deployed_resources, resources, template

ALARMS = resources('AWS::CloudWatch::Alarm')
STACK = {'Ref': 'AWS::StackName'}
ALL_PHARMACIES = [{'Name': 'service', 'Value': STACK}]  # the dimension set every metric line publishes
TOPIC = 'arn:aws:sns:us-east-1:123456789012:pharmacy-router-alarms'
SOURCES = [*(ROOT / 'layers/common/rx_router').rglob('*.py'), *(ROOT / 'functions').rglob('*.py')]


def watched(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """The metrics an alarm reads: its own, or those of its metric math."""
    properties = alarm['Properties']
    if 'MetricName' in properties:
        return [{key: properties.get(key) for key in ('Namespace', 'MetricName', 'Dimensions')}]
    return [query['MetricStat']['Metric'] for query in properties['Metrics'] if 'MetricStat' in query]


def test_the_all_pharmacies_dimension_is_the_stacks_name() -> None:
    """The code publishes {service: POWERTOOLS_SERVICE_NAME}; the template sets it to the stack's name, which the
    alarms and the dashboard read."""
    assert business_metrics._metrics.provider.service == os.environ['POWERTOOLS_SERVICE_NAME']
    assert template()['Globals']['Function']['Environment']['Variables']['POWERTOOLS_SERVICE_NAME'] == STACK


def test_every_metric_is_counted_somewhere_in_the_code() -> None:
    code = '\n'.join(path.read_text() for path in SOURCES if path.name != 'business_metrics.py')
    assert [m for m in Metric if f'Metric.{m.name}' not in code] == []


def test_the_alarms_watch_metrics_the_code_publishes_for_all_pharmacies() -> None:
    published = {m.value for m in Metric}
    ours = [m for alarm in ALARMS.values() for m in watched(alarm) if m['Namespace'] == NAMESPACE]
    assert {m['MetricName'] for m in ours} <= published
    assert all(m['Dimensions'] == ALL_PHARMACIES for m in ours), ours
    assert {m['MetricName'] for m in ours} == {
        Metric.SUBMISSIONS_ACCEPTED,
        Metric.SUBMISSIONS_FAILED,
        Metric.WEBHOOKS_REFUSED,
        Metric.STALE_SUBMISSIONS,
    }
    [dead_letters] = [m for alarm in ALARMS.values() for m in watched(alarm) if m['Namespace'] == 'AWS/SQS']
    assert dead_letters['Dimensions'] == [{'Name': 'QueueName', 'Value': {'Fn::GetAtt': 'CallbackDeadLetterQueue.QueueName'}}]


def failure_ratio(accepted: float, failed: float) -> float:
    """The failure-ratio alarm's expression evaluated (parameters at their defaults) over one period's sums."""
    [expression] = [q for q in ALARMS['PharmacyFailureRatioAlarm']['Properties']['Metrics'] if q['ReturnData']]
    minimum = template()['Parameters']['FailureRatioMinSubmissions']['Default']
    text = expression['Expression']['Fn::Sub'].replace('${FailureRatioMinSubmissions}', str(minimum))
    text = re.sub(r'FILL\((\w+), 0\)', r'\1', text)
    condition, if_true, if_false = re.fullmatch(r'IF\((.+?),\s*(.+),\s*(\S+)\)', text, re.DOTALL).groups()  # type: ignore[union-attr]
    names = {'accepted': accepted, 'failed': failed}
    value = if_true if eval(condition, {}, names) else if_false  # noqa: S307 - the template's own arithmetic
    return float(eval(value, {}, names))  # noqa: S307


@pytest.mark.parametrize(
    ('accepted', 'failed', 'ratio', 'alarms'),
    [(19, 1, 0.05, False), (3, 2, 0.4, True), (0, 5, 1.0, True), (0, 4, 0.0, False), (8, 2, 0.2, False)],
)
def test_the_failure_ratio_is_failed_over_sent_judged_from_a_minimum_volume(
    accepted: int, failed: int, ratio: float, alarms: bool
) -> None:
    alarm = ALARMS['PharmacyFailureRatioAlarm']['Properties']
    threshold = template()['Parameters']['FailureRatioThreshold']['Default']
    assert failure_ratio(accepted, failed) == pytest.approx(ratio)
    assert alarm['ComparisonOperator'] == 'GreaterThanThreshold' and alarm['Threshold'] == {'Ref': 'FailureRatioThreshold'}
    assert (failure_ratio(accepted, failed) > threshold) is alarms
    periods = {q['MetricStat']['Period'] for q in alarm['Metrics'] if 'MetricStat' in q}
    assert periods == {900} and {q['MetricStat']['Stat'] for q in alarm['Metrics'] if 'MetricStat' in q} == {'Sum'}


@pytest.mark.parametrize('topic', ['', TOPIC])
def test_alarms_notify_the_topic_only_when_one_is_given(topic: str) -> None:
    alarms = deployed_resources({'AlarmTopicArn': topic}, 'AWS::CloudWatch::Alarm')
    assert set(alarms) == set(ALARMS)
    for name, alarm in alarms.items():
        actions = {key: alarm['Properties'].get(key) for key in ('AlarmActions', 'OKActions')}
        expected = [{'Ref': 'AlarmTopicArn'}] if topic else None
        assert actions == {'AlarmActions': expected, 'OKActions': expected}, name


def test_the_topic_parameter_takes_an_sns_arn_or_nothing() -> None:
    pattern = template()['Parameters']['AlarmTopicArn']['AllowedPattern']
    assert re.fullmatch(pattern, '') and re.fullmatch(pattern, TOPIC)
    assert not re.fullmatch(pattern, 'arn:aws:sqs:us-east-1:123456789012:queue')
    assert not re.fullmatch(pattern, 'pharmacy-router-alarms')


@pytest.mark.parametrize(('index', 'missing'), [('Create', 'breaching'), ('Defer', 'notBreaching')])
def test_a_silent_reconciliation_counts_as_stale_only_while_it_is_scheduled(index: str, missing: str) -> None:
    stale = deployed(template()['Resources']['StaleSubmissionsAlarm'], {'OpenOrderIndex': index})['Properties']
    assert stale['TreatMissingData'] == missing
    schedule = deployed(template()['Resources']['ReconcileFunction'], {'OpenOrderIndex': index})['Properties']
    assert schedule['Events']['Every15Minutes']['Properties']['Enabled'] is (index == 'Create')
    assert stale['Period'] * stale['DatapointsToAlarm'] >= 2 * 15 * 60  # one late run never raises it


def test_the_reconcile_function_gets_the_stale_threshold() -> None:
    environment = template()['Resources']['ReconcileFunction']['Properties']['Environment']['Variables']
    assert environment['STALE_AFTER_SECONDS'] == {'Ref': 'StaleAfterSeconds'}
    default = template()['Parameters']['StaleAfterSeconds']['Default']
    assert Settings.model_fields['stale_after_seconds'].default == default
    reconcile_after = template()['Parameters']['ReconcileAfterSeconds']['Default']
    assert default >= 2 * reconcile_after  # an order reconciliation keeps checking never looks stale


def dashboard() -> dict[str, Any]:
    """The dashboard's body as CloudFormation renders it: each ${...} a resource's attribute or a pseudo parameter."""
    body: str = template()['Resources']['OperationsDashboard']['Properties']['DashboardBody']['Fn::Sub']
    arns = {f'{name}.Arn': f'arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}' for name in ALARMS}

    def value(match: re.Match[str]) -> str:
        reference = match.group(1)
        assert reference in {**arns, 'AWS::Region': '', 'AWS::StackName': ''}, reference
        return arns.get(reference, {'AWS::Region': 'us-east-1', 'AWS::StackName': 'rx-prod'}.get(reference, ''))

    rendered: dict[str, Any] = json.loads(re.sub(r'\$\{([^}]*)\}', value, body))
    return rendered


def test_the_dashboard_shows_every_alarm_and_every_metric_by_pharmacy() -> None:
    widgets = dashboard()['widgets']
    arns = {f'arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}' for name in ALARMS}
    [status] = [w for w in widgets if w['type'] == 'alarm']
    assert set(status['properties']['alarms']) == arns
    graphed = [a for w in widgets for a in w['properties'].get('annotations', {}).get('alarms', [])]
    assert sorted(graphed) == sorted(arns)  # each alarm's own graph, once
    metrics = [w for w in widgets if w['type'] == 'metric']
    assert all(w['properties']['region'] == 'us-east-1' for w in metrics)
    shown = json.dumps(metrics)
    assert [m.value for m in Metric if f'\\"{m.value}\\"' not in shown and f'"{m.value}"' not in shown] == []
    totals = [m for w in metrics for m in w['properties'].get('metrics', []) if isinstance(m[0], str)]
    assert totals and all(m[:1] + m[2:4] == [NAMESPACE, 'service', 'rx-prod'] for m in totals)  # this stack's, all pharmacies
    searches = [q['expression'] for w in metrics for [q, *_] in w['properties'].get('metrics', []) if isinstance(q, dict)]
    per_pharmacy = f'SEARCH(\'{{{NAMESPACE},{PHARMACY},{SERVICE}}} {SERVICE}="rx-prod" MetricName='
    assert searches and all(s.startswith(per_pharmacy) for s in searches), searches


def test_the_dashboard_is_laid_out_without_overlaps() -> None:
    cells: set[tuple[int, int]] = set()
    for widget in dashboard()['widgets']:
        area = {
            (x, y)
            for x in range(widget['x'], widget['x'] + widget['width'])
            for y in range(widget['y'], widget['y'] + widget['height'])
        }
        assert not cells & area and widget['x'] + widget['width'] <= 24, widget['properties'].get('title')
        cells |= area


def test_the_readme_explains_every_metric() -> None:
    readme = Path(ROOT / 'README.md').read_text()
    section = readme.split('## Metrics and alarms', 1)[1].split('\n## ', 1)[0]
    assert [m.value for m in Metric if f'`{m.value}`' not in section] == []
