"""pynamodb models: the schema of every table. template.yaml declares the same keys; tests and the local stack
create their tables from these models so the two cannot drift unnoticed (tests/unit/test_template.py).

Table names come from settings when a table is first used, never from the environment at import.
"""

import json
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from rx_router.settings import settings


class TableName:
    """`Meta.table_name` read from settings on access (pynamodb reads it when it first connects)."""

    def __init__(self, setting: str) -> None:
        self.setting = setting

    def __get__(self, instance: Any, owner: Any) -> str:
        name: str = getattr(settings(), self.setting)
        return name


class CompactJSONAttribute(JSONAttribute):
    """JSON stored as unescaped UTF-8 without spaces: DynamoDB bills and limits an item by its UTF-8 bytes, and
    pynamodb's JSONAttribute escapes every non-ASCII character (up to 12 bytes for one emoji), which let a valid
    submission outgrow the 400 KB item limit. Text that cannot be UTF-8 (a lone surrogate a pharmacy's answer
    may carry) keeps its escapes, losing nothing. Reads as JSONAttribute does, so old items read unchanged."""

    def serialize(self, value: Any) -> str | None:
        if value is None:
            return None
        compact = json.dumps(value, ensure_ascii=False, separators=(',', ':'))
        try:
            compact.encode('utf-8')
        except UnicodeEncodeError:
            return json.dumps(value, separators=(',', ':'))
        return compact


class TableOptions:
    """What every table shares (pynamodb reads it when tests and the local stack create the tables; the
    router's calls go through rx_router.store.table on the shared client)."""

    billing_mode = 'PAY_PER_REQUEST'


class ApiClientModel(Model):
    class Meta(TableOptions):
        table_name = TableName('api_clients_table')

    api_key = UnicodeAttribute(hash_key=True, attr_name='apiKey')
    client_id = UnicodeAttribute(attr_name='id')
    name = UnicodeAttribute()
    secrets = ListAttribute(of=UnicodeAttribute)
    active = BooleanAttribute()
    created_at = UnicodeAttribute(attr_name='createdAt')
    updated_at = UnicodeAttribute(attr_name='updatedAt')


class RouteModel(Model):
    class Meta(TableOptions):
        table_name = TableName('routing_table')

    state = UnicodeAttribute(hash_key=True)
    pharmacy = UnicodeAttribute(range_key=True)
    priority = NumberAttribute()
    is_active = BooleanAttribute(attr_name='isActive')
    updated_at = UnicodeAttribute(attr_name='updatedAt')


class PharmacyConfigModel(Model):
    """Pharmacy instances (pk `pharmacy`), catalog entries (pk `catalog#<pharmacy>`) and products (pk `product`),
    each a validated record (rx_router.pharmacies.records) stored as JSON. One scan reads the whole config."""

    class Meta(TableOptions):
        table_name = TableName('pharmacy_config_table')

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    record = CompactJSONAttribute()
    updated_at = UnicodeAttribute(attr_name='updatedAt')


class LegacyHistoryEntry(MapAttribute[str, Any]):
    """A status change as submissions written before the timeline recorded them (read, never written)."""

    at = UnicodeAttribute()
    source = UnicodeAttribute()
    from_status = UnicodeAttribute(null=True, attr_name='from')
    to_status = UnicodeAttribute(attr_name='to')
    tracking_number = UnicodeAttribute(null=True, attr_name='trackingNumber')
    carrier = UnicodeAttribute(null=True)


class TimelineModel(Model):
    """The events of a submission after its submit phase (webhooks, callbacks, operator actions), one item each:
    `event` is rx_router.domain.events.TimelineEvent.to_record()."""

    class Meta(TableOptions):
        table_name = TableName('timeline_table')

    submission_id = UnicodeAttribute(hash_key=True, attr_name='submissionId')
    key = UnicodeAttribute(range_key=True)
    event = CompactJSONAttribute()


class PharmacyOrderIndex(GlobalSecondaryIndex['SubmissionModel']):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = 'pharmacy-order-keys'
        projection = KeysOnlyProjection()

    pharmacy = UnicodeAttribute(hash_key=True)
    pharmacy_order_id = UnicodeAttribute(range_key=True, attr_name='pharmacyOrderId')


class OpenOrderIndex(GlobalSecondaryIndex['SubmissionModel']):  # type: ignore[no-untyped-call]
    """Sparse: only submissions waiting on a pharmacy that can be asked their status, by how long ago they
    were last updated or polled (reconciliation reads the oldest first)."""

    class Meta:
        index_name = 'open-orders-by-check'
        projection = KeysOnlyProjection()

    poll_status = UnicodeAttribute(hash_key=True, attr_name='pollStatus')
    checked_at = UnicodeAttribute(range_key=True, attr_name='checkedAt')


class SubmissionModel(Model):
    """One prescription submission. Its id is derived from the deduplication key (store/submissions.py)."""

    class Meta(TableOptions):
        table_name = TableName('submissions_table')

    id = UnicodeAttribute(hash_key=True)
    api_key_id = UnicodeAttribute(attr_name='apiKeyId')
    api_key = UnicodeAttribute(attr_name='apiKey')
    source = UnicodeAttribute()
    source_order_id = UnicodeAttribute(attr_name='sourceOrderId')
    callback_url = UnicodeAttribute(attr_name='callbackUrl')
    patient_state = UnicodeAttribute(attr_name='patientState')
    medication_name = UnicodeAttribute(attr_name='medicationName')
    product = UnicodeAttribute(null=True)
    pharmacy = UnicodeAttribute()
    pharmacy_type = UnicodeAttribute(null=True, attr_name='pharmacyType')
    routing_decision = CompactJSONAttribute(null=True, attr_name='routingDecision')
    pharmacy_order_id = UnicodeAttribute(null=True, attr_name='pharmacyOrderId')
    status = UnicodeAttribute()
    held_from = UnicodeAttribute(null=True, attr_name='heldFrom')
    pharmacy_status = UnicodeAttribute(null=True, attr_name='pharmacyStatus')
    packages = CompactJSONAttribute(null=True)
    # The latest package, kept for records written before `packages` existed.
    tracking_number = UnicodeAttribute(null=True, attr_name='trackingNumber')
    carrier = UnicodeAttribute(null=True)
    error_message = UnicodeAttribute(null=True, attr_name='errorMessage')
    test = BooleanAttribute()
    body_hash = UnicodeAttribute(attr_name='bodyHash')
    request_payload = CompactJSONAttribute(attr_name='requestPayload')
    response_payload = CompactJSONAttribute(null=True, attr_name='responsePayload')
    # The events of the submit phase (received, routed, sent, answered), written with the submission itself.
    events = CompactJSONAttribute(null=True)
    history = ListAttribute(of=LegacyHistoryEntry, null=True)  # status changes of records written before `events`
    callback_kind = UnicodeAttribute(null=True, attr_name='callbackKind')
    last_callback = CompactJSONAttribute(null=True, attr_name='lastCallback')  # records written before the timeline
    submitted_at = UnicodeAttribute(null=True, attr_name='submittedAt')
    status_queryable = BooleanAttribute(null=True, attr_name='statusQueryable')
    refill_of = UnicodeAttribute(null=True, attr_name='refillOf')  # a refill: the submission it fills again
    refill_number = NumberAttribute(null=True, attr_name='refillNumber')
    refills_used = NumberAttribute(null=True, attr_name='refillsUsed')  # an original: refills reserved (ADD only)
    polled_at = UnicodeAttribute(null=True, attr_name='polledAt')
    # A gated submission: the prescription it waits for, what was written when it was released, and when.
    prescription_gate = CompactJSONAttribute(null=True, attr_name='prescription')
    prescription_written = CompactJSONAttribute(null=True, attr_name='prescriptionWritten')
    released_at = UnicodeAttribute(null=True, attr_name='releasedAt')
    # Set only while the submission awaits a pharmacy that answers status queries (OpenOrderIndex).
    poll_status = UnicodeAttribute(null=True, attr_name='pollStatus')
    checked_at = UnicodeAttribute(null=True, attr_name='checkedAt')
    created_at = UnicodeAttribute(attr_name='createdAt')
    updated_at = UnicodeAttribute(attr_name='updatedAt')
    version = VersionAttribute()

    pharmacy_order_index = PharmacyOrderIndex()
    open_order_index = OpenOrderIndex()


class WaitingIndex(GlobalSecondaryIndex['PrescriptionGateModel']):  # type: ignore[no-untyped-call]
    """Sparse: the entries of submissions still waiting for their prescription, per provider, by when the provider
    was last asked about it (missed-event recovery reads the oldest first)."""

    class Meta:
        index_name = 'waiting-by-check'
        projection = KeysOnlyProjection()

    waiting_for = UnicodeAttribute(hash_key=True, attr_name='waitingFor')
    checked_at = UnicodeAttribute(range_key=True, attr_name='checkedAt')


class PrescriptionGateModel(Model):
    """Gated submissions by the prescription they wait for (gate `<provider>#<masterId>`, entry = submission id),
    and the prescription as the provider reported it written (entry `#written`), whether or not an order was
    waiting yet."""

    class Meta(TableOptions):
        table_name = TableName('prescription_gates_table')

    gate = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    record = CompactJSONAttribute(null=True)
    created_at = UnicodeAttribute(attr_name='createdAt')
    # Set only while the entry's submission waits (WaitingIndex).
    waiting_for = UnicodeAttribute(null=True, attr_name='waitingFor')
    checked_at = UnicodeAttribute(null=True, attr_name='checkedAt')

    waiting_index = WaitingIndex()


ALL_MODELS: tuple[type[Model], ...] = (
    ApiClientModel,
    RouteModel,
    PharmacyConfigModel,
    SubmissionModel,
    TimelineModel,
    PrescriptionGateModel,
)
